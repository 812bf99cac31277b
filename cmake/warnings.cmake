# Warnings are errors everywhere: -Wall -Wextra -Werror plus a few that catch
# real bugs in this kind of code.
function(pinmm_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Werror -Wstrict-prototypes
    -Wmissing-prototypes -Wno-unused-parameter -Wformat=2 -Wvla)
  # gcc's -Wshadow=local; clang (the fuzz preset) knows only -Wshadow,
  # which also flags globals the model's names legitimately reuse.
  if(CMAKE_C_COMPILER_ID STREQUAL "GNU")
    target_compile_options(${target} PRIVATE -Wshadow=local)
  endif()
endfunction()

# __FILE__ (warnings, VM_BUG_ON reports, call sites) names files relative to
# the source tree, never by the build machine's absolute path.
add_compile_options(-fmacro-prefix-map=${CMAKE_SOURCE_DIR}/=)

# Warnings are errors everywhere: -Wall -Wextra -Werror plus a few that catch
# real bugs in this kind of code.
function(pinmm_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Werror -Wshadow=local -Wstrict-prototypes
    -Wmissing-prototypes -Wno-unused-parameter -Wformat=2 -Wvla)
endfunction()

# PINMM_SANITIZE: "", "address" (address+undefined) or "thread".  Set by the
# asan and tsan presets; applies to every target in the build.
set(PINMM_SANITIZE "" CACHE STRING "Sanitizer build: address or thread")
if(PINMM_SANITIZE STREQUAL "address")
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=all
                      -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
elseif(PINMM_SANITIZE STREQUAL "thread")
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread)
  add_compile_definitions(PNM_TSAN=1)
elseif(NOT PINMM_SANITIZE STREQUAL "")
  message(FATAL_ERROR "PINMM_SANITIZE must be empty, address or thread")
endif()

# PINMM_FUZZ: the libFuzzer targets of tests/fuzz (label fuzz).  Needs clang;
# every target is compiled with libFuzzer's coverage instrumentation, the
# fuzz targets themselves link its driver.  The fuzz preset sets it with
# PINMM_SANITIZE=address.
option(PINMM_FUZZ "Build the libFuzzer targets (clang)" OFF)
if(PINMM_FUZZ)
  if(NOT CMAKE_C_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "PINMM_FUZZ needs clang (CC=clang, or the fuzz preset)")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()

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

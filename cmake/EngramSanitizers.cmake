# Sanitizer builds (scripts/sanitize.sh, docs/testing.md).
#
#   -DENGRAM_SANITIZE=address,undefined   every target under ASan + UBSan
#   -DENGRAM_SANITIZE=thread              every target under TSan
#
# Needs clang (the scripts use clang-14). Any UBSan finding aborts the run
# (-fno-sanitize-recover), so a test cannot pass with undefined behaviour.
# Included before any target is defined so that every target gets the flags.
set(ENGRAM_SANITIZE "" CACHE STRING
    "Comma-separated sanitizers for every target, e.g. address,undefined or thread (needs clang)")
if(ENGRAM_SANITIZE)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "ENGRAM_SANITIZE=${ENGRAM_SANITIZE} needs clang, not ${CMAKE_CXX_COMPILER_ID}")
  endif()
  # Line tables are enough for symbolised stack traces and cost little to build.
  add_compile_options(-fsanitize=${ENGRAM_SANITIZE} -fno-omit-frame-pointer -gline-tables-only)
  if(ENGRAM_SANITIZE MATCHES "undefined")
    add_compile_options(-fno-sanitize-recover=undefined)
  endif()
  add_link_options(-fsanitize=${ENGRAM_SANITIZE})
endif()

# Helpers for the repeated library / executable / test patterns.

set(SLUICE_WARNINGS -Wall -Wextra -Wno-unused-parameter -Wno-maybe-uninitialized)

# sluice_library(NAME SRCS ... DEPS ...): a static library under sluice::NAME.
function(sluice_library name)
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS" ${ARGN})
  add_library(sluice_${name} STATIC ${ARG_SRCS})
  add_library(sluice::${name} ALIAS sluice_${name})
  target_include_directories(sluice_${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_compile_options(sluice_${name} PRIVATE ${SLUICE_WARNINGS})
  target_link_libraries(sluice_${name} PUBLIC ${ARG_DEPS})
endfunction()

# sluice_executable(NAME SRCS ... DEPS ...)
function(sluice_executable name)
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SRCS} ${SLUICE_TSAN_SHIM})
  target_compile_options(${name} PRIVATE ${SLUICE_WARNINGS})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} ${SLUICE_MALLOC})
endfunction()

# sluice_test(NAME SRCS ... DEPS ... [LABELS ...]): a GoogleTest binary
# registered with ctest test by test.
function(sluice_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SRCS;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SRCS} ${SLUICE_TSAN_SHIM})
  target_compile_options(${name} PRIVATE ${SLUICE_WARNINGS})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 120)
  endif()
  gtest_discover_tests(${name}
    DISCOVERY_TIMEOUT 60
    PROPERTIES TIMEOUT ${ARG_TIMEOUT} LABELS "${ARG_LABELS}")
endfunction()

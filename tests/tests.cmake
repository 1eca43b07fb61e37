# Every tests/<area>/test_*.c is one executable and one ctest test named
# <area>/<name>; every tests/<area>/test_*.sh is a ctest test run with bash.
# Tests get DM_BIN (the CLI), DM_SOURCE_DIR and a private scratch folder.
file(GLOB DM_TEST_COMMON CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/tests/common/*.c)
add_library(dm_test_common STATIC ${DM_TEST_COMMON})
# Tests make HEIC files with libheif's encoder, so they link it; depthmask
# itself loads it when a file needs it (src/io/heif_lazy.c).
target_link_libraries(dm_test_common PUBLIC depthmask_lib PkgConfig::HEIF)
target_include_directories(dm_test_common PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/tests/common)
target_compile_definitions(dm_test_common PUBLIC
  DM_SOURCE_DIR="${CMAKE_CURRENT_SOURCE_DIR}" DM_BUILD_DIR="${CMAKE_CURRENT_BINARY_DIR}")

set(DM_TEST_ENV
  "DM_BIN=$<TARGET_FILE:depthmask>"
  "DM_SOURCE_DIR=${CMAKE_CURRENT_SOURCE_DIR}"
  "DM_BUILD_DIR=${CMAKE_CURRENT_BINARY_DIR}"
  # The depth cache of the tests, never the user's.
  "XDG_CACHE_HOME=${CMAKE_CURRENT_BINARY_DIR}/test-cache"
  "ASAN_OPTIONS=detect_leaks=1:abort_on_error=1"
  "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1")

file(GLOB DM_TEST_C CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/tests/*/test_*.c)
foreach(src ${DM_TEST_C})
  get_filename_component(name ${src} NAME_WE)
  get_filename_component(dir ${src} DIRECTORY)
  get_filename_component(area ${dir} NAME)
  set(target ${area}_${name})
  add_executable(${target} ${src})
  target_link_libraries(${target} PRIVATE dm_test_common)
  target_compile_options(${target} PRIVATE -UNDEBUG)
  add_test(NAME ${area}/${name} COMMAND ${target})
  set_tests_properties(${area}/${name} PROPERTIES ENVIRONMENT "${DM_TEST_ENV}" TIMEOUT 600)
endforeach()

file(GLOB DM_TEST_SH CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/tests/*/test_*.sh)
foreach(src ${DM_TEST_SH})
  get_filename_component(name ${src} NAME_WE)
  get_filename_component(dir ${src} DIRECTORY)
  get_filename_component(area ${dir} NAME)
  add_test(NAME ${area}/${name} COMMAND bash ${src})
  set_tests_properties(${area}/${name} PROPERTIES ENVIRONMENT "${DM_TEST_ENV}" TIMEOUT 600
    DEPENDS depthmask)
endforeach()

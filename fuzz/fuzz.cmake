# Every fuzz/fuzz_*.c is a libFuzzer target (build with clang, -DDM_FUZZ=ON).
file(GLOB DM_FUZZ_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/fuzz_*.c)
foreach(src ${DM_FUZZ_SOURCES})
  get_filename_component(name ${src} NAME_WE)
  add_executable(${name} ${src})
  target_link_libraries(${name} PRIVATE depthmask_lib)
  target_link_options(${name} PRIVATE -fsanitize=fuzzer)
endforeach()

# Every bench/bench_*.c is a small benchmark program (configure with
# -DDM_BENCH=ON; bench/run does this in build/).
file(GLOB DM_BENCH_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/bench/bench_*.c)
foreach(src ${DM_BENCH_SOURCES})
  get_filename_component(name ${src} NAME_WE)
  add_executable(${name} ${src})
  target_link_libraries(${name} PRIVATE depthmask_lib)
  target_compile_definitions(${name} PRIVATE DM_SOURCE_DIR="${CMAKE_CURRENT_SOURCE_DIR}")
endforeach()

# Developer tools built beside the library (not installed).
#   dof_eval   renders a ../shared/dof-eval scene with the lens blur (tools/dof_eval/run.sh scores all)
add_executable(dof_eval ${CMAKE_CURRENT_SOURCE_DIR}/tools/dof_eval/dof_eval.c)
target_link_libraries(dof_eval PRIVATE depthmask_lib)

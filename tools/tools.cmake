# Developer tools built beside the library (not installed).
#   dof_eval         renders a ../shared/dof-eval scene with the lens blur (tools/dof_eval/run.sh scores all)
#   depthmask-onnx   runs, times and describes an ONNX model on .npy tensors with src/nn
add_executable(dof_eval ${CMAKE_CURRENT_SOURCE_DIR}/tools/dof_eval/dof_eval.c)
target_link_libraries(dof_eval PRIVATE depthmask_lib)

add_executable(depthmask_onnx ${CMAKE_CURRENT_SOURCE_DIR}/tools/onnx/depthmask_onnx.c)
target_link_libraries(depthmask_onnx PRIVATE depthmask_lib)
set_target_properties(depthmask_onnx PROPERTIES OUTPUT_NAME depthmask-onnx
  RUNTIME_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})

# depthmask-depth-eval   scores depth maps (true depth, FastDepth, ISNet matte, fused) on dof-eval scenes
add_executable(depthmask_depth_eval ${CMAKE_CURRENT_SOURCE_DIR}/tools/depth/eval_dof.c)
target_link_libraries(depthmask_depth_eval PRIVATE depthmask_lib)
set_target_properties(depthmask_depth_eval PROPERTIES OUTPUT_NAME depthmask-depth-eval
  RUNTIME_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})

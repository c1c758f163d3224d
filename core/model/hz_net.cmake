# hz_net: the network and the .hzm container reader on LibTorch alone (no Qt, no OpenCV), so
# that tools/gpu_check builds on a GPU machine that has only a CUDA LibTorch. Included by
# core/model/CMakeLists.txt and by tools/gpu_check/CMakeLists.txt when that is built on its
# own; expects TORCH_LIBRARIES to be set.
get_filename_component(HZ_NET_ROOT ${CMAKE_CURRENT_LIST_DIR}/../.. ABSOLUTE)
add_library(hz_net STATIC
  ${CMAKE_CURRENT_LIST_DIR}/network.cpp
  ${CMAKE_CURRENT_LIST_DIR}/hzm_container.cpp
)
target_include_directories(hz_net PUBLIC ${HZ_NET_ROOT})
target_link_libraries(hz_net PUBLIC ${TORCH_LIBRARIES})
set_target_properties(hz_net PROPERTIES AUTOMOC OFF)
if(TARGET harmonizer_warnings)
  target_link_libraries(hz_net PRIVATE harmonizer_warnings)
endif()

slm_add_test(kernels_kquant_test LABEL unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/kernels_kquant_test.cc)

slm_add_test(sampler_test LABEL unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/sampler_test.cc)

slm_add_test(runtime_test LABEL unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/runtime_test.cc)

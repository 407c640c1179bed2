slm_add_test(generation_test LABEL model SOURCES ${CMAKE_CURRENT_LIST_DIR}/generation_test.cc)

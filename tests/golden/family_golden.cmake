slm_add_test(family_golden_test LABEL model SOURCES ${CMAKE_CURRENT_LIST_DIR}/family_golden_test.cc)

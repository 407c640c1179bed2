slm_add_test(model_golden_test LABEL model SOURCES ${CMAKE_CURRENT_LIST_DIR}/model_golden_test.cc)
set_tests_properties(${model_golden_test_TESTS} PROPERTIES TIMEOUT 900)

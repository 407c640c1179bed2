slm_add_test(chat_test LABEL model SOURCES ${CMAKE_CURRENT_LIST_DIR}/chat_test.cc)

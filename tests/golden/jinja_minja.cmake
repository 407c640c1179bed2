# The 63 minja goldens (../shared/testdata/chat-templates/minja-goldens), byte for byte.
slm_add_test(jinja_minja_test LABEL testdata SOURCES ${CMAKE_CURRENT_LIST_DIR}/jinja_minja_test.cc)

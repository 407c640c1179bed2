# GGUF reader tests. One source, two executables: the unit tests write their GGUF files in
# memory; the model tests (built with SLM_GGUF_MODEL_TESTS) open the real SmolLM2 file and
# skip when it is not in the model cache.
slm_add_test(gguf_test LABEL unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/gguf_test.cc)
slm_add_test(gguf_model_test LABEL model SOURCES ${CMAKE_CURRENT_LIST_DIR}/gguf_test.cc)
target_compile_definitions(gguf_model_test PRIVATE SLM_GGUF_MODEL_TESTS=1)

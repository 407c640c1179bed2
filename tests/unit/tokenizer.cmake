# Tokenizer tests, one source built three times so that each binary carries one label:
#  tokenizer_test        (unit)     tiny in-memory vocabularies; needs nothing
#  tokenizer_vocab_test  (testdata) ../shared/testdata/vocab .inp/.out vectors
#  tokenizer_model_test  (model)    the real models' vocabularies against llama.cpp goldens
set(_tok_src ${CMAKE_CURRENT_LIST_DIR}/tokenizer_test.cc)
slm_add_test(tokenizer_test LABEL unit SOURCES ${_tok_src})
target_compile_definitions(tokenizer_test PRIVATE SLM_TOKENIZER_TEST_UNIT=1)
slm_add_test(tokenizer_vocab_test LABEL testdata SOURCES ${_tok_src})
target_compile_definitions(tokenizer_vocab_test PRIVATE SLM_TOKENIZER_TEST_VOCAB=1)
slm_add_test(tokenizer_model_test LABEL model SOURCES ${_tok_src})
target_compile_definitions(tokenizer_model_test PRIVATE SLM_TOKENIZER_TEST_MODEL=1)

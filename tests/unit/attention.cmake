# Attention's f32 row kernels (every ISA table vs the reference) and slm::attend vs plain attention.
slm_add_test(attention_test LABEL unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/attention_test.cc)

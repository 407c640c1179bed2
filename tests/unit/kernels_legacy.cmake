# Float-type and legacy 32-block kernels: goldens from gguf-py, every ISA table vs the reference.
slm_add_test(kernels_legacy_test LABEL unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/kernels_legacy_test.cc)

# The float ops of the kernel table (norms, scale, add, swiglu, geglu): every ISA table vs the reference.
slm_add_test(kernels_ops_test LABEL unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/kernels_ops_test.cc)

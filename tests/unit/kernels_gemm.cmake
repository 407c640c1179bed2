# Packed weight panels and their product (kernels/panel.h): packing vs dequantize_row, every ISA's
# panel product vs the scalar reference (bit for bit) and vs vec_dot, and matmul's panel path.
slm_add_test(kernels_gemm_test LABEL unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/kernels_gemm_test.cc)

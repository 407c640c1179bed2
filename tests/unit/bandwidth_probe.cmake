# Memory bandwidth probe (small buffers only) and the tg roofline arithmetic of `slm bench`.
slm_add_test(bandwidth_probe_test LABEL unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/bandwidth_probe_test.cc)

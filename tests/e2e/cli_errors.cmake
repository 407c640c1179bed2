# End-to-end tests of the `slm` binary: one-line errors for bad model files, --seed reproducibility.
slm_add_test(cli_errors_test LABEL model SOURCES ${CMAKE_CURRENT_LIST_DIR}/cli_errors_test.cc)
add_dependencies(cli_errors_test slm_cli)

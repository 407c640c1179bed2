# Chat templates against Python jinja2 (goldens from tools/make_template_goldens.py). One source,
# three executables so each keeps one label: the shared-data templates (testdata), the template
# inside SmolLM2's GGUF (model) and slm's built-in templates (unit).
slm_add_test(template_golden_test LABEL testdata
             SOURCES ${CMAKE_CURRENT_LIST_DIR}/template_golden_test.cc)
target_compile_definitions(template_golden_test PRIVATE
                           SLM_TEMPLATE_GOLDEN_SOURCES="minja,llama.cpp,ollama")
slm_add_test(template_golden_model_test LABEL model
             SOURCES ${CMAKE_CURRENT_LIST_DIR}/template_golden_test.cc)
target_compile_definitions(template_golden_model_test PRIVATE SLM_TEMPLATE_GOLDEN_SOURCES="gguf")
slm_add_test(template_golden_builtin_test LABEL unit
             SOURCES ${CMAKE_CURRENT_LIST_DIR}/template_golden_test.cc)
target_compile_definitions(template_golden_builtin_test PRIVATE
                           SLM_TEMPLATE_GOLDEN_SOURCES="builtin")

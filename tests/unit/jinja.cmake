# Jinja engine feature tests against tests/golden/jinja/features.json (rendered by Python jinja2
# with Hugging Face's settings; regenerate with tools/make_jinja_feature_goldens.py).
slm_add_test(jinja_test LABEL unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/jinja_test.cc)

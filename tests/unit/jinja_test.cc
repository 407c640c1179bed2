// Each Jinja feature on its own: the snippets in tests/golden/jinja/features.json with the output
// (or error) Python jinja2 gives under Hugging Face's chat-template settings.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "chat/jinja/template.h"
#include "test_util.h"

namespace slm::jinja {
namespace {

constexpr int64_t kNow = 1721952000;  // 2024-07-26 00:00:00 UTC, as in the goldens script

struct Feature {
  std::string name, source;
  Json context;
  bool expect_error = false;
  std::string expected;  // output, or jinja2's error message
};

void PrintTo(const Feature& f, std::ostream* os) { *os << f.name; }

std::vector<Feature> load_features() {
  std::vector<Feature> out;
  const std::string path = test::golden_dir() + "/jinja/features.json";
  Json all = Json::parse(test::read_file(path), nullptr, false);
  if (!all.is_array()) return out;
  for (auto& e : all) {
    Feature f;
    f.name = e.at("name").get<std::string>();
    f.source = e.at("template").get<std::string>();
    f.context = e.at("context");
    f.expect_error = e.contains("error");
    f.expected = f.expect_error ? e.at("error").get<std::string>() : e.at("output").get<std::string>();
    out.push_back(std::move(f));
  }
  return out;
}

const std::vector<Feature>& features() {
  static const std::vector<Feature> f = load_features();
  return f;
}

Expected<std::string> render(std::string_view src, const Json& ctx, Options opt = {}) {
  opt.now_epoch_seconds = kNow;
  auto t = Template::parse(src, opt);
  if (!t) return t.status();
  return t->render(ctx);
}

TEST(JinjaFeatures, GoldenFileLoads) { EXPECT_GE(features().size(), 150u); }

class JinjaFeature : public testing::TestWithParam<Feature> {};

TEST_P(JinjaFeature, MatchesPythonJinja2) {
  const Feature& f = GetParam();
  auto r = render(f.source, f.context);
  if (f.expect_error) {
    EXPECT_FALSE(r.ok()) << "jinja2 raised \"" << f.expected << "\" but slm rendered \"" << *r << "\"";
  } else {
    ASSERT_TRUE(r.ok()) << r.error();
    EXPECT_EQ(*r, f.expected);
  }
}

INSTANTIATE_TEST_SUITE_P(Golden, JinjaFeature, testing::ValuesIn(features()),
                         [](const testing::TestParamInfo<Feature>& i) { return i.param.name; });

TEST(Jinja, RaiseExceptionMessage) {
  auto r = render("a\n{{ raise_exception('nope') }}", Json::object());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("raise_exception: nope"), std::string::npos) << r.error();
  EXPECT_NE(r.error().find("line 2"), std::string::npos) << r.error();
}

TEST(Jinja, SyntaxErrorHasLineAndColumn) {
  auto t = Template::parse("ok\n  {{ 1 + }}");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().rfind("line 2, column ", 0), 0u) << t.error();
}

TEST(Jinja, UndefinedErrorHasLocation) {
  auto r = render("x\ny {{ a.b.c }}", Json::object());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().rfind("line 2, column ", 0), 0u) << r.error();
}

TEST(Jinja, DeepNestingIsAnErrorNotACrash) {
  std::string deep = "{{ " + std::string(5000, '(') + "1" + std::string(5000, ')') + " }}";
  EXPECT_FALSE(render(deep, Json::object()).ok());
  std::string ifs;
  for (int i = 0; i < 3000; ++i) ifs += "{% if true %}";
  for (int i = 0; i < 3000; ++i) ifs += "{% endif %}";
  EXPECT_FALSE(render(ifs, Json::object()).ok());
  std::string nots = "{{ " + std::string(1, ' ');
  for (int i = 0; i < 5000; ++i) nots += "not ";
  EXPECT_FALSE(render(nots + "1 }}", Json::object()).ok());
  std::string negs = "{{ " + std::string(5000, '-') + "1 }}";
  EXPECT_FALSE(render(negs, Json::object()).ok());
}

TEST(Jinja, InfiniteMacroRecursionIsAnError) {
  auto r = render("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", Json::object());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("recursion"), std::string::npos) << r.error();
}

TEST(Jinja, RunawayLoopsAndOutputAreBounded) {
  Options few;
  few.max_steps = 100000;
  auto r = render("{% for a in range(99999) %}{% for b in range(99999) %}{{ b }}{% endfor %}{% endfor %}",
                  Json::object(), few);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("max_steps"), std::string::npos) << r.error();
  auto big = render("{% set s = 'x' * 10000000 %}{% for a in range(99) %}{{ s }}{% endfor %}", Json::object());
  ASSERT_FALSE(big.ok());
  EXPECT_NE(big.error().find("too large"), std::string::npos) << big.error();
}

TEST(Jinja, NamespaceCycleDoesNotLeakOrHang) {
  auto r = render("{% set ns = namespace() %}{% set ns.self = ns %}{{ ns.self is defined }}", Json::object());
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(*r, "True");
}

TEST(Jinja, OptionsWithoutTrimAndLstrip) {
  Options o;
  o.trim_blocks = false;
  o.lstrip_blocks = false;
  auto r = render("  {% if true %}\nx\n  {% endif %}\n", Json::object(), o);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(*r, "  \nx\n  ");
}

TEST(Jinja, TemplateIsReusableAndMovable) {
  auto t = Template::parse("{{ x }}!");
  ASSERT_TRUE(t.ok());
  Template moved = std::move(*t);
  EXPECT_EQ(*moved.render({{"x", 1}}), "1!");
  EXPECT_EQ(*moved.render({{"x", "a"}}), "a!");
}

}  // namespace
}  // namespace slm::jinja

// Renders the 63 minja goldens (templates x contexts, produced by Python jinja2 with Hugging
// Face's settings; see ../shared/testdata/chat-templates/SOURCE.md) and compares byte for byte.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "chat/jinja/template.h"
#include "test_util.h"

namespace slm::jinja {
namespace {

namespace fs = std::filesystem;
constexpr const char* kDir = "chat-templates/minja-goldens";
constexpr int64_t kNow = 1721952000;  // 2024-07-26, the date the goldens were rendered with

std::string root() { return test::testdata_dir() + "/" + kDir; }

struct Case {
  std::string name, template_name, context_name;
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

std::vector<Case> load_cases() {
  std::vector<Case> out;
  std::error_code ec;
  fs::directory_iterator it(root() + "/goldens", ec), end;
  if (ec) return out;
  for (; it != end; ++it) {
    std::string f = it->path().filename().string();
    if (f.size() < 4 || f.substr(f.size() - 4) != ".txt") continue;
    std::string stem = f.substr(0, f.size() - 4);
    for (const char* ctx : {"tool_use", "simple", "system"}) {
      std::string suffix = std::string("-") + ctx;
      if (stem.size() > suffix.size() && stem.compare(stem.size() - suffix.size(), suffix.size(), suffix) == 0) {
        Case c{stem, stem.substr(0, stem.size() - suffix.size()), ctx};
        for (auto& ch : c.name)
          if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
        out.push_back(c);
        break;
      }
    }
  }
  std::sort(out.begin(), out.end(), [](const Case& a, const Case& b) { return a.name < b.name; });
  return out;
}

const std::vector<Case>& cases() {
  static const std::vector<Case> c = load_cases();
  return c;
}

// SOURCE.md: templates that read tool_call.arguments as a mapping get the JSON-string arguments
// parsed into objects.
void parse_tool_call_arguments(Json& ctx) {
  if (!ctx.contains("messages")) return;
  for (auto& m : ctx["messages"]) {
    if (!m.contains("tool_calls")) continue;
    for (auto& tc : m["tool_calls"]) {
      if (!tc.contains("function")) continue;
      auto& args = tc["function"]["arguments"];
      if (args.is_string()) args = Json::parse(args.get<std::string>());
    }
  }
}

TEST(JinjaMinja, AllGoldensFound) {
  SLM_REQUIRE_TESTDATA(kDir);
  EXPECT_EQ(cases().size(), 63u);
}

class JinjaMinja : public testing::TestWithParam<Case> {};

TEST_P(JinjaMinja, MatchesGolden) {
  SLM_REQUIRE_TESTDATA(kDir);
  const Case& c = GetParam();
  std::string src = test::read_file(root() + "/templates/" + c.template_name + ".jinja");
  Json ctx = Json::parse(test::read_file(root() + "/contexts/" + c.context_name + ".json"));
  if (src.find("tool_call.arguments | items") != std::string::npos ||
      src.find("tool_call.arguments | tojson") != std::string::npos)
    parse_tool_call_arguments(ctx);
  std::string expected = test::read_file(root() + "/goldens/" + c.template_name + "-" + c.context_name + ".txt");
  Options opt;
  opt.now_epoch_seconds = kNow;
  opt.markup_safe = false;  // SOURCE.md: the goldens were rendered with safe = identity
  auto t = Template::parse(src, opt);
  ASSERT_TRUE(t.ok()) << t.error();
  auto out = t->render(ctx);
  ASSERT_TRUE(out.ok()) << out.error();
  EXPECT_EQ(*out, expected);
}

INSTANTIATE_TEST_SUITE_P(Goldens, JinjaMinja, testing::ValuesIn(cases()),
                         [](const testing::TestParamInfo<Case>& i) { return i.param.name; });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(JinjaMinja);

}  // namespace
}  // namespace slm::jinja

// The chujiezheng templates (corrected community templates, no goldens): each must parse and
// render a plain conversation, with and without a generation prompt.
namespace slm::jinja {
namespace {

TEST(ChujiezhengTemplates, ParseAndRender) {
  SLM_REQUIRE_TESTDATA("chat-templates/chujiezheng/chat_templates");
  const std::string dir = test::testdata_dir() + "/chat-templates/chujiezheng/chat_templates";
  const Json messages = Json::parse(R"([
    {"role": "user", "content": "Hello, how are you?"},
    {"role": "assistant", "content": "I'm doing great. How can I help you today?"},
    {"role": "user", "content": "Tell me a joke about caf\u00e9s \ud83d\ude00"}])");
  int rendered = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".jinja") continue;
    const std::string name = entry.path().filename().string();
    auto t = Template::parse(test::read_file(entry.path().string()));
    ASSERT_TRUE(t.ok()) << name << ": " << t.error();
    for (bool gen : {false, true}) {
      Json ctx = {{"messages", messages}, {"add_generation_prompt", gen}, {"bos_token", "<s>"}, {"eos_token", "</s>"}};
      auto out = t->render(ctx);
      ASSERT_TRUE(out.ok()) << name << ": " << out.error();
      EXPECT_NE(out->find("Tell me a joke about caf\xc3\xa9s"), std::string::npos) << name << " lost the last message";
    }
    ++rendered;
  }
  EXPECT_EQ(rendered, 18);
}

}  // namespace
}  // namespace slm::jinja

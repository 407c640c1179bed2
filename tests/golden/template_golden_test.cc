// Chat templates against Python jinja2: every golden in tests/golden/templates/<source>/ (made by
// tools/make_template_goldens.py, rendering as Hugging Face transformers does) is parsed with
// slm::jinja::Template and each case's context rendered; the output must equal jinja2's byte for
// byte, and where jinja2 raised, slm must fail too (parse or render).
//
// One source file, three executables (tests/golden/template_golden.cmake), so that labels stay
// distinct; SLM_TEMPLATE_GOLDEN_SOURCES names the sources each one runs:
//   template_golden_test          minja, llama.cpp, ollama   LABEL testdata (../shared/testdata)
//   template_golden_model_test    gguf                       LABEL model (SmolLM2's GGUF)
//   template_golden_builtin_test  builtin                    LABEL unit
// Run an executable directly to get the per-source pass counts at the end.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <array>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "chat/builtin_templates.h"
#include "chat/jinja/template.h"
#include "formats/gguf.h"
#include "test_util.h"

#ifndef SLM_TEMPLATE_GOLDEN_SOURCES
#define SLM_TEMPLATE_GOLDEN_SOURCES "minja,llama.cpp,ollama,gguf,builtin"
#endif

namespace slm {
namespace {

using jinja::Json;

// strftime_now() in the goldens: 2024-07-26T00:00:00 UTC.
constexpr int64_t kGoldenNow = 1721952000;
// Failing cases described in full per template; the rest are only counted.
constexpr int kMaxDetailed = 3;

// ---- SHA-256 (FIPS 180-4), to check that a template is the one the golden was made from ----
std::string sha256_hex(std::string_view data) {
  static constexpr uint32_t k[64] = {
      0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
      0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
      0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
      0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
      0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
      0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
      0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
      0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
      0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
      0xc67178f2};
  uint32_t h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  std::string msg(data);
  const uint64_t bits = static_cast<uint64_t>(data.size()) * 8;
  msg.push_back(static_cast<char>(0x80));
  while (msg.size() % 64 != 56) msg.push_back('\0');
  for (int i = 7; i >= 0; --i) msg.push_back(static_cast<char>((bits >> (8 * i)) & 0xff));
  auto rotr = [](uint32_t x, int n) { return (x >> n) | (x << (32 - n)); };
  for (size_t off = 0; off < msg.size(); off += 64) {
    uint32_t w[64];
    for (int i = 0; i < 16; ++i) {
      const auto* p = reinterpret_cast<const unsigned char*>(msg.data() + off + 4 * i);
      w[i] = (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
    }
    for (int i = 16; i < 64; ++i) {
      const uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
      const uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
      w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
    for (int i = 0; i < 64; ++i) {
      const uint32_t t1 = hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) +
                          k[i] + w[i];
      const uint32_t t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
      hh = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
    }
    h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
  }
  char out[65];
  for (int i = 0; i < 8; ++i) std::snprintf(out + 8 * i, 9, "%08x", h[i]);
  return std::string(out, 64);
}

// ---- the goldens ----
struct GoldenFile {
  std::string source;  // folder: minja, llama.cpp, ollama, gguf, builtin
  std::string name;    // file stem
  std::string path;    // full path of the .json
};
void PrintTo(const GoldenFile& f, std::ostream* os) { *os << f.source << "/" << f.name; }

std::vector<std::string> enabled_sources() {
  std::vector<std::string> out;
  std::stringstream ss(SLM_TEMPLATE_GOLDEN_SOURCES);
  for (std::string s; std::getline(ss, s, ',');)
    if (!s.empty()) out.push_back(s);
  return out;
}

std::vector<GoldenFile> list_goldens() {
  std::vector<GoldenFile> out;
  const std::filesystem::path root = std::filesystem::path(test::golden_dir()) / "templates";
  for (const std::string& source : enabled_sources()) {
    const auto dir = root / source;
    if (!std::filesystem::is_directory(dir)) continue;
    std::vector<GoldenFile> files;
    for (const auto& e : std::filesystem::directory_iterator(dir))
      if (e.path().extension() == ".json")
        files.push_back({source, e.path().stem().string(), e.path().string()});
    std::sort(files.begin(), files.end(),
              [](const GoldenFile& a, const GoldenFile& b) { return a.name < b.name; });
    out.insert(out.end(), files.begin(), files.end());
  }
  return out;
}

std::string param_name(const testing::TestParamInfo<GoldenFile>& info) {
  std::string s = info.param.source + "_" + info.param.name;
  for (char& c : s)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return s;
}

// Per-source tallies, printed when the executable ends.
struct Tally {
  int templates = 0, templates_all_pass = 0, skipped = 0;
  int cases = 0, passed = 0, error_cases = 0, error_passed = 0;
};
std::map<std::string, Tally>& tallies() {
  static std::map<std::string, Tally> t;
  return t;
}

class SummaryPrinter : public testing::Environment {
 public:
  void TearDown() override {
    if (tallies().empty()) return;
    std::printf("\n=== chat template goldens: per-source pass counts ===\n");
    for (const auto& [source, t] : tallies())
      std::printf(
          "%-10s templates %3d (all cases pass: %3d, skipped: %d)  cases %5d/%5d pass  "
          "(error cases %d/%d)\n",
          source.c_str(), t.templates, t.templates_all_pass, t.skipped, t.passed, t.cases,
          t.error_passed, t.error_cases);
  }
};
const auto* const kSummary = testing::AddGlobalTestEnvironment(new SummaryPrinter);

// Escapes a slice for a one-line message.
std::string escaped(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else if (c == '\t') out += "\\t";
    else if (c == '\\') out += "\\\\";
    else if (c < 0x20) {
      char b[8];
      std::snprintf(b, sizeof b, "\\x%02x", c);
      out += b;
    } else out.push_back(static_cast<char>(c));
  }
  return out;
}

std::string describe_diff(const std::string& want, const std::string& got) {
  size_t i = 0;
  while (i < want.size() && i < got.size() && want[i] == got[i]) ++i;
  const size_t from = i > 40 ? i - 40 : 0;
  std::ostringstream os;
  os << "first difference at byte " << i << " (expected length " << want.size() << ", got "
     << got.size() << ")\n    expected: \"" << escaped(std::string_view(want).substr(from, 100))
     << "\"\n    got:      \"" << escaped(std::string_view(got).substr(from, 100)) << "\"";
  return os.str();
}

// The template text a golden refers to, or why it is not there (skip) or cannot be read (error).
struct Loaded {
  std::string text;
  std::string skip;   // non-empty: skip with this message
  std::string error;  // non-empty: a hard failure
};

Loaded load_template(const Json& g) {
  Loaded l;
  const std::string path = g.at("template_path").get<std::string>();
  if (path.rfind("builtin:", 0) == 0) {
    auto src = builtin_chat_template(path.substr(8));
    if (!src) l.error = "no built-in chat template named " + path.substr(8);
    else l.text = std::string(*src);
    return l;
  }
  if (path.rfind("gguf:", 0) == 0) {
    const std::string file = test::models_dir() + "/" + g.at("model_file").get<std::string>();
    if (!std::filesystem::exists(file)) {
      l.skip = "model not found: " + file + " (run tools/fetch_models.sh)";
      return l;
    }
    auto gguf = GgufFile::open(file);
    if (!gguf.ok()) { l.error = gguf.error(); return l; }
    auto s = (*gguf)->get_string("tokenizer.chat_template");
    if (!s.ok()) { l.error = s.error(); return l; }
    l.text = std::string(*s);
    return l;
  }
  // A file under the shared test data, optionally "#N" = entry N of a JSON list (ollama).
  std::string rel = path;
  int index = -1;
  if (const size_t hash = rel.find('#'); hash != std::string::npos) {
    index = std::stoi(rel.substr(hash + 1));
    rel = rel.substr(0, hash);
  }
  const std::string full = test::testdata_dir() + "/" + rel;
  if (!std::filesystem::exists(full)) {
    l.skip = "shared test data not found: " + full +
             " (clone the project beside shared/ or set SLM_TESTDATA_DIR)";
    return l;
  }
  std::string bytes = test::read_file(full);
  if (index < 0) {
    l.text = std::move(bytes);
  } else {
    const Json list = Json::parse(bytes);
    l.text = list.at(static_cast<size_t>(index)).at("template").get<std::string>();
  }
  return l;
}

class TemplateGolden : public testing::TestWithParam<GoldenFile> {};

TEST_P(TemplateGolden, MatchesJinja2) {
  const GoldenFile& gf = GetParam();
  std::ifstream in(gf.path, std::ios::binary);
  ASSERT_TRUE(in) << "cannot open " << gf.path;
  const Json g = Json::parse(in);
  Tally& tally = tallies()[gf.source];
  ++tally.templates;

  const Loaded l = load_template(g);
  if (!l.skip.empty()) {
    ++tally.skipped;
    GTEST_SKIP() << l.skip;
  }
  ASSERT_TRUE(l.error.empty()) << gf.source << "/" << gf.name << ": " << l.error;
  ASSERT_EQ(sha256_hex(l.text), g.at("template_sha256").get<std::string>())
      << gf.source << "/" << gf.name << ": the template differs from the one the golden was "
      << "made from; regenerate with tools/make_template_goldens.py";

  jinja::Options opt;
  opt.now_epoch_seconds = kGoldenNow;
  auto tmpl = jinja::Template::parse(l.text, opt);

  int n = 0, pass = 0, detailed = 0;
  for (const Json& c : g.at("cases")) {
    ++n;
    const std::string cname = c.at("name").get<std::string>();
    const bool want_error = c.contains("error");
    if (want_error) ++tally.error_cases;
    std::string failure;
    if (!tmpl.ok()) {
      if (!want_error) failure = "parse failed: " + tmpl.error();
    } else {
      auto out = tmpl->render(c.at("context"));
      if (want_error) {
        if (out.ok())
          failure = "jinja2 raised \"" + c.at("error").get<std::string>() +
                    "\" but slm rendered \"" + escaped(out->substr(0, 200)) + "\"";
      } else if (!out.ok()) {
        failure = "render failed: " + out.error();
      } else {
        const std::string want = c.at("output").get<std::string>();
        if (*out != want) failure = describe_diff(want, *out);
      }
    }
    if (failure.empty()) {
      ++pass;
      if (want_error) ++tally.error_passed;
    } else if (detailed < kMaxDetailed) {
      ++detailed;
      ADD_FAILURE() << gf.source << "/" << gf.name << " case " << cname << ": " << failure;
    }
  }
  tally.cases += n;
  tally.passed += pass;
  if (pass == n) ++tally.templates_all_pass;
  std::printf("[ %s/%s: %d/%d cases pass ]\n", gf.source.c_str(), gf.name.c_str(), pass, n);
  EXPECT_EQ(pass, n) << gf.source << "/" << gf.name << ": " << (n - pass) << " of " << n
                     << " cases fail (the first " << kMaxDetailed << " are detailed above)";
}

INSTANTIATE_TEST_SUITE_P(Templates, TemplateGolden, testing::ValuesIn(list_goldens()), param_name);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(TemplateGolden);

// The golden folders must be there (an empty parameter list would pass silently).
TEST(TemplateGoldenFiles, Present) {
  for (const std::string& source : enabled_sources()) {
    const auto dir = std::filesystem::path(test::golden_dir()) / "templates" / source;
    EXPECT_TRUE(std::filesystem::is_directory(dir)) << "missing golden folder " << dir;
  }
}

// Sanity of the SHA-256 used above (FIPS 180-2 test vectors).
TEST(TemplateGoldenFiles, Sha256) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

}  // namespace
}  // namespace slm

// End-to-end tests of the `slm` binary (SLM_CLI_PATH): a bad model file makes `slm info` and
// `slm run` exit non-zero with exactly one line on stderr, "slm: error: ..."; and sampling with
// a fixed --seed is reproducible. The broken models are copies of the real SmolLM2 file made
// in a temporary folder; the tests skip when the model is not in the cache.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "../test_util.h"
#include "formats/gguf.h"

namespace slm {
namespace {

constexpr char kModelFile[] = "SmolLM2-135M-Instruct.Q4_1.gguf";

struct RunResult {
  int exit_code = -1;  // 128 + signal when killed by a signal
  std::string out, err;
};

// Runs the CLI with `args`, stdin from /dev/null, stdout and stderr captured through files
// (no pipe can fill up and stall it). A run that takes more than 5 minutes is killed.
RunResult run_cli(const std::vector<std::string>& args, const std::filesystem::path& dir) {
  const std::string out_path = (dir / "stdout.txt").string();
  const std::string err_path = (dir / "stderr.txt").string();
  std::vector<std::string> argv_s = {SLM_CLI_PATH};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);

  const pid_t pid = fork();
  if (pid < 0) {
    ADD_FAILURE() << "fork failed: " << std::strerror(errno);
    return {};
  }
  if (pid == 0) {
    const int in = open("/dev/null", O_RDONLY);
    const int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (in < 0 || out < 0 || err < 0) _exit(126);
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    alarm(300);  // survives exec: SIGALRM ends a hung CLI
    execv(argv[0], argv.data());
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  RunResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = test::read_file(out_path);
  r.err = test::read_file(err_path);
  return r;
}

std::string describe(const std::vector<std::string>& args, const RunResult& r) {
  std::string s = "slm";
  for (const std::string& a : args) s += " " + a;
  return s + "\n  exit " + std::to_string(r.exit_code) + "\n  stdout: " + r.out + "\n  stderr: " + r.err;
}

// The error contract: a non-zero exit and stderr exactly "slm: error: <one line>\n".
void expect_one_line_error(const std::vector<std::string>& args, const RunResult& r, const std::string& mention) {
  SCOPED_TRACE(describe(args, r));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_LT(r.exit_code, 128) << "killed by a signal";
  EXPECT_EQ(r.err.rfind("slm: error: ", 0), 0u) << "stderr does not start with 'slm: error: '";
  ASSERT_FALSE(r.err.empty());
  EXPECT_EQ(r.err.back(), '\n');
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << "stderr is not exactly one line";
  EXPECT_NE(r.err.find(mention), std::string::npos) << "the error does not mention '" << mention << "'";
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("slm_cli_test_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  static std::string model_path() { return test::models_dir() + "/" + kModelFile; }
  std::string write(const std::string& name, const std::string& bytes) {
    const std::string p = (dir_ / name).string();
    std::ofstream out(p, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    EXPECT_TRUE(out.good()) << "cannot write " << p;
    return p;
  }
  // `slm info` and `slm run` on a model path must both fail with the one-line error.
  void expect_both_fail(const std::string& model, const std::string& mention) {
    const std::vector<std::vector<std::string>> cmds = {
        {"info", "-m", model},
        {"run", "-m", model, "-p", "Hello", "-n", "4"},
    };
    for (const auto& args : cmds) expect_one_line_error(args, run_cli(args, dir_), mention);
  }
  std::filesystem::path dir_;
};

TEST_F(CliTest, NonexistentModelPath) {
  const std::string missing = (dir_ / "no-such-dir" / "does-not-exist.gguf").string();
  expect_both_fail(missing, "does-not-exist.gguf");
}

TEST_F(CliTest, TruncatedModel) {
  SLM_REQUIRE_MODEL(kModelFile);
  const std::string full = test::read_file(model_path());
  ASSERT_GT(full.size(), 1u << 20);
  const std::string half = write("half.gguf", full.substr(0, full.size() / 2));
  expect_both_fail(half, "truncated");
}

// The first tensor's offset field is set far past the end of the file: the error must name it.
TEST_F(CliTest, CorruptTensorOffset) {
  SLM_REQUIRE_MODEL(kModelFile);
  std::string bytes = test::read_file(model_path());
  auto parsed = GgufFile::parse({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()});
  ASSERT_TRUE(parsed.ok()) << parsed.error();
  const GgufFile& f = **parsed;
  ASSERT_FALSE(f.tensors().empty());
  const GgufTensorInfo& t = f.tensors()[0];

  // The tensor's info record as written in the header: name, dims, type, offset.
  std::string rec;
  auto put = [&rec](const auto& x) { rec.append(reinterpret_cast<const char*>(&x), sizeof(x)); };
  put(static_cast<uint64_t>(t.name.size()));
  rec += t.name;
  put(static_cast<uint32_t>(t.dims.size()));
  for (int64_t d : t.dims) put(static_cast<uint64_t>(d));
  put(static_cast<uint32_t>(t.type));
  put(t.offset);
  const size_t at = bytes.find(rec);
  ASSERT_NE(at, std::string::npos) << "the info record of '" << t.name << "' was not found";
  ASSERT_LT(at, f.data_offset());
  ASSERT_EQ(bytes.find(rec, at + 1), std::string::npos) << "the info record is not unique";

  const std::string name = t.name;  // `f` views `bytes`, which is about to change
  const uint64_t huge = uint64_t{1} << 62;  // aligned, so only the bounds check can refuse it
  std::memcpy(bytes.data() + at + rec.size() - sizeof(uint64_t), &huge, sizeof(huge));
  const std::string patched = write("bad-offset.gguf", bytes);
  expect_both_fail(patched, name);
}

// `slm run` with the same --seed gives the same text; another seed gives another text.
TEST_F(CliTest, SeedIsReproducible) {
  SLM_REQUIRE_MODEL(kModelFile);
  auto gen = [&](const std::string& seed) {
    const std::vector<std::string> args = {"run", "-m", model_path(), "-p", "Once upon a time",
                                           "-n", "24", "--temp", "0.9", "--seed", seed};
    RunResult r = run_cli(args, dir_);
    EXPECT_EQ(r.exit_code, 0) << describe(args, r);
    EXPECT_FALSE(r.out.empty()) << describe(args, r);
    return r.out;
  };
  const std::string a = gen("1234");
  const std::string b = gen("1234");
  const std::string c = gen("98765");
  EXPECT_EQ(a, b) << "the same seed gave different texts";
  EXPECT_NE(a, c) << "two seeds gave the same text: " << a;
}

}  // namespace
}  // namespace slm

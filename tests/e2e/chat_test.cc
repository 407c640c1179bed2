// Chat end to end on the real SmolLM2-Instruct: multi-turn replies with KV reuse equal replies
// computed from scratch, context handling, and the `slm template` / `slm chat` commands.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "slm/chat.h"
#include "test_util.h"

namespace slm {
namespace {

constexpr const char* kSmol = "SmolLM2-135M-Instruct.Q4_1.gguf";
constexpr const char* kGemma = "gemma-3-270m-q4_k_m.gguf";

std::shared_ptr<Model> load(const char* file) {
  auto m = Model::load(test::models_dir() + "/" + file);
  EXPECT_TRUE(m.ok()) << m.error();
  return m.ok() ? *m : nullptr;
}

// n_batch 0 keeps the default. Batches of 16 tokens and more multiply packed weight panels,
// whose float rounding differs from the one-token kernels' (kernels/panel.h); a batch below 16
// keeps every forward pass on kernels that agree bit for bit whatever the batching, so that a
// reply after KV reuse can be compared token for token with one computed from scratch.
std::unique_ptr<Session> session_for(std::shared_ptr<Model> m, int n_ctx = 2048, int n_batch = 0) {
  ContextParams cp;
  cp.n_ctx = n_ctx;
  if (n_batch > 0) cp.n_batch = n_batch;
  cp.n_threads = 2;
  auto s = Session::create(std::move(m), cp);
  EXPECT_TRUE(s.ok()) << s.error();
  return s.ok() ? std::move(*s) : nullptr;
}

GenerateOptions greedy(int max_tokens) {
  GenerateOptions o;
  o.max_tokens = max_tokens;
  o.sampling.temperature = 0.0f;
  return o;
}

TEST(Chat, ThreeTurnsWithKvReuseEqualRepliesFromScratch) {
  SLM_REQUIRE_MODEL(kSmol);
  auto model = load(kSmol);
  constexpr int kBitExactBatch = 15;
  auto session = session_for(model, 2048, kBitExactBatch);
  auto tmpl = ChatTemplate::from_model(*model);
  ASSERT_TRUE(tmpl.ok()) << tmpl.error();
  ChatSession chat(*session, std::move(*tmpl), greedy(48));
  chat.set_system("You are a concise assistant.");
  const char* turns[] = {"What is the capital of France?", "And of Italy?", "Name a river in one of them."};
  int previous_prompt = 0;
  for (int i = 0; i < 3; ++i) {
    const int before = session->n_past();
    auto turn = chat.send(turns[i]);
    ASSERT_TRUE(turn.ok()) << turn.error();
    const GenerateResult& r = turn->result;
    EXPECT_FALSE(r.text.empty());
    // Only the new turn ran: everything of the previous prompt came from the cache.
    if (i > 0) {
      EXPECT_GE(r.prompt_tokens_cached, previous_prompt) << "turn " << i;
      EXPECT_LE(r.prompt_tokens_cached, before);
      EXPECT_LT(r.prompt_tokens - r.prompt_tokens_cached, r.prompt_tokens - previous_prompt + 1);
    } else {
      EXPECT_EQ(r.prompt_tokens_cached, 0);
    }
    std::printf("turn %d: %d prompt tokens, %d reused, %d run\n", i, r.prompt_tokens, r.prompt_tokens_cached,
                r.prompt_tokens - r.prompt_tokens_cached);
    previous_prompt = r.prompt_tokens;

    // The same conversation rendered whole and generated from an empty context.
    std::vector<ChatMessage> upto(chat.messages().begin(), chat.messages().end() - 1);
    auto fresh_tmpl = ChatTemplate::from_model(*model);
    auto text = fresh_tmpl->render(upto, true);
    ASSERT_TRUE(text.ok()) << text.error();
    auto fresh = session_for(model, 2048, kBitExactBatch);
    auto scratch = fresh->generate(*text, greedy(48));
    ASSERT_TRUE(scratch.ok()) << scratch.error();
    EXPECT_EQ(r.text, scratch->text) << "turn " << i;
    EXPECT_EQ(r.tokens, scratch->tokens) << "turn " << i;
    EXPECT_EQ(scratch->prompt_tokens, r.prompt_tokens);
  }
  EXPECT_EQ(chat.messages().size(), 7u);
  // Save and load round-trip.
  const std::string saved = chat.to_json();
  ChatSession other(*session, std::move(*ChatTemplate::from_model(*model)), greedy(8));
  ASSERT_TRUE(other.from_json(saved).ok());
  EXPECT_EQ(other.to_json(), saved);
}

TEST(Chat, FullContextIsAClearErrorUnlessShifting) {
  SLM_REQUIRE_MODEL(kSmol);
  auto model = load(kSmol);
  auto session = session_for(model, 160);
  ChatSession strict(*session, std::move(*ChatTemplate::from_model(*model)), greedy(24));
  strict.set_system("Be brief.");
  std::string error;
  for (int i = 0; i < 12 && error.empty(); ++i) {
    auto t = strict.send("Tell me one fact about the number " + std::to_string(i) + ".");
    if (!t.ok()) error = t.error();
  }
  EXPECT_NE(error.find("no longer fits the context of 160 tokens"), std::string::npos) << error;

  auto session2 = session_for(model, 160);
  ChatSession shifting(*session2, std::move(*ChatTemplate::from_model(*model)), greedy(24), /*context_shift=*/true);
  shifting.set_system("Be brief.");
  int dropped = 0;
  for (int i = 0; i < 12; ++i) {
    auto t = shifting.send("Tell me one fact about the number " + std::to_string(i) + ".");
    ASSERT_TRUE(t.ok()) << t.error();
    dropped += t->dropped_messages;
  }
  EXPECT_GT(dropped, 0);
  ASSERT_FALSE(shifting.messages().empty());
  EXPECT_EQ(shifting.messages().front().role, "system");
  EXPECT_EQ(shifting.messages().front().content, "Be brief.");
}

TEST(Chat, ModelWithoutTemplateNamesTheBuiltIns) {
  SLM_REQUIRE_MODEL(kGemma);
  auto model = load(kGemma);
  auto t = ChatTemplate::from_model(*model);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.error().find("--chat-template"), std::string::npos) << t.error();
  EXPECT_NE(t.error().find("gemma"), std::string::npos) << t.error();
  auto builtin = ChatTemplate::from_name_or_file("gemma");
  ASSERT_TRUE(builtin.ok()) << builtin.error();
  builtin->set_special_tokens_from(*model);
  auto text = builtin->render(std::vector<ChatMessage>{{"user", "Hi", "", "", ""}}, true);
  ASSERT_TRUE(text.ok()) << text.error();
  EXPECT_EQ(*text, "<bos><start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\n");
}

// Runs the CLI with stdin from a file; returns stdout, sets the exit code.
std::string run_cli(const std::string& args, const std::string& stdin_text, int* exit_code) {
  const auto dir = std::filesystem::temp_directory_path();
  const std::string in = (dir / "slm_chat_test_in.txt").string(), out = (dir / "slm_chat_test_out.txt").string();
  std::ofstream(in) << stdin_text;
  const int rc = std::system((std::string(SLM_CLI_PATH) + " " + args + " < " + in + " > " + out + " 2>/dev/null").c_str());
  *exit_code = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  return test::read_file(out);
}

TEST(ChatCli, TemplateCommandPrintsExactlyTheRendering) {
  const auto dir = std::filesystem::temp_directory_path();
  const std::string msgs = (dir / "slm_template_msgs.json").string();
  std::ofstream(msgs) << R"([{"role":"system","content":"S"},{"role":"user","content":"Hi"}])";
  int rc = 0;
  const std::string out = run_cli("template --chat-template chatml --messages " + msgs + " --add-generation-prompt", "", &rc);
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(out, "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
  const std::string bad = (dir / "slm_template_bad.json").string();
  std::ofstream(bad) << "{not json";
  run_cli("template --chat-template chatml --messages " + bad, "", &rc);
  EXPECT_EQ(rc, 1);
}

TEST(ChatCli, PipedInputGivesOneReplyPerLine) {
  SLM_REQUIRE_MODEL(kSmol);
  int rc = 0;
  const std::string out = run_cli("chat -m " + test::models_dir() + "/" + kSmol + " --temp 0 -n 16 -q -t 2",
                                  "Hello!\n/reset\nWhat is 2+2?\n", &rc);
  EXPECT_EQ(rc, 0);
  EXPECT_FALSE(out.empty());
  // Replies are the same as through the library.
  auto model = load(kSmol);
  auto session = session_for(model);
  ChatSession chat(*session, std::move(*ChatTemplate::from_model(*model)), greedy(16));
  auto first = chat.send("Hello!");
  ASSERT_TRUE(first.ok());
  chat.reset();
  auto second = chat.send("What is 2+2?");
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(out, first->result.text + "\n" + second->result.text + "\n");
}

}  // namespace
}  // namespace slm

// Tests of the sampler: each stage against small hand-computed cases and against brute-force
// references on big random vocabularies, the penalties, the sampled distribution, seeding and
// validate().
#include "sampling/sampler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "sampling/rng.h"
#include "sampling/simd.h"
#include "sampling/stages.h"
#include "slm/sampler_params.h"

namespace slm {
namespace {

using sampling::Candidate;

// Random logits from our own generator (portable), roughly N(0, 3)-ish spread.
std::vector<float> random_logits(size_t n, uint64_t seed, float scale = 3.0f) {
  sampling::Rng rng(seed);
  std::vector<float> v(n);
  for (auto& x : v) x = scale * (rng.uniform() + rng.uniform() + rng.uniform() - 1.5f) * 2.0f;
  return v;
}

SamplerParams plain(float temperature = 1.0f) {
  SamplerParams p;
  p.temperature = temperature;
  p.top_k = 0;
  p.top_p = 1.0f;
  p.min_p = 0.0f;
  return p;
}

std::vector<float> log_probs(std::initializer_list<float> probs) {
  std::vector<float> v;
  for (float p : probs) v.push_back(std::log(p));
  return v;
}

std::vector<Candidate> all_candidates(const std::vector<float>& x) {
  std::vector<Candidate> c(x.size());
  for (size_t i = 0; i < x.size(); ++i) c[i] = {x[i], static_cast<int32_t>(i)};
  return c;
}

// ---------------------------------------------------------------- building blocks

TEST(SamplerRng, MatchesXoshiro256StarStarReference) {
  // Values of splitmix64-seeded xoshiro256** for seed 42, computed independently.
  sampling::Rng rng(42);
  EXPECT_EQ(rng.next(), 0x15780b2e0c2ec716ull);
  EXPECT_EQ(rng.next(), 0x6104d9866d113a7eull);
  EXPECT_EQ(rng.next(), 0xae17533239e499a1ull);
  EXPECT_EQ(rng.next(), 0xecb8ad4703b360a1ull);
}

TEST(SamplerRng, UniformIsInHalfOpenUnitInterval) {
  sampling::Rng rng(7);
  double sum = 0;
  for (int i = 0; i < 100000; ++i) {
    const float u = rng.uniform();
    ASSERT_GE(u, 0.0f);
    ASSERT_LT(u, 1.0f);
    sum += u;
  }
  EXPECT_NEAR(sum / 100000, 0.5, 0.005);
}

TEST(SamplerMath, FastExpIsAccurate) {
  for (float x = -87.0f; x <= 0.0f; x += 0.0137f) {
    const double want = std::exp(static_cast<double>(x));
    ASSERT_NEAR(sampling::fast_exp(x) / want, 1.0, 1e-6) << "x=" << x;
  }
  EXPECT_EQ(sampling::fast_exp(0.0f), 1.0f);
  EXPECT_EQ(sampling::fast_exp(-100.0f), 0.0f);
  EXPECT_EQ(sampling::fast_exp(-INFINITY), 0.0f);
}

TEST(SamplerMath, VectorExpEqualsScalarBitForBit) {
  // The vocabulary passes use the vector form, the small lists the scalar one; they must agree
  // exactly for the sampler to be reproducible.
  sampling::Rng rng(3);
  for (int i = 0; i < 100000; ++i) {
    sampling::simd::f4 v;
    for (int j = 0; j < 4; ++j) v[j] = -100.0f * rng.uniform();
    const sampling::simd::f4 e = sampling::simd::fast_exp(v);
    for (int j = 0; j < 4; ++j) ASSERT_EQ(e[j], sampling::fast_exp(v[j])) << v[j];
  }
}

TEST(SamplerMath, ArgmaxTiesToLowest) {
  const std::vector<float> x = {1.0f, 3.0f, -2.0f, 3.0f, 0.5f};
  EXPECT_EQ(sampling::argmax(x.data(), x.size()), 1);
  std::vector<float> big(1000, -1.0f);
  big[977] = 5.0f;
  big[513] = 5.0f;
  EXPECT_EQ(sampling::argmax(big.data(), big.size()), 513);
}

// ---------------------------------------------------------------- stages, hand-computed

TEST(SamplerStages, TopKKeepsBestSortedWithTiesToLowestId) {
  const std::vector<float> x = {0.5f, 2.0f, -1.0f, 2.0f, 1.0f};
  std::vector<Candidate> out(x.size());
  ASSERT_EQ(sampling::top_k(x.data(), x.size(), 3, out.data()), 3u);
  EXPECT_EQ(out[0].id, 1);
  EXPECT_EQ(out[1].id, 3);
  EXPECT_EQ(out[2].id, 4);
  ASSERT_EQ(sampling::top_k(x.data(), x.size(), 1, out.data()), 1u);
  EXPECT_EQ(out[0].id, 1);
}

TEST(SamplerStages, TopKMatchesFullSortOnBigVocab) {
  for (uint64_t seed : {1u, 2u, 3u}) {
    auto x = random_logits(seed == 3 ? 1003 : 262144, seed);
    x[x.size() / 3] = x[x.size() / 2] = 40.0f;  // a tie at the very top
    auto ref = all_candidates(x);
    std::sort(ref.begin(), ref.end(), sampling::better);
    for (size_t k : {1u, 40u, 1000u}) {
      std::vector<Candidate> out(x.size());
      ASSERT_EQ(sampling::top_k(x.data(), x.size(), k, out.data()), k);
      for (size_t i = 0; i < k; ++i) {
        ASSERT_EQ(out[i].id, ref[i].id) << "k=" << k << " i=" << i;
        ASSERT_EQ(out[i].logit, ref[i].logit);
      }
    }
  }
}

TEST(SamplerStages, TopPSortedHandComputed) {
  // Probabilities 0.5, 0.3, 0.15, 0.05: cumulative 0.5, 0.8, 0.95, 1.
  const auto x = log_probs({0.5f, 0.3f, 0.15f, 0.05f});
  const auto c = all_candidates(x);
  std::vector<float> w(4);
  EXPECT_EQ(sampling::top_p_sorted(c.data(), 4, 0.4f, w.data()), 1u);
  EXPECT_EQ(sampling::top_p_sorted(c.data(), 4, 0.75f, w.data()), 2u);
  EXPECT_EQ(sampling::top_p_sorted(c.data(), 4, 0.9f, w.data()), 3u);
  EXPECT_EQ(sampling::top_p_sorted(c.data(), 4, 0.97f, w.data()), 4u);
  EXPECT_EQ(sampling::top_p_sorted(c.data(), 4, 1.0f, w.data()), 4u);
  // Renormalized over the two survivors: 0.5/0.8 and 0.3/0.8.
  std::vector<float> probs(2);
  sampling::softmax(c.data(), 2, 1.0f, probs.data());
  EXPECT_NEAR(probs[0], 0.625f, 1e-6);
  EXPECT_NEAR(probs[1], 0.375f, 1e-6);
}

TEST(SamplerStages, TopPFullHandComputed) {
  // The same distribution scattered over ids: id2 0.5, id0 0.3, id3 0.15, id1 0.05.
  const auto x = log_probs({0.3f, 0.05f, 0.5f, 0.15f});
  std::vector<Candidate> out(4);
  ASSERT_EQ(sampling::top_p_full(x.data(), 4, 0.75f, out.data()), 2u);
  EXPECT_EQ(out[0].id, 2);
  EXPECT_EQ(out[1].id, 0);
  ASSERT_EQ(sampling::top_p_full(x.data(), 4, 0.9f, out.data()), 3u);
  EXPECT_EQ(out[2].id, 3);
  ASSERT_EQ(sampling::top_p_full(x.data(), 4, 0.4f, out.data()), 1u);
  EXPECT_EQ(out[0].id, 2);
}

// Brute force: sort everything, accumulate in double.
size_t reference_top_p(const std::vector<float>& x, float p, std::vector<Candidate>* sorted) {
  *sorted = all_candidates(x);
  std::sort(sorted->begin(), sorted->end(), sampling::better);
  const double m = (*sorted)[0].logit;
  double total = 0;
  for (const auto& c : *sorted) total += std::exp(c.logit - m);
  double cum = 0;
  for (size_t i = 0; i < sorted->size(); ++i) {
    cum += std::exp((*sorted)[i].logit - m);
    if (cum >= p * total) return i + 1;
  }
  return sorted->size();
}

TEST(SamplerStages, TopPFullMatchesFullSortOnBigVocab) {
  for (float scale : {0.3f, 3.0f, 10.0f}) {  // flat to peaked
    const auto x = random_logits(49157, 11, scale);  // not a multiple of the vector step
    for (float p : {0.1f, 0.5f, 0.95f}) {
      std::vector<Candidate> ref;
      const size_t want = reference_top_p(x, p, &ref);
      std::vector<Candidate> out(x.size());
      const size_t got = sampling::top_p_full(x.data(), x.size(), p, out.data());
      // Float vs double accumulation may move the cut by one at the boundary.
      ASSERT_NEAR(static_cast<double>(got), static_cast<double>(want), 1.0)
          << "scale=" << scale << " p=" << p;
      for (size_t i = 0; i < std::min(got, want); ++i) ASSERT_EQ(out[i].id, ref[i].id);
    }
  }
}

TEST(SamplerStages, MinPHandComputed) {
  // Probabilities 0.5, 0.3, 0.15, 0.05; min_p 0.2 => keep p >= 0.1: three survive.
  const auto x = log_probs({0.5f, 0.3f, 0.15f, 0.05f});
  const auto c = all_candidates(x);
  EXPECT_EQ(sampling::min_p_sorted(c.data(), 4, 0.2f), 3u);
  EXPECT_EQ(sampling::min_p_sorted(c.data(), 4, 0.7f), 1u);   // 0.3/0.5 = 0.6 < 0.7
  EXPECT_EQ(sampling::min_p_sorted(c.data(), 4, 0.5f), 2u);   // 0.6 >= 0.5
  EXPECT_EQ(sampling::min_p_sorted(c.data(), 4, 0.05f), 4u);  // 0.1 >= 0.05
  std::vector<float> probs(3);
  sampling::softmax(c.data(), 3, 1.0f, probs.data());
  EXPECT_NEAR(probs[0], 0.5f / 0.95f, 1e-6);
  EXPECT_NEAR(probs[1], 0.3f / 0.95f, 1e-6);
  EXPECT_NEAR(probs[2], 0.15f / 0.95f, 1e-6);

  // Over the whole vocabulary the survivors come in id order.
  const auto y = log_probs({0.15f, 0.05f, 0.5f, 0.3f});
  std::vector<Candidate> out(4);
  ASSERT_EQ(sampling::min_p_full(y.data(), 4, 0.2f, out.data()), 3u);
  EXPECT_EQ(out[0].id, 0);
  EXPECT_EQ(out[1].id, 2);
  EXPECT_EQ(out[2].id, 3);
}

TEST(SamplerStages, TemperatureScalesTheSoftmax) {
  // Logits 0 and ln 4 at temperature 2: weights 1 and 2.
  const std::vector<Candidate> c = {{std::log(4.0f), 1}, {0.0f, 0}};
  std::vector<float> probs(2);
  sampling::softmax(c.data(), 2, 2.0f, probs.data());
  EXPECT_NEAR(probs[0], 2.0f / 3.0f, 1e-6);
  EXPECT_NEAR(probs[1], 1.0f / 3.0f, 1e-6);
  sampling::softmax(c.data(), 2, 0.5f, probs.data());  // weights 1 and 16
  EXPECT_NEAR(probs[0], 16.0f / 17.0f, 1e-6);
}

TEST(SamplerStages, DrawPicksByCumulativeWeight) {
  // Probabilities 0.25, 0.75 (in list order).
  const std::vector<Candidate> c = {{std::log(0.25f), 5}, {std::log(0.75f), 9}};
  std::vector<float> w(2);
  EXPECT_EQ(sampling::draw(c.data(), 2, 1.0f, 0.0f, w.data()), 5);
  EXPECT_EQ(sampling::draw(c.data(), 2, 1.0f, 0.2499f, w.data()), 5);
  EXPECT_EQ(sampling::draw(c.data(), 2, 1.0f, 0.2501f, w.data()), 9);
  EXPECT_EQ(sampling::draw(c.data(), 2, 1.0f, 0.99999994f, w.data()), 9);
}

// ---------------------------------------------------------------- the Sampler

TEST(Sampler, GreedyPicksArgmaxTiesToLowest) {
  Sampler s(plain(0.0f), 5);
  const std::vector<float> x = {1.0f, 3.0f, -2.0f, 3.0f, 0.5f};
  EXPECT_EQ(s.sample(x), 1);
  SamplerParams neg = plain(-1.0f);
  Sampler s2(neg, 5);
  EXPECT_EQ(s2.sample(x), 1);
}

TEST(Sampler, TopK1EqualsGreedy) {
  SamplerParams p;  // the default chain, top_k = 1
  p.top_k = 1;
  p.temperature = 1.5f;
  Sampler s(p, 4096);
  for (uint64_t seed = 0; seed < 50; ++seed) {
    auto x = random_logits(4096, seed);
    x[4000] = x[100] = 99.0f;  // tie: the lower id wins
    ASSERT_EQ(s.sample(x), 100);
    x[100] = 0.0f;
    ASSERT_EQ(s.sample(x), sampling::argmax(x.data(), x.size()));
  }
}

TEST(Sampler, PenaltiesHandComputed) {
  SamplerParams p = plain();
  p.repeat_penalty = 2.0f;
  p.frequency_penalty = 0.1f;
  p.presence_penalty = 0.5f;
  p.repeat_last_n = 64;
  Sampler s(p, 5);
  for (int32_t t : {0, 1, 0, 4}) s.accept(t);
  std::vector<float> x = {2.0f, -1.0f, 0.5f, 3.0f, 0.0f};
  s.penalize(x);
  EXPECT_FLOAT_EQ(x[0], 2.0f / 2 - 2 * 0.1f - 0.5f);   // positive: divided; seen twice
  EXPECT_FLOAT_EQ(x[1], -1.0f * 2 - 0.1f - 0.5f);      // negative: multiplied
  EXPECT_FLOAT_EQ(x[2], 0.5f);                         // not seen
  EXPECT_FLOAT_EQ(x[3], 3.0f);                         // not seen
  EXPECT_FLOAT_EQ(x[4], 0.0f * 2 - 0.1f - 0.5f);       // zero counts as non-positive

  s.reset();  // forgets the history
  std::vector<float> y = {2.0f, -1.0f, 0.5f, 3.0f, 0.0f};
  s.penalize(y);
  EXPECT_EQ(y, (std::vector<float>{2.0f, -1.0f, 0.5f, 3.0f, 0.0f}));
}

TEST(Sampler, PenaltyWindow) {
  SamplerParams p = plain();
  p.repeat_penalty = 2.0f;
  p.repeat_last_n = 2;
  Sampler s(p, 5);
  for (int32_t t : {0, 1, 0, 4}) s.accept(t);  // window: {0, 4}
  std::vector<float> x = {2.0f, 2.0f, 2.0f, 2.0f, 2.0f};
  s.penalize(x);
  EXPECT_EQ(x, (std::vector<float>{1.0f, 2.0f, 2.0f, 2.0f, 1.0f}));

  p.repeat_last_n = -1;  // whole history
  Sampler all(p, 5);
  for (int i = 0; i < 1000; ++i) all.accept(3);
  all.accept(1);
  std::vector<float> y = {2.0f, 2.0f, 2.0f, 2.0f, 2.0f};
  all.penalize(y);
  EXPECT_EQ(y, (std::vector<float>{2.0f, 1.0f, 2.0f, 1.0f, 2.0f}));

  p.repeat_last_n = 0;  // off
  Sampler off(p, 5);
  off.accept(2);
  std::vector<float> z = {2.0f, 2.0f, 2.0f, 2.0f, 2.0f};
  off.penalize(z);
  EXPECT_EQ(z, (std::vector<float>{2.0f, 2.0f, 2.0f, 2.0f, 2.0f}));
}

TEST(Sampler, PenaltyChangesGreedyAndLeavesCallerLogitsAlone) {
  SamplerParams p = plain(0.0f);
  p.repeat_penalty = 1.1f;
  Sampler s(p, 2);
  const std::vector<float> x = {3.0f, 2.9f};
  EXPECT_EQ(s.sample(x), 0);
  s.accept(0);
  EXPECT_EQ(s.sample(x), 1);  // 3 / 1.1 = 2.73 < 2.9
  EXPECT_EQ(x, (std::vector<float>{3.0f, 2.9f}));
}

// Samples `draws` times and checks every frequency is within 1% (absolute) of `want`.
void expect_distribution(const SamplerParams& p, const std::vector<float>& logits,
                         const std::vector<double>& want, int draws = 100000) {
  Sampler s(p, static_cast<int32_t>(logits.size()));
  std::vector<int> hits(logits.size(), 0);
  for (int i = 0; i < draws; ++i) ++hits[static_cast<size_t>(s.sample(logits))];
  for (size_t t = 0; t < logits.size(); ++t)
    EXPECT_NEAR(static_cast<double>(hits[t]) / draws, want[t], 0.01) << "token " << t;
}

TEST(Sampler, DistributionOverWholeVocab) {
  expect_distribution(plain(), log_probs({0.1f, 0.2f, 0.3f, 0.4f}), {0.1, 0.2, 0.3, 0.4});
}

TEST(Sampler, DistributionThroughEachPath) {
  // A fifth, masked token makes top_k = 4 a real filter (k < vocab).
  auto x = log_probs({0.1f, 0.2f, 0.3f, 0.4f});
  x.push_back(-INFINITY);
  const std::vector<double> want = {0.1, 0.2, 0.3, 0.4, 0.0};
  SamplerParams p = plain();
  p.top_k = 4;
  expect_distribution(p, x, want);
  p = plain();
  p.top_p = 0.999f;
  expect_distribution(p, x, want);
  p = plain();
  p.min_p = 0.01f;
  expect_distribution(p, x, want);
}

TEST(Sampler, DistributionWithTemperatureAndFilters) {
  // Temperature 2 flattens p to sqrt(p); top_p 0.75 then keeps 0.5 and 0.3 (renormalized
  // before temperature): weights sqrt(.5), sqrt(.3).
  SamplerParams p = plain(2.0f);
  p.top_p = 0.75f;
  const double a = std::sqrt(0.5), b = std::sqrt(0.3);
  expect_distribution(p, log_probs({0.3f, 0.05f, 0.5f, 0.15f}), {b / (a + b), 0, a / (a + b), 0});
}

TEST(Sampler, SameSeedSameSequenceDifferentSeedDifferent) {
  SamplerParams p;  // default chain
  p.temperature = 1.0f;
  p.seed = 1234;
  const auto x = random_logits(49152, 5, 1.0f);
  auto run = [&](const SamplerParams& q) {
    Sampler s(q, 49152);
    std::vector<int32_t> seq;
    for (int i = 0; i < 64; ++i) seq.push_back(s.sample(x));
    return seq;
  };
  const auto a = run(p);
  EXPECT_EQ(a, run(p));
  SamplerParams q = p;
  q.seed = 1235;
  EXPECT_NE(a, run(q));
  // reset() replays from the start.
  Sampler s(p, 49152);
  for (int i = 0; i < 10; ++i) s.sample(x);
  s.reset();
  std::vector<int32_t> again;
  for (int i = 0; i < 64; ++i) again.push_back(s.sample(x));
  EXPECT_EQ(a, again);
}

TEST(Sampler, GoldenSequence) {
  // Pins the exact output for a fixed seed, so a change to the PRNG, the exp, the summation
  // order or the chain that would alter users' reproducible runs fails here (on any platform).
  SamplerParams p;
  p.temperature = 1.0f;
  p.top_k = 0;
  p.top_p = 0.9f;
  p.min_p = 0.0f;
  p.repeat_penalty = 1.1f;
  p.seed = 42;
  const auto x = random_logits(1000, 9, 1.0f);
  Sampler s(p, 1000);
  std::vector<int32_t> seq;
  for (int i = 0; i < 12; ++i) {
    seq.push_back(s.sample(x));
    s.accept(seq.back());
  }
  const std::vector<int32_t> want = {803, 461, 312, 659, 863, 607, 203, 273, 922, 286, 690, 743};
  EXPECT_EQ(seq, want);
}

TEST(Sampler, RandomSeedSentinel) {
  SamplerParams p;
  p.seed = kRandomSeed;
  Sampler a(p, 10), b(p, 10);
  EXPECT_NE(a.seed(), kRandomSeed);
  EXPECT_NE(a.seed(), b.seed());  // 2^-64 chance of a false failure
  p.seed = 0xFFFFFFFF;            // the default is a fixed seed
  EXPECT_EQ(Sampler(p, 10).seed(), 0xFFFFFFFFu);
}

TEST(Sampler, MaskedTokensAreNeverDrawn) {
  std::vector<float> x(1000, -INFINITY);
  x[17] = 1.0f;
  x[500] = 1.0f;
  for (SamplerParams p : {SamplerParams{}, plain()}) {
    Sampler s(p, 1000);
    for (int i = 0; i < 200; ++i) {
      const int32_t t = s.sample(x);
      ASSERT_TRUE(t == 17 || t == 500) << t;
    }
  }
  std::vector<float> none(10, -INFINITY);  // all masked: any valid id, no crash
  Sampler s(SamplerParams{}, 10);
  const int32_t t = s.sample(none);
  EXPECT_TRUE(t >= 0 && t < 10);
}

// ---------------------------------------------------------------- validate()

void expect_rejected(const SamplerParams& p, const std::string& field, const std::string& value) {
  const Status st = validate(p);
  ASSERT_FALSE(st.ok()) << field;
  EXPECT_NE(st.message().find(field), std::string::npos) << st.message();
  EXPECT_NE(st.message().find(value), std::string::npos) << st.message();
}

TEST(SamplerValidate, AcceptsDefaultsAndEdges) {
  EXPECT_TRUE(validate(SamplerParams{}).ok());
  SamplerParams p;
  p.temperature = 0.0f;
  p.top_k = 0;
  p.top_p = 1.0f;
  p.min_p = 0.0f;
  p.repeat_last_n = -1;
  p.frequency_penalty = -0.5f;
  EXPECT_TRUE(validate(p).ok());
}

TEST(SamplerValidate, RejectsBadValuesNamingThem) {
  SamplerParams p;
  p.top_p = 0.0f;
  expect_rejected(p, "top_p", "got 0");
  p.top_p = 1.5f;
  expect_rejected(p, "top_p", "got 1.5");
  p = {};
  p.top_p = NAN;
  expect_rejected(p, "top_p", "nan");
  p = {};
  p.min_p = -0.1f;
  expect_rejected(p, "min_p", "got -0.1");
  p = {};
  p.min_p = 2.0f;
  expect_rejected(p, "min_p", "got 2");
  p = {};
  p.temperature = INFINITY;
  expect_rejected(p, "temperature", "inf");
  p = {};
  p.repeat_penalty = 0.0f;
  expect_rejected(p, "repeat_penalty", "got 0");
  p = {};
  p.repeat_last_n = -2;
  expect_rejected(p, "repeat_last_n", "got -2");
  p = {};
  p.frequency_penalty = NAN;
  expect_rejected(p, "frequency_penalty", "nan");
  p = {};
  p.presence_penalty = -INFINITY;
  expect_rejected(p, "presence_penalty", "inf");
}

}  // namespace
}  // namespace slm

// Shared helpers for tests: where the shared test data, the committed goldens and the model
// cache are, and skipping with a clear message when data that a test needs is absent.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace slm::test {

inline std::string testdata_dir() {
  if (const char* e = std::getenv("SLM_TESTDATA_DIR"); e && *e) return e;
  return SLM_TESTDATA_DIR;
}
inline std::string golden_dir() { return SLM_GOLDEN_DIR; }

// Model cache: $SLM_MODELS_DIR, else $XDG_CACHE_HOME/slm/models, else ~/.cache/slm/models
// (the same rule as the engine's model resolver and tools/fetch_models.sh).
inline std::string models_dir() {
  if (const char* e = std::getenv("SLM_MODELS_DIR"); e && *e) return e;
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return std::string(x) + "/slm/models";
  const char* home = std::getenv("HOME");
  return std::string(home ? home : ".") + "/.cache/slm/models";
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace slm::test

// Skips the current test when the shared test data path is missing.
#define SLM_REQUIRE_TESTDATA(relpath)                                                       \
  do {                                                                                      \
    const std::string _p = ::slm::test::testdata_dir() + "/" + (relpath);                  \
    if (!std::filesystem::exists(_p))                                                       \
      GTEST_SKIP() << "shared test data not found: " << _p                                  \
                   << " (clone the project beside shared/ or set SLM_TESTDATA_DIR)";        \
  } while (0)

// Skips the current test when a model file is not in the cache.
#define SLM_REQUIRE_MODEL(filename)                                                         \
  do {                                                                                      \
    const std::string _p = ::slm::test::models_dir() + "/" + (filename);                   \
    if (!std::filesystem::exists(_p))                                                       \
      GTEST_SKIP() << "model not found: " << _p << " (run tools/fetch_models.sh)";          \
  } while (0)

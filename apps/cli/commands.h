// The subcommands of `slm`. Each registers its options on the CLI11 app and returns the action
// to run after parsing. Actions return the process exit code; errors are printed by fail().
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>

#include "slm/sampler_params.h"
#include "slm/status.h"

namespace slm::cli {

using Action = std::function<int()>;

Action add_run(CLI::App& app);
Action add_info(CLI::App& app);
Action add_tokenize(CLI::App& app);
Action add_detokenize(CLI::App& app);
Action add_bench(CLI::App& app);
Action add_chat(CLI::App& app);
Action add_template(CLI::App& app);

// The sampling options shared by run and chat (--temp, --top-k, ..., --seed).
void add_sampling_options(CLI::App& app, SamplerParams& p);

// Prints "slm: error: <message>" as one line on stderr and returns the exit code 1.
int fail(const std::string& message);
inline int fail(const Status& s) { return fail(s.message()); }

}  // namespace slm::cli

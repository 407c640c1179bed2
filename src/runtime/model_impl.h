// What a loaded Model holds: the mapped GGUF file, the architecture's config and weight views,
// and the tokenizer. Internal; the public face is include/slm/slm.h.
#pragma once

#include <memory>

#include "arch/registry.h"
#include "base/page_buffer.h"
#include "formats/gguf.h"
#include "slm/slm.h"
#include "tokenizer/tokenizer.h"

namespace slm {

struct Model::Impl {
  std::unique_ptr<GgufFile> gguf;  // owns the mapping every view below points into
  const Architecture* arch = nullptr;
  ModelConfig config;
  ModelWeights weights;
  PageBuffer panels;  // the resident panels weights' matrices point into (runtime/resident_panels.h)
  std::unique_ptr<Tokenizer> tokenizer;
  ModelInfo info;
  std::string_view chat_template;
};

}  // namespace slm

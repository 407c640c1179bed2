// A read-only memory mapping of a whole file. Weights are views into it; nothing is copied.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "slm/status.h"

namespace slm {

class MappedFile {
 public:
  static Expected<std::unique_ptr<MappedFile>> open(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  std::span<const uint8_t> bytes() const { return {data_, size_}; }
  // Drops the whole pages inside [p, p + n) from this process's resident memory (the page cache
  // keeps them; a later read maps them back): for bytes copied elsewhere at load. No-op for
  // ranges outside the mapping.
  void release(const uint8_t* p, size_t n) const;
  const std::string& path() const { return path_; }

 private:
  MappedFile() = default;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  std::string path_;
};

}  // namespace slm

// A private anonymous memory block, zero-filled, whose pages become resident when first touched.
//  - Huge pages, for data built at load time (resident weight panels): the start is 2 MiB aligned
//    and the kernel is asked for transparent huge pages (MADV_HUGEPAGE). Streaming weights
//    through 2 MiB pages instead of 4 KiB ones takes the page walks and most TLB misses out of
//    token generation (measured: 23 -> 31 GB/s for one reading thread).
//  - Small pages, for data written a little at a time (the KV cache): MADV_NOHUGEPAGE, so that
//    resident memory grows 4 KiB at a time with what is written, even where the system's huge
//    page setting is "always".
#pragma once

#include <cstddef>
#include <cstdint>

#include "slm/status.h"

namespace slm {

class PageBuffer {
 public:
  PageBuffer() = default;
  enum class Pages { kHuge, kSmall };
  // `what` names the contents in the error message ("packed weights").
  static Expected<PageBuffer> allocate(size_t bytes, Pages pages, const char* what);
  ~PageBuffer();
  PageBuffer(PageBuffer&& o) noexcept;
  PageBuffer& operator=(PageBuffer&& o) noexcept;
  PageBuffer(const PageBuffer&) = delete;
  PageBuffer& operator=(const PageBuffer&) = delete;

  uint8_t* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  void* mapping_ = nullptr;  // what mmap returned (for huge pages data_ is rounded up to 2 MiB inside it)
  size_t mapping_size_ = 0;
  uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace slm

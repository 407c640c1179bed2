// A private anonymous memory block for data built at load time (resident weight panels). Its start
// is 2 MiB aligned and the kernel is asked for transparent huge pages (MADV_HUGEPAGE): streaming
// weights through 2 MiB pages instead of 4 KiB ones takes the page walks and most TLB misses out
// of token generation (measured on this machine: 23 -> 31 GB/s for one reading thread).
#pragma once

#include <cstddef>
#include <cstdint>

#include "slm/status.h"

namespace slm {

class PageBuffer {
 public:
  PageBuffer() = default;
  static Expected<PageBuffer> allocate(size_t bytes);  // zero-filled
  ~PageBuffer();
  PageBuffer(PageBuffer&& o) noexcept;
  PageBuffer& operator=(PageBuffer&& o) noexcept;
  PageBuffer(const PageBuffer&) = delete;
  PageBuffer& operator=(const PageBuffer&) = delete;

  uint8_t* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  void* mapping_ = nullptr;  // what mmap returned (data_ rounded up to 2 MiB inside it)
  size_t mapping_size_ = 0;
  uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace slm

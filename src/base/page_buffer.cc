#include "base/page_buffer.h"

#include <sys/mman.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

namespace slm {
namespace {
constexpr size_t kHugePage = size_t{2} << 20;
}

Expected<PageBuffer> PageBuffer::allocate(size_t bytes, Pages pages, const char* what) {
  PageBuffer b;
  if (bytes == 0) return b;
  const bool huge = pages == Pages::kHuge;
  // Huge pages: over-allocate by one huge page so that an aligned start exists inside the mapping.
  b.mapping_size_ = huge ? bytes + kHugePage : bytes;
  void* p = ::mmap(nullptr, b.mapping_size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED)
    return Status::Error("cannot allocate " + std::to_string((bytes + (1 << 20) - 1) >> 20) + " MiB for " + what + ": " +
                         std::strerror(errno));
  b.mapping_ = p;
  b.size_ = bytes;
  if (!huge) {
    b.data_ = static_cast<uint8_t*>(p);
#ifdef MADV_NOHUGEPAGE
    ::madvise(p, bytes, MADV_NOHUGEPAGE);  // advice only: may fail
#endif
    return b;
  }
  b.data_ = reinterpret_cast<uint8_t*>((reinterpret_cast<uintptr_t>(p) + kHugePage - 1) & ~(kHugePage - 1));
#ifdef MADV_HUGEPAGE
  ::madvise(b.data_, (bytes + kHugePage - 1) / kHugePage * kHugePage, MADV_HUGEPAGE);  // advice only: may fail
#endif
  return b;
}

PageBuffer::~PageBuffer() {
  if (mapping_) ::munmap(mapping_, mapping_size_);
}

PageBuffer::PageBuffer(PageBuffer&& o) noexcept { *this = std::move(o); }

PageBuffer& PageBuffer::operator=(PageBuffer&& o) noexcept {
  if (this != &o) {
    if (mapping_) ::munmap(mapping_, mapping_size_);
    mapping_ = std::exchange(o.mapping_, nullptr);
    mapping_size_ = std::exchange(o.mapping_size_, 0);
    data_ = std::exchange(o.data_, nullptr);
    size_ = std::exchange(o.size_, 0);
  }
  return *this;
}

}  // namespace slm

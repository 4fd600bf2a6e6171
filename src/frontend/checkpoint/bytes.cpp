#include "frontend/checkpoint/bytes.h"

#include <sys/mman.h>

#include <cstdint>

namespace mlexport::frontend::checkpoint::detail {

namespace {

constexpr size_t kHugePage = size_t(2) << 20;
constexpr size_t kHintFrom = size_t(4) << 20;

// Reserves n bytes (untouched) and marks their whole 2 MiB-aligned interior MADV_HUGEPAGE. Only a
// hint: without transparent huge pages (or for memory malloc reuses) nothing changes.
std::shared_ptr<std::vector<std::byte>> reserved(size_t n) {
  auto v = std::make_shared<std::vector<std::byte>>();
  v->reserve(n);
  if (n >= kHintFrom) {
    const auto p = reinterpret_cast<uintptr_t>(v->data());
    const uintptr_t begin = (p + kHugePage - 1) & ~(kHugePage - 1);
    const uintptr_t end = (p + n) & ~(kHugePage - 1);
    if (end > begin) ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
  }
  return v;
}

}  // namespace

std::shared_ptr<std::vector<std::byte>> copy_of(const std::byte* src, size_t n) {
  auto v = reserved(n);
  v->insert(v->end(), src, src + n);
  return v;
}

std::shared_ptr<std::vector<std::byte>> zeroed(size_t n) {
  auto v = reserved(n);
  v->resize(n);
  return v;
}

}  // namespace mlexport::frontend::checkpoint::detail

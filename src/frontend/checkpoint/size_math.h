// Checked arithmetic on sizes read from untrusted files: false on overflow instead of a wrapped
// number that would pass a bounds check.
#pragma once

#include <cstdint>

namespace mlexport::frontend::checkpoint::detail {

inline bool mul_ok(uint64_t a, uint64_t b, uint64_t* out) {
  return !__builtin_mul_overflow(a, b, out);
}
inline bool add_ok(uint64_t a, uint64_t b, uint64_t* out) {
  return !__builtin_add_overflow(a, b, out);
}

}  // namespace mlexport::frontend::checkpoint::detail

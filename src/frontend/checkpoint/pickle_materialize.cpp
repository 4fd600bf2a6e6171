// Tensor bytes out of their storages, after unpickling (a legacy file stores its storages after
// the pickle; a zip file holds one record per storage). materialize() bounds the total output,
// checks each view against its storage and copies it into a dense row-major buffer; copy_strided()
// is the block-wise strided copy it and numpy's Fortran-order arrays use.
#include "frontend/checkpoint/pickle_materialize.h"

#include <cstring>

#include "frontend/checkpoint/bytes.h"
#include "frontend/checkpoint/pickle.h"
#include "frontend/checkpoint/size_math.h"
#include "mlexport/diagnostics.h"

namespace mlexport::frontend::checkpoint::detail {
namespace {

template <size_t N>
void copy_elements(const std::byte* src, int64_t stride_bytes, int64_t count, std::byte* out) {
  for (int64_t k = 0; k < count; ++k) std::memcpy(out + k * N, src + k * stride_bytes, N);
}

}  // namespace

// Row-major copy of a strided view: the innermost dimensions that are already contiguous are copied
// as one block; the rest is walked with an odometer.
void copy_strided(const std::byte* base, size_t itemsize, int64_t offset,
                  const std::vector<int64_t>& sizes, const std::vector<int64_t>& strides,
                  std::byte* out) {
  // Drop size-1 dimensions: their stride never matters.
  std::vector<int64_t> sz, st;
  for (size_t d = 0; d < sizes.size(); ++d)
    if (sizes[d] != 1) {
      sz.push_back(sizes[d]);
      st.push_back(strides[d]);
    }
  for (int64_t d : sz)
    if (d == 0) return;
  // Innermost contiguous block.
  int64_t block = 1;
  size_t inner = sz.size();
  while (inner > 0 && st[inner - 1] == block) {
    block *= sz[inner - 1];
    --inner;
  }
  const std::byte* src0 = base + offset * static_cast<int64_t>(itemsize);
  const size_t block_bytes = static_cast<size_t>(block) * itemsize;
  if (inner == 0) {
    std::memcpy(out, src0, block_bytes);
    return;
  }
  // When the block is a single element, walk the last outer dimension in a tight loop.
  const bool element_rows = block == 1;
  const size_t outer = element_rows ? inner - 1 : inner;
  const int64_t row_len = element_rows ? sz[inner - 1] : 1;
  const int64_t row_stride = element_rows ? st[inner - 1] * static_cast<int64_t>(itemsize) : 0;
  std::vector<int64_t> index(outer, 0);
  int64_t src_off = 0;  // in elements
  for (;;) {
    const std::byte* src = src0 + src_off * static_cast<int64_t>(itemsize);
    if (element_rows) {
      switch (itemsize) {
        case 1:
          copy_elements<1>(src, row_stride, row_len, out);
          break;
        case 2:
          copy_elements<2>(src, row_stride, row_len, out);
          break;
        case 4:
          copy_elements<4>(src, row_stride, row_len, out);
          break;
        default:
          copy_elements<8>(src, row_stride, row_len, out);
          break;
      }
      out += row_len * itemsize;
    } else {
      std::memcpy(out, src, block_bytes);
      out += block_bytes;
    }
    size_t d = outer;
    while (d > 0) {
      --d;
      if (++index[d] < sz[d]) {
        src_off += st[d];
        break;
      }
      src_off -= st[d] * (sz[d] - 1);
      index[d] = 0;
      if (d == 0) return;
    }
    if (outer == 0) return;
  }
}

void materialize(std::vector<PendingTensor>& tensors, const StorageLookup& lookup,
                 const std::string& path, uint64_t max_total_bytes) {
  uint64_t total = 0;
  for (const auto& t : tensors) {
    uint64_t bytes = 0;
    if (!mul_ok(static_cast<uint64_t>(t.value->tensor.numel()),
                ir::dtype_size(t.value->tensor.dtype), &bytes) ||
        !add_ok(total, bytes, &total) || total > max_total_bytes)
      throw bad_input(path + ": the tensors would take more than " +
                      std::to_string(max_total_bytes >> 20) +
                      " MiB once expanded (views that repeat their storage's elements)");
  }
  for (auto& t : tensors) {
    ir::Tensor& out = t.value->tensor;
    const std::span<const std::byte> record = lookup(t.storage.key);
    uint64_t end = 0;
    if (!add_ok(t.storage.byte_offset, t.storage.nbytes, &end) || end > record.size())
      throw bad_input(path + ": storage '" + t.storage.key + "' holds " +
                      std::to_string(record.size()) + " bytes, fewer than the " +
                      std::to_string(end) + " its tensors need");
    const std::byte* base = record.data() + t.storage.byte_offset;
    const size_t itemsize = ir::dtype_size(out.dtype);
    const int64_t numel = out.numel();
    const size_t nbytes = static_cast<size_t>(numel) * itemsize;
    // Contiguous (size-1 dimensions aside): one copy.
    bool contiguous = true;
    int64_t expected = 1;
    for (size_t d = out.shape.size(); d-- > 0;) {
      if (out.shape[d] == 1) continue;
      if (t.strides[d] != expected) contiguous = false;
      expected *= out.shape[d];
    }
    if (numel == 0) {  // (an empty view's offset is never checked, so never used)
      out.bytes = std::make_shared<std::vector<std::byte>>();
    } else if (contiguous) {
      out.bytes = copy_of(base + t.offset * static_cast<int64_t>(itemsize), nbytes);
    } else {
      out.bytes = zeroed(nbytes);
      copy_strided(base, itemsize, t.offset, out.shape, t.strides, out.raw());
    }
  }
}

}  // namespace mlexport::frontend::checkpoint::detail

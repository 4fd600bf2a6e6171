// Destination buffers for tensor bytes. Copying a checkpoint out of the page cache is bound by the
// page faults of the fresh destination memory (about 1 us per 4 KiB page on the VMs measured here,
// i.e. ~600 MB/s whatever the copy does), so large buffers ask for transparent huge pages before
// their first touch: one fault per 2 MiB instead of 512.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

namespace mlexport::frontend::checkpoint::detail {

// A vector holding a copy of [src, src + n): one memcpy, no zero-fill first.
std::shared_ptr<std::vector<std::byte>> copy_of(const std::byte* src, size_t n);
// A zero-filled vector of n bytes (for strided copies).
std::shared_ptr<std::vector<std::byte>> zeroed(size_t n);

}  // namespace mlexport::frontend::checkpoint::detail

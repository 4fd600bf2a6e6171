// A read-only memory map of a whole file (the checkpoint readers parse in place from it).
#pragma once

#include <cstddef>
#include <string>

namespace mlexport::frontend::checkpoint {

class MappedFile {
 public:
  // Throws bad_input("<path>: cannot open: <reason>") for a missing, unreadable or non-regular
  // file. An empty file maps to data() == nullptr, size() == 0.
  explicit MappedFile(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const std::byte* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  const std::byte* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace mlexport::frontend::checkpoint

// A zip archive writer laid out the way PyTorch's stream writer lays out torch.save files.
//
// Every member is stored (no compression) and its data starts on a 64-byte boundary (the padding
// sits in the local header's extra field, id "FB", as PyTorch writes it), so readers can map
// tensors straight out of the file. Sizes and offsets that reach 4 GiB switch that member (and
// the end of the archive) to ZIP64. Member bytes go straight to the file: nothing but one small
// buffer is held in memory. Timestamps are fixed (1980-01-01), so equal input gives equal files.
//
// The archive is written to a temporary file beside `path` and renamed onto `path` by finish()
// (io/atomic_file.h); if finish() is never reached (an exception, a size mismatch) the temporary
// file is removed and `path` is left as it was.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace mlexport::io {
class AtomicFile;
}  // namespace mlexport::io

namespace mlexport::emit::torch {

struct ZipWriterOptions {
  uint32_t alignment = 64;
  // Sizes, offsets and directory fields >= this use ZIP64 records. 0xFFFFFFFF is what the format
  // needs; tests lower it to exercise ZIP64 on small files.
  uint64_t zip64_limit = 0xFFFFFFFFull;
};

class ZipWriter {
 public:
  // Throws bad_input when the folder of `path` does not exist or cannot hold a new file.
  explicit ZipWriter(const std::string& path, ZipWriterOptions options = {});
  ZipWriter(const ZipWriter&) = delete;
  ZipWriter& operator=(const ZipWriter&) = delete;
  ~ZipWriter();  // removes the temporary file unless finish() succeeded

  // One whole member.
  void add_record(std::string_view name, std::span<const std::byte> data);

  // A member streamed in pieces: exactly `size` bytes must be written before end_record().
  void begin_record(std::string_view name, uint64_t size);
  void write(std::span<const std::byte> chunk);
  void end_record();

  // Writes the central directory, syncs, renames into place. Returns the archive size in bytes.
  uint64_t finish();

  uint64_t bytes_written() const { return position_; }

 private:
  struct Member {
    std::string name;
    uint64_t size = 0;
    uint64_t header_offset = 0;
    uint32_t crc = 0;
  };

  void put(const void* data, size_t size);
  void flush();
  void patch(uint64_t offset, const void* data, size_t size);
  [[noreturn]] void fail_io(const std::string& what, int err) const;

  std::string path_;
  ZipWriterOptions options_;
  std::unique_ptr<io::AtomicFile> file_;
  int fd_ = -1;  // file_'s, until finish()
  bool finished_ = false;
  uint64_t position_ = 0;  // bytes handed to put() so far
  uint64_t flushed_ = 0;   // bytes already in the file
  std::vector<char> buffer_;
  std::vector<Member> members_;
  std::unordered_set<std::string> names_;
  bool in_record_ = false;
  uint64_t record_written_ = 0;
  uint32_t record_crc_ = 0;
};

}  // namespace mlexport::emit::torch

// A minimal zip reader over bytes already in memory (a mapped file): parses the central
// directory itself so stored members (all torch.save writes) are views into the file, never
// copies. Deflated members are inflated with zlib. ZIP64 is understood.
//
// Refused as bad_input: truncated or inconsistent directories, multi-disk and encrypted archives,
// compression methods other than stored/deflate, member names that are absolute, hold a ".."
// component, a backslash or a NUL, duplicate names, members that overlap each other or the
// central directory, and local headers that disagree with the directory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace mlexport::frontend::checkpoint {

struct ZipEntry {
  std::string name;
  uint16_t method = 0;  // 0 stored, 8 deflate
  uint32_t crc32 = 0;
  uint64_t compressed_size = 0;
  uint64_t size = 0;
  uint64_t local_header_offset = 0;
  uint64_t data_offset = 0;
};

// "PK\3\4" (a member follows) or "PK\5\6" (an empty archive) at the start.
bool looks_like_zip(const std::byte* data, size_t size);

class ZipReader {
 public:
  // `path` prefixes error messages. The bytes must outlive the reader and every span it returns.
  ZipReader(const std::byte* data, size_t size, std::string path);

  const std::vector<ZipEntry>& entries() const { return entries_; }
  const ZipEntry* find(std::string_view name) const;
  // A member's bytes: a view into the archive when stored, an inflated buffer owned by the reader
  // when deflated (the CRC of inflated data is always checked; of stored data when verify_crc).
  std::span<const std::byte> read(const ZipEntry& entry, bool verify_crc = false);

 private:
  [[noreturn]] void fail(const std::string& message) const;

  const std::byte* data_;
  size_t size_;
  std::string path_;
  std::vector<ZipEntry> entries_;
  std::unordered_map<std::string, size_t> index_;
  std::deque<std::vector<std::byte>> inflated_;
};

}  // namespace mlexport::frontend::checkpoint

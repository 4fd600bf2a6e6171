#include "frontend/checkpoint/zip_reader.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <limits>

#include "io/zip_format.h"
#include "mlexport/diagnostics.h"

namespace mlexport::frontend::checkpoint {

namespace {

using namespace io::zip;

constexpr size_t kMaxNameLength = 4096;

uint64_t rd(const std::byte* p, int n) {
  uint64_t v = 0;
  for (int k = 0; k < n; ++k) v |= uint64_t(std::to_integer<uint8_t>(p[k])) << (8 * k);
  return v;
}

bool bad_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameLength || name.front() == '/') return true;
  if (name.find('\\') != std::string_view::npos || name.find('\0') != std::string_view::npos)
    return true;
  if (name.size() >= 2 && name[1] == ':') return true;  // a drive letter
  size_t start = 0;
  for (;;) {
    const size_t slash = name.find('/', start);
    const std::string_view part = name.substr(start, slash - start);
    if (part == "..") return true;
    if (slash == std::string_view::npos) return false;
    start = slash + 1;
  }
}

}  // namespace

bool looks_like_zip(const std::byte* data, size_t size) {
  if (size < 4) return false;
  const uint64_t sig = rd(data, 4);
  return sig == kLocalSig || sig == kEndSig;
}

void ZipReader::fail(const std::string& message) const {
  throw bad_input(path_ + ": malformed zip archive: " + message);
}

ZipReader::ZipReader(const std::byte* data, size_t size, std::string path)
    : data_(data), size_(size), path_(std::move(path)) {
  if (size_ < kEndSize) fail("truncated (no end-of-central-directory record)");
  // The end record sits in the last 22 + 65535 bytes (it may be followed by a comment).
  size_t end = std::numeric_limits<size_t>::max();
  const size_t lowest = size_ > kEndSize + 0xffff ? size_ - kEndSize - 0xffff : 0;
  for (size_t p = size_ - kEndSize + 1; p-- > lowest;) {
    if (rd(data_ + p, 4) == kEndSig && p + kEndSize + rd(data_ + p + 20, 2) <= size_) {
      end = p;
      break;
    }
  }
  if (end == std::numeric_limits<size_t>::max())
    fail("truncated (no end-of-central-directory record)");
  const std::byte* e = data_ + end;
  uint64_t disk = rd(e + 4, 2), cd_disk = rd(e + 6, 2), count_disk = rd(e + 8, 2),
           count = rd(e + 10, 2), cd_size = rd(e + 12, 4), cd_offset = rd(e + 16, 4);
  uint64_t cd_limit = end;  // the central directory ends before this
  if (count == kSentinel16 || count_disk == kSentinel16 || cd_size == kSentinel32 ||
      cd_offset == kSentinel32) {
    if (end < 20 || rd(data_ + end - 20, 4) != kEnd64LocatorSig)
      fail("ZIP64 fields without a ZIP64 locator");
    const uint64_t z = rd(data_ + end - 20 + 8, 8);
    if (z > end - 20 || end - 20 - z < 56 || rd(data_ + z, 4) != kEnd64Sig)
      fail("bad ZIP64 end-of-central-directory record");
    const std::byte* e64 = data_ + z;
    disk = rd(e64 + 16, 4);
    cd_disk = rd(e64 + 20, 4);
    count_disk = rd(e64 + 24, 8);
    count = rd(e64 + 32, 8);
    cd_size = rd(e64 + 40, 8);
    cd_offset = rd(e64 + 48, 8);
    cd_limit = z;
  }
  if (disk != 0 || cd_disk != 0 || count_disk != count)
    fail("multi-disk archives are not supported");
  if (cd_offset > cd_limit || cd_size > cd_limit - cd_offset)
    fail("the central directory lies outside the file (truncated?)");
  if (count > cd_size / kCentralSize) fail("more members than the central directory can hold");

  entries_.reserve(count);
  uint64_t p = cd_offset;
  const uint64_t cd_end = cd_offset + cd_size;
  for (uint64_t k = 0; k < count; ++k) {
    if (cd_end - p < kCentralSize || rd(data_ + p, 4) != kCentralSig)
      fail("bad central directory entry " + std::to_string(k));
    const std::byte* c = data_ + p;
    const uint64_t flags = rd(c + 8, 2);
    ZipEntry entry;
    entry.method = static_cast<uint16_t>(rd(c + 10, 2));
    entry.crc32 = static_cast<uint32_t>(rd(c + 16, 4));
    entry.compressed_size = rd(c + 20, 4);
    entry.size = rd(c + 24, 4);
    const uint64_t name_len = rd(c + 28, 2), extra_len = rd(c + 30, 2), comment_len = rd(c + 32, 2);
    const uint64_t start_disk = rd(c + 34, 2);
    entry.local_header_offset = rd(c + 42, 4);
    if (cd_end - p - kCentralSize < name_len + extra_len + comment_len)
      fail("central directory entry " + std::to_string(k) + " overruns the directory");
    entry.name.assign(reinterpret_cast<const char*>(c + kCentralSize), name_len);
    // ZIP64 extra field: 64-bit values for the fields saturated above, in this order.
    const std::byte* x = c + kCentralSize + name_len;
    const std::byte* x_end = x + extra_len;
    while (x_end - x >= 4) {
      const uint64_t id = rd(x, 2), len = rd(x + 2, 2);
      if (static_cast<uint64_t>(x_end - x - 4) < len) fail("bad extra field in " + entry.name);
      if (id == kZip64ExtraId) {
        const std::byte* f = x + 4;
        uint64_t left = len;
        auto take = [&](uint64_t& field) {
          if (field != kSentinel32) return;
          if (left < 8) fail("short ZIP64 extra field in " + entry.name);
          field = rd(f, 8);
          f += 8;
          left -= 8;
        };
        take(entry.size);
        take(entry.compressed_size);
        take(entry.local_header_offset);
      }
      x += 4 + len;
    }
    p += kCentralSize + name_len + extra_len + comment_len;

    if (bad_name(entry.name))
      throw bad_input(path_ + ": refuses a zip member with an unsafe name '" +
                      entry.name.substr(0, 200) + "'");
    if (flags & 1) fail(entry.name + " is encrypted");
    if (start_disk != 0) fail("multi-disk archives are not supported");
    if (entry.method != 0 && entry.method != 8)
      fail(entry.name + " uses compression method " + std::to_string(entry.method) +
           " (only stored and deflate are read)");
    if (entry.method == 0 && entry.compressed_size != entry.size)
      fail(entry.name + ": stored member whose sizes disagree");
    // The local header fixes where the data starts (torch pads it to 64-byte alignment).
    const uint64_t lh = entry.local_header_offset;
    if (lh > cd_offset || cd_offset - lh < kLocalSize || rd(data_ + lh, 4) != kLocalSig)
      fail("bad local header for " + entry.name);
    const uint64_t lname = rd(data_ + lh + 26, 2), lextra = rd(data_ + lh + 28, 2);
    entry.data_offset = lh + kLocalSize + lname + lextra;
    if (entry.data_offset > cd_offset || cd_offset - entry.data_offset < entry.compressed_size)
      fail(entry.name + " extends past the end of its data (truncated?)");
    if (lname != name_len || std::memcmp(data_ + lh + kLocalSize, entry.name.data(), name_len) != 0)
      fail("the local header of " + entry.name + " names a different member");
    if (!index_.emplace(entry.name, entries_.size()).second) fail("duplicate member " + entry.name);
    entries_.push_back(std::move(entry));
  }
  // Members must not overlap (overlapping members are how zip bombs multiply their output).
  std::vector<std::pair<uint64_t, uint64_t>> spans;
  spans.reserve(entries_.size());
  for (const auto& en : entries_)
    spans.emplace_back(en.local_header_offset, en.data_offset + en.compressed_size);
  std::sort(spans.begin(), spans.end());
  for (size_t k = 1; k < spans.size(); ++k)
    if (spans[k].first < spans[k - 1].second) fail("members overlap");
}

const ZipEntry* ZipReader::find(std::string_view name) const {
  auto it = index_.find(std::string(name));
  return it == index_.end() ? nullptr : &entries_[it->second];
}

std::span<const std::byte> ZipReader::read(const ZipEntry& entry, bool verify_crc) {
  const std::byte* src = data_ + entry.data_offset;
  if (entry.method == 0) {
#ifndef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
    if (verify_crc) {
      uLong crc = crc32(0, nullptr, 0);
      uint64_t left = entry.size;
      const Bytef* q = reinterpret_cast<const Bytef*>(src);
      while (left) {
        const uInt n = static_cast<uInt>(std::min<uint64_t>(left, 1u << 30));
        crc = crc32(crc, q, n);
        q += n;
        left -= n;
      }
      if (crc != entry.crc32) fail(entry.name + " fails its CRC check (corrupt file)");
    }
#else
    (void)verify_crc;
#endif
    return {src, static_cast<size_t>(entry.size)};
  }
  // Deflate cannot expand more than 1032:1; a larger claim is a lie.
  if (entry.size / 1032 > entry.compressed_size + 1)
    fail(entry.name + " claims an impossible compression ratio");
  auto& out = inflated_.emplace_back(static_cast<size_t>(entry.size));
  z_stream z{};
  if (inflateInit2(&z, -MAX_WBITS) != Z_OK) fail("zlib initialisation failed");
  const Bytef* in = reinterpret_cast<const Bytef*>(src);
  uint64_t in_left = entry.compressed_size;
  Bytef dummy = 0;  // an empty member still needs somewhere to point
  Bytef* dst = out.empty() ? &dummy : reinterpret_cast<Bytef*>(out.data());
  uint64_t out_left = entry.size;
  z.next_out = dst;  // zlib wants a non-null pointer even for an empty member
  int rc = Z_OK;
  do {
    if (z.avail_in == 0 && in_left) {
      const uInt n = static_cast<uInt>(std::min<uint64_t>(in_left, 1u << 30));
      z.next_in = const_cast<Bytef*>(in);
      z.avail_in = n;
      in += n;
      in_left -= n;
    }
    if (z.avail_out == 0 && out_left) {
      const uInt n = static_cast<uInt>(std::min<uint64_t>(out_left, 1u << 30));
      z.next_out = dst;
      z.avail_out = n;
      dst += n;
      out_left -= n;
    }
    rc = inflate(&z, Z_NO_FLUSH);  // Z_BUF_ERROR once no progress is possible
  } while (rc == Z_OK);
  const uint64_t produced = z.total_out;
  inflateEnd(&z);
  if (rc != Z_STREAM_END || produced != entry.size)
    fail(entry.name + " does not inflate to its stated size (corrupt or truncated)");
  uLong crc = crc32(0, nullptr, 0);
  for (uint64_t off = 0; off < out.size();) {
    const uInt n = static_cast<uInt>(std::min<uint64_t>(out.size() - off, 1u << 30));
    crc = crc32(crc, reinterpret_cast<const Bytef*>(out.data() + off), n);
    off += n;
  }
#ifndef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
  if (crc != entry.crc32) fail(entry.name + " fails its CRC check (corrupt file)");
#endif
  return {out.data(), out.size()};
}

}  // namespace mlexport::frontend::checkpoint

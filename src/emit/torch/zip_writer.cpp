#include "emit/torch/zip_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "io/atomic_file.h"
#include "io/zip_format.h"
#include "mlexport/diagnostics.h"

namespace mlexport::emit::torch {

namespace {

namespace fs = std::filesystem;
using namespace io::zip;

constexpr uint16_t kPaddingExtraId = 0x4246;  // "FB", PyTorch's alignment padding
constexpr uint16_t kVersionPlain = 20;
constexpr uint16_t kVersionZip64 = 45;
constexpr uint16_t kMadeByUnix = 3 << 8;
constexpr uint16_t kFlagUtf8Names = 1 << 11;
constexpr uint16_t kDosDate1980 = (0 << 9) | (1 << 5) | 1;  // 1980-01-01: fixed, reproducible
constexpr uint32_t kRegularFileMode = 0100644u << 16;
constexpr size_t kBufferSize = size_t{1} << 20;

// Little-endian field builder for headers.
struct Bytes {
  std::string out;
  void u16(uint64_t v) { le(v, 2); }
  void u32(uint64_t v) { le(v, 4); }
  void u64(uint64_t v) { le(v, 8); }
  void le(uint64_t v, int n) {
    for (int k = 0; k < n; ++k) out.push_back(static_cast<char>((v >> (8 * k)) & 0xff));
  }
  void raw(std::string_view s) { out.append(s); }
};

uint32_t crc_update(uint32_t crc, std::span<const std::byte> data) {
  uLong c = crc;
  const auto* p = reinterpret_cast<const Bytef*>(data.data());
  size_t left = data.size();
  while (left) {
    const uInt n = static_cast<uInt>(std::min<size_t>(left, size_t{1} << 30));
    c = crc32(c, p, n);
    p += n;
    left -= n;
  }
  return static_cast<uint32_t>(c);
}

}  // namespace

ZipWriter::ZipWriter(const std::string& path, ZipWriterOptions options)
    : path_(path), options_(options) {
  if (options_.alignment == 0 || options_.alignment > 4096)
    throw Error(ExitCode::kInternal, "zip alignment must be 1..4096");
  const fs::path target(path);
  const std::string filename = target.filename().string();
  if (filename.empty() || filename == "." || filename == "..")
    throw bad_input("output path " + path + " does not name a file");
  fs::path dir = target.parent_path();
  if (dir.empty()) dir = ".";
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw bad_input("cannot write " + path + ": " +
                    (fs::exists(dir, ec) ? dir.string() + " is not a directory"
                                         : "directory " + dir.string() + " does not exist"));
  if (fs::is_directory(target, ec)) throw bad_input("cannot write " + path + ": it is a directory");
  try {
    file_ = std::make_unique<io::AtomicFile>(target);
  } catch (const io::AtomicWriteError& e) {
    throw bad_input("cannot write " + path + ": cannot create a file in " + dir.string() + ": " +
                    std::strerror(e.error()));
  }
  fd_ = file_->fd();
  buffer_.reserve(kBufferSize);
}

ZipWriter::~ZipWriter() {
  // file_ closes and removes the temporary file unless finish() committed it.
}

void ZipWriter::fail_io(const std::string& what, int err) const {
  throw Error(ExitCode::kInternal, "cannot " + what + " " + path_ + ": " + std::strerror(err));
}

void ZipWriter::flush() {
  const char* p = buffer_.data();
  size_t left = buffer_.size();
  while (left) {
    const ssize_t n = ::write(fd_, p, std::min<size_t>(left, size_t{1} << 30));
    if (n < 0) {
      if (errno == EINTR) continue;
      fail_io("write", errno);
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  flushed_ += buffer_.size();
  buffer_.clear();
}

void ZipWriter::put(const void* data, size_t size) {
  const char* p = static_cast<const char*>(data);
  if (buffer_.size() + size > kBufferSize) flush();
  if (size >= kBufferSize) {  // large tensor bytes go straight from their buffer to the file
    size_t left = size;
    while (left) {
      const ssize_t n = ::write(fd_, p, std::min<size_t>(left, size_t{1} << 30));
      if (n < 0) {
        if (errno == EINTR) continue;
        fail_io("write", errno);
      }
      p += n;
      left -= static_cast<size_t>(n);
    }
    flushed_ += size;
  } else {
    buffer_.insert(buffer_.end(), p, p + size);
  }
  position_ += size;
}

// Rewrites bytes already put(): in the buffer if they are still there, else in the file.
void ZipWriter::patch(uint64_t offset, const void* data, size_t size) {
  if (offset >= flushed_) {
    std::memcpy(buffer_.data() + (offset - flushed_), data, size);
    return;
  }
  flush();
  const ssize_t n = ::pwrite(fd_, data, size, static_cast<off_t>(offset));
  if (n != static_cast<ssize_t>(size)) fail_io("write", n < 0 ? errno : EIO);
}

void ZipWriter::add_record(std::string_view name, std::span<const std::byte> data) {
  begin_record(name, data.size());
  write(data);
  end_record();
}

void ZipWriter::begin_record(std::string_view name, uint64_t size) {
  if (finished_ || in_record_)
    throw Error(ExitCode::kInternal, "zip writer: begin_record out of order");
  if (name.empty() || name.size() > 0xFFFF)
    throw Error(ExitCode::kInternal, "zip writer: bad member name length");
  if (!names_.emplace(name).second)
    throw Error(ExitCode::kInternal, "zip writer: duplicate member " + std::string(name));

  Member m;
  m.name = std::string(name);
  m.size = size;
  m.header_offset = position_;
  const bool zip64 = size >= options_.zip64_limit;

  Bytes h;
  h.u32(kLocalSig);
  h.u16(zip64 ? kVersionZip64 : kVersionPlain);
  h.u16(kFlagUtf8Names);
  h.u16(0);  // stored
  h.u16(0);  // time 00:00
  h.u16(kDosDate1980);
  h.u32(0);  // CRC, patched by end_record()
  h.u32(zip64 ? kSentinel32 : size);
  h.u32(zip64 ? kSentinel32 : size);
  h.u16(name.size());
  const size_t extra_len_at = h.out.size();
  h.u16(0);  // extra length, set below
  h.raw(name);
  if (zip64) {
    h.u16(kZip64ExtraId);
    h.u16(16);
    h.u64(size);
    h.u64(size);
  }
  // Padding so the data starts on an alignment boundary; an extra field needs 4 bytes at least.
  const uint64_t align = options_.alignment;
  uint64_t pad = (align - (m.header_offset + h.out.size()) % align) % align;
  if (pad != 0 && pad < 4) pad += align;
  if (pad != 0) {
    h.u16(kPaddingExtraId);
    h.u16(pad - 4);
    h.out.append(pad - 4, 'Z');
  }
  const size_t extra_len = h.out.size() - kLocalSize - name.size();
  h.out[extra_len_at] = static_cast<char>(extra_len & 0xff);
  h.out[extra_len_at + 1] = static_cast<char>(extra_len >> 8);
  put(h.out.data(), h.out.size());

  members_.push_back(std::move(m));
  in_record_ = true;
  record_written_ = 0;
  record_crc_ = crc_update(0, {});
}

void ZipWriter::write(std::span<const std::byte> chunk) {
  if (!in_record_) throw Error(ExitCode::kInternal, "zip writer: write outside a record");
  if (chunk.size() > members_.back().size - record_written_)
    throw Error(ExitCode::kInternal,
                "zip writer: member " + members_.back().name + " is longer than announced");
  record_crc_ = crc_update(record_crc_, chunk);
  put(chunk.data(), chunk.size());
  record_written_ += chunk.size();
}

void ZipWriter::end_record() {
  if (!in_record_) throw Error(ExitCode::kInternal, "zip writer: end_record outside a record");
  Member& m = members_.back();
  if (record_written_ != m.size)
    throw Error(ExitCode::kInternal, "zip writer: member " + m.name + " is shorter than announced");
  m.crc = record_crc_;
  Bytes crc;
  crc.u32(m.crc);
  patch(m.header_offset + 14, crc.out.data(), 4);
  in_record_ = false;
}

uint64_t ZipWriter::finish() {
  if (finished_ || in_record_) throw Error(ExitCode::kInternal, "zip writer: finish out of order");
  const uint64_t limit = options_.zip64_limit;
  const uint64_t cd_offset = position_;
  for (const auto& m : members_) {
    const bool big_size = m.size >= limit;
    const bool big_offset = m.header_offset >= limit;
    Bytes x;  // ZIP64 extra: only the fields saturated below, in this order
    if (big_size) {
      x.u64(m.size);
      x.u64(m.size);
    }
    if (big_offset) x.u64(m.header_offset);
    Bytes c;
    c.u32(kCentralSig);
    const uint16_t version = (big_size || big_offset) ? kVersionZip64 : kVersionPlain;
    c.u16(kMadeByUnix | version);
    c.u16(version);
    c.u16(kFlagUtf8Names);
    c.u16(0);
    c.u16(0);
    c.u16(kDosDate1980);
    c.u32(m.crc);
    c.u32(big_size ? kSentinel32 : m.size);
    c.u32(big_size ? kSentinel32 : m.size);
    c.u16(m.name.size());
    c.u16(x.out.empty() ? 0 : 4 + x.out.size());
    c.u16(0);  // comment
    c.u16(0);  // disk
    c.u16(0);  // internal attributes
    c.u32(kRegularFileMode);
    c.u32(big_offset ? kSentinel32 : m.header_offset);
    c.raw(m.name);
    if (!x.out.empty()) {
      c.u16(kZip64ExtraId);
      c.u16(x.out.size());
      c.raw(x.out);
    }
    put(c.out.data(), c.out.size());
  }
  const uint64_t cd_size = position_ - cd_offset;
  const uint64_t count = members_.size();
  const bool zip64_end =
      count >= std::min<uint64_t>(kSentinel16, limit) || cd_size >= limit || cd_offset >= limit;
  Bytes e;
  if (zip64_end) {
    const uint64_t end64_offset = position_;
    e.u32(kEnd64Sig);
    e.u64(44);  // size of the rest of this record
    e.u16(kMadeByUnix | kVersionZip64);
    e.u16(kVersionZip64);
    e.u32(0);
    e.u32(0);
    e.u64(count);
    e.u64(count);
    e.u64(cd_size);
    e.u64(cd_offset);
    e.u32(kEnd64LocatorSig);
    e.u32(0);
    e.u64(end64_offset);
    e.u32(1);
  }
  e.u32(kEndSig);
  e.u16(0);
  e.u16(0);
  e.u16(zip64_end ? kSentinel16 : count);
  e.u16(zip64_end ? kSentinel16 : count);
  e.u32(zip64_end ? kSentinel32 : cd_size);
  e.u32(zip64_end ? kSentinel32 : cd_offset);
  e.u16(0);  // comment
  put(e.out.data(), e.out.size());
  flush();

  // Flushed to disk before the rename makes the file visible under its real name.
  fd_ = -1;
  try {
    file_->commit();
  } catch (const io::AtomicWriteError& e) {
    if (e.step() == io::AtomicStep::kRename)
      throw Error(ExitCode::kInternal,
                  "cannot rename into " + path_ + ": " + std::strerror(e.error()));
    fail_io(e.step() == io::AtomicStep::kSync ? "sync" : "close", e.error());
  }
  finished_ = true;
  return position_;
}

}  // namespace mlexport::emit::torch

#include "io/npy.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#include <algorithm>
#include <bit>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>
#include <limits>
#include <new>
#include <optional>
#include <string_view>

#include "io/atomic_file.h"
#include "mlexport/diagnostics.h"

namespace mlexport::io {

static_assert(std::endian::native == std::endian::little,
              "npy I/O copies little-endian data as is; a big-endian host needs byte swapping");

namespace {

using ir::DType;

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicSize = 6;
// numpy itself refuses headers above 10000 bytes unless told otherwise; a 64-dim shape fits easily
// in this, and the limit keeps a corrupt length field from making us read gigabytes.
constexpr uint32_t kMaxHeaderBytes = 1u << 20;
constexpr size_t kMaxDims = 64;

struct DescrEntry {
  std::string_view descr;
  DType dtype;
};
// What we write; the reader also accepts '=' for the byte order and '<' or '|' for one-byte types.
constexpr DescrEntry kDescrs[] = {
    {"<f4", DType::Float32}, {"<f8", DType::Float64}, {"<f2", DType::Float16},
    {"<i8", DType::Int64},   {"<i4", DType::Int32},   {"<i2", DType::Int16},
    {"|i1", DType::Int8},    {"|u1", DType::UInt8},   {"|b1", DType::Bool},
};

std::string_view descr_of(DType dtype) {
  for (const auto& e : kDescrs)
    if (e.dtype == dtype) return e.descr;
  return {};
}

// ---- A parser for the Python dict literal numpy writes as the header. ----

struct PyValue {
  enum Kind { kStr, kInt, kBool, kNone, kTuple, kList, kDict } kind = kNone;
  std::string str;
  int64_t integer = 0;
  bool boolean = false;
  std::vector<PyValue> items;  // tuple / list elements
  // Dict entries (string keys only), each with its key in `key`: a vector of pairs holding the
  // incomplete PyValue does not compile with clang and libstdc++ 12.
  std::vector<PyValue> entries;
  std::string key;
};

class HeaderParser {
 public:
  explicit HeaderParser(std::string_view text) : text_(text) {}

  // Returns an error reason, or nullopt with `out` filled.
  std::optional<std::string> parse_dict(PyValue& out) {
    try {
      out = value(0);
      skip_space();
      if (out.kind != PyValue::kDict) return "header is not a Python dict literal";
      if (pos_ != text_.size()) return "unexpected text after the header dict";
      return std::nullopt;
    } catch (const std::string& reason) {
      return reason;
    }
  }

 private:
  void skip_space() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                   text_[pos_] == '\n' || text_[pos_] == '\r'))
      ++pos_;
  }
  [[noreturn]] void fail(const std::string& what) const {
    throw "header does not parse: " + what + " at offset " + std::to_string(pos_);
  }
  bool eat(char c) {
    skip_space();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  PyValue value(int depth) {
    if (depth > 8) fail("nesting too deep");
    skip_space();
    if (pos_ >= text_.size()) fail("unexpected end");
    char c = text_[pos_];
    PyValue v;
    if (c == '\'' || c == '"') {
      v.kind = PyValue::kStr;
      v.str = string_literal();
    } else if (c == '(' || c == '[') {
      v.kind = c == '(' ? PyValue::kTuple : PyValue::kList;
      char close = c == '(' ? ')' : ']';
      ++pos_;
      while (!eat(close)) {
        v.items.push_back(value(depth + 1));
        if (!eat(',')) {
          if (!eat(close)) fail("expected ',' or '" + std::string(1, close) + "'");
          break;
        }
      }
    } else if (c == '{') {
      v.kind = PyValue::kDict;
      ++pos_;
      while (!eat('}')) {
        PyValue key = value(depth + 1);
        if (key.kind != PyValue::kStr) fail("dict key is not a string");
        if (!eat(':')) fail("expected ':'");
        v.entries.push_back(value(depth + 1));
        v.entries.back().key = key.str;
        if (!eat(',')) {
          if (!eat('}')) fail("expected ',' or '}'");
          break;
        }
      }
    } else if (c == '-' || c == '+' || (c >= '0' && c <= '9')) {
      v.kind = PyValue::kInt;
      v.integer = integer_literal();
    } else {
      size_t start = pos_;
      while (pos_ < text_.size() && std::isalpha(static_cast<unsigned char>(text_[pos_]))) ++pos_;
      std::string_view word = text_.substr(start, pos_ - start);
      if (word == "True" || word == "False") {
        v.kind = PyValue::kBool;
        v.boolean = word == "True";
      } else if (word == "None") {
        v.kind = PyValue::kNone;
      } else {
        pos_ = start;
        fail("unexpected character '" + std::string(1, c) + "'");
      }
    }
    return v;
  }

  std::string string_literal() {
    char quote = text_[pos_++];
    std::string s;
    while (pos_ < text_.size() && text_[pos_] != quote) {
      if (text_[pos_] == '\\') fail("escapes in strings are not supported");
      s += text_[pos_++];
    }
    if (pos_ >= text_.size()) fail("unterminated string");
    ++pos_;
    return s;
  }

  int64_t integer_literal() {
    bool negative = false;
    if (text_[pos_] == '-' || text_[pos_] == '+') negative = text_[pos_++] == '-';
    if (pos_ >= text_.size() || !std::isdigit(static_cast<unsigned char>(text_[pos_])))
      fail("expected a digit");
    uint64_t magnitude = 0;
    while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) {
      uint64_t digit = static_cast<uint64_t>(text_[pos_++] - '0');
      if (magnitude > (std::numeric_limits<uint64_t>::max() - digit) / 10)
        throw std::string("shape has an integer too large for 64 bits");
      magnitude = magnitude * 10 + digit;
    }
    if (pos_ < text_.size() && text_[pos_] == 'L') ++pos_;  // Python 2 longs
    if (magnitude > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      throw std::string("shape has an integer too large for 64 bits");
    int64_t value = static_cast<int64_t>(magnitude);
    return negative ? -value : value;
  }

  std::string_view text_;
  size_t pos_ = 0;
};

// ---- Header interpretation ----

struct Header {
  DType dtype = DType::Float32;
  std::vector<int64_t> shape;
  uint64_t data_bytes = 0;
};

DType dtype_from_descr(const std::string& descr) {
  if (descr.size() < 2) throw std::string("unsupported dtype '" + descr + "'");
  char order = descr[0];
  std::string code = descr.substr(1);
  if (code == "O") throw std::string("object arrays are not supported");
  if (order != '<' && order != '>' && order != '|' && order != '=')
    throw std::string("unsupported dtype '" + descr + "'");
  for (const auto& e : kDescrs) {
    if (e.descr.substr(1) != code) continue;
    bool one_byte = ir::dtype_size(e.dtype) == 1;
    if (order == '>' && !one_byte)
      throw std::string("big-endian dtype '" + descr + "' is not supported");
    return e.dtype;
  }
  throw std::string("unsupported dtype '" + descr +
                    "' (supported: <f4 <f8 <f2 <i8 <i4 <i2 |i1 "
                    "|u1 |b1)");
}

Header interpret_header(std::string_view text) {
  PyValue dict;
  if (auto err = HeaderParser(text).parse_dict(dict)) throw *err;
  const PyValue* descr = nullptr;
  const PyValue* fortran = nullptr;
  const PyValue* shape = nullptr;
  for (const PyValue& value : dict.entries) {
    const std::string& key = value.key;
    if (key == "descr") {
      descr = &value;
    } else if (key == "fortran_order") {
      fortran = &value;
    } else if (key == "shape") {
      shape = &value;
    } else {
      throw std::string("header has an unexpected key '" + key + "'");
    }
  }
  if (!descr || !fortran || !shape)
    throw std::string("header lacks one of 'descr', 'fortran_order', 'shape'");
  if (descr->kind == PyValue::kList) throw std::string("structured dtypes are not supported");
  if (descr->kind != PyValue::kStr) throw std::string("header 'descr' is not a string");
  if (fortran->kind != PyValue::kBool)
    throw std::string("header 'fortran_order' is not True or False");
  if (fortran->boolean)
    throw std::string("Fortran-order arrays are not supported (save a C-contiguous array)");
  if (shape->kind != PyValue::kTuple) throw std::string("header 'shape' is not a tuple");
  if (shape->items.size() > kMaxDims)
    throw std::string("shape has " + std::to_string(shape->items.size()) + " dimensions (max " +
                      std::to_string(kMaxDims) + ")");

  Header h;
  h.dtype = dtype_from_descr(descr->str);
  // Every product is checked so that no later shape_numel() can overflow, even when a zero
  // dimension would make the element count itself small.
  uint64_t limit = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  uint64_t numel = 1, nonzero_product = 1;
  for (const auto& dim : shape->items) {
    if (dim.kind != PyValue::kInt) throw std::string("shape has a non-integer dimension");
    if (dim.integer < 0) throw std::string("shape has a negative dimension");
    uint64_t d = static_cast<uint64_t>(dim.integer);
    if (d != 0 &&
        (__builtin_mul_overflow(nonzero_product, d, &nonzero_product) || nonzero_product > limit))
      throw std::string("shape is absurd: its element count overflows 64 bits");
    numel *= d;
    h.shape.push_back(dim.integer);
  }
  uint64_t bytes = 0;
  if (__builtin_mul_overflow(numel, ir::dtype_size(h.dtype), &bytes) || bytes > limit)
    throw std::string("shape is absurd: byte count overflows");
  h.data_bytes = bytes;
  return h;
}

// ---- Reading from any byte source ----

// read(dst, n) returns how many bytes it stored; fewer than n only at the end of the input.
using ReadFn = std::function<size_t(void*, size_t)>;

size_t read_full(const ReadFn& read, void* dst, size_t n) {
  size_t done = 0;
  while (done < n) {
    size_t got = read(static_cast<char*>(dst) + done, n - done);
    if (got == 0) break;
    done += got;
  }
  return done;
}

// `total` is the size of the whole input when known up front, so that a header claiming more data
// than exists fails before anything is allocated.
ir::Tensor read_npy_from(const ReadFn& read, uint64_t total, const std::string& what) {
  auto fail = [&](const std::string& reason) { return bad_input(what + ": " + reason); };
  unsigned char pre[12];
  if (read_full(read, pre, 8) < 8) throw fail("not a .npy file (too short)");
  if (std::memcmp(pre, kMagic, kMagicSize) != 0) throw fail("not a .npy file (bad magic bytes)");
  unsigned major = pre[6], minor = pre[7];
  if (minor != 0 || major < 1 || major > 3)
    throw fail("unsupported .npy format version " + std::to_string(major) + "." +
               std::to_string(minor));
  size_t len_size = major == 1 ? 2 : 4;
  if (read_full(read, pre + 8, len_size) < len_size) throw fail("truncated .npy header");
  uint32_t header_len = pre[8] | (pre[9] << 8);
  if (len_size == 4) header_len |= (uint32_t(pre[10]) << 16) | (uint32_t(pre[11]) << 24);
  if (header_len > kMaxHeaderBytes)
    throw fail("header length " + std::to_string(header_len) + " is too large");
  uint64_t preamble = 8 + len_size + uint64_t(header_len);
  if (preamble > total) throw fail("truncated .npy header");
  std::string text(header_len, '\0');
  if (read_full(read, text.data(), header_len) < header_len) throw fail("truncated .npy header");

  Header h;
  try {
    h = interpret_header(text);
  } catch (const std::string& reason) {
    throw fail(reason);
  }
  uint64_t available = total - preamble;
  if (available < h.data_bytes)
    throw fail("data section has " + std::to_string(available) + " bytes but the header (" +
               std::string(ir::dtype_name(h.dtype)) + " " + ir::shape_to_string(h.shape) +
               ") needs " + std::to_string(h.data_bytes) + " (file truncated?)");
  if (available > h.data_bytes)
    throw fail(std::to_string(available - h.data_bytes) +
               " unexpected bytes after the data (header and data disagree)");

  ir::Tensor t;
  try {
    t = ir::Tensor(h.dtype, h.shape);
  } catch (const std::bad_alloc&) {
    throw fail("cannot allocate " + std::to_string(h.data_bytes) + " bytes for the array");
  }
  if (read_full(read, t.raw(), t.nbytes()) < t.nbytes())
    throw fail("data section is shorter than the header claims (file truncated?)");
  if (t.dtype == DType::Bool) {
    // numpy treats any non-zero byte as True; the rest of mlexport expects exactly 0 or 1.
    for (auto& b : *t.bytes) b = std::byte(b != std::byte{0});
  }
  return t;
}

// ---- Writing ----

std::string npy_header(const ir::Tensor& t) {
  std::string_view descr = descr_of(t.dtype);
  if (descr.empty())
    throw Error(ExitCode::kInternal, "npy has no " + std::string(ir::dtype_name(t.dtype)) +
                                         " dtype; cast the tensor to float32 first");
  uint64_t expected = static_cast<uint64_t>(t.numel()) * ir::dtype_size(t.dtype);
  if (t.nbytes() != expected)
    throw Error(ExitCode::kInternal, "tensor " + ir::shape_to_string(t.shape) + " " +
                                         std::string(ir::dtype_name(t.dtype)) + " holds " +
                                         std::to_string(t.nbytes()) + " bytes, expected " +
                                         std::to_string(expected));
  std::string dict = "{'descr': '" + std::string(descr) + "', 'fortran_order': False, 'shape': (";
  for (size_t i = 0; i < t.shape.size(); ++i) {
    dict += (i ? ", " : "") + std::to_string(t.shape[i]);
  }
  dict += t.shape.size() == 1 ? ",), }" : "), }";
  // Pad with spaces and end with '\n' so the data starts on a 64-byte boundary, as numpy does.
  size_t len_size = dict.size() + 1 + 10 + 64 > 65535 ? 4 : 2;
  size_t preamble = 8 + len_size;
  size_t total = (preamble + dict.size() + 1 + 63) / 64 * 64;
  dict.append(total - preamble - dict.size() - 1, ' ');
  dict += '\n';
  uint32_t n = static_cast<uint32_t>(dict.size());
  std::string out(kMagic, kMagicSize);
  out += static_cast<char>(len_size == 2 ? 1 : 2);
  out += '\0';
  for (size_t i = 0; i < len_size; ++i) out += static_cast<char>((n >> (8 * i)) & 0xff);
  return out + dict;
}

std::string errno_text() {
  return std::strerror(errno);
}

// Writes `parts` atomically (io/atomic_file.h); every failed step is the same bad input.
void write_whole_file(const std::string& path, const std::vector<std::string_view>& parts) {
  try {
    io::write_file_atomic(fs::path(path), parts);
  } catch (const AtomicWriteError& e) {
    throw bad_input(path + ": cannot write: " + std::strerror(e.error()));
  }
}

// A libzip source that streams one .npy member (header, then the tensor's bytes) without copying
// the tensor.
struct NpySourceState {
  std::string header;
  ir::Tensor tensor;
  uint64_t offset = 0;
  zip_error_t error;
};

zip_int64_t npy_source_callback(void* userdata, void* data, zip_uint64_t len,
                                zip_source_cmd_t cmd) {
  auto* s = static_cast<NpySourceState*>(userdata);
  uint64_t total = s->header.size() + s->tensor.nbytes();
  switch (cmd) {
    case ZIP_SOURCE_OPEN:
      s->offset = 0;
      return 0;
    case ZIP_SOURCE_READ: {
      uint64_t n = std::min<uint64_t>(len, total - s->offset);
      auto* dst = static_cast<char*>(data);
      for (uint64_t done = 0; done < n;) {
        uint64_t at = s->offset + done;
        uint64_t chunk;
        if (at < s->header.size()) {
          chunk = std::min<uint64_t>(n - done, s->header.size() - at);
          std::memcpy(dst + done, s->header.data() + at, chunk);
        } else {
          chunk = n - done;
          std::memcpy(dst + done, s->tensor.raw() + (at - s->header.size()), chunk);
        }
        done += chunk;
      }
      s->offset += n;
      return static_cast<zip_int64_t>(n);
    }
    case ZIP_SOURCE_CLOSE:
      return 0;
    case ZIP_SOURCE_STAT: {
      auto* st = static_cast<zip_stat_t*>(data);
      zip_stat_init(st);
      st->size = total;
      st->valid |= ZIP_STAT_SIZE;
      return sizeof(zip_stat_t);
    }
    case ZIP_SOURCE_ERROR:
      return zip_error_to_data(&s->error, data, len);
    case ZIP_SOURCE_FREE:
      zip_error_fini(&s->error);
      delete s;
      return 0;
    case ZIP_SOURCE_SUPPORTS:
      return zip_source_make_command_bitmap(ZIP_SOURCE_OPEN, ZIP_SOURCE_READ, ZIP_SOURCE_CLOSE,
                                            ZIP_SOURCE_STAT, ZIP_SOURCE_ERROR, ZIP_SOURCE_FREE, -1);
    default:
      zip_error_set(&s->error, ZIP_ER_OPNOTSUPP, 0);
      return -1;
  }
}

std::string zip_open_error(int code) {
  zip_error_t err;
  zip_error_init_with_code(&err, code);
  std::string text = zip_error_strerror(&err);
  zip_error_fini(&err);
  return text;
}

}  // namespace

ir::Tensor parse_npy(const void* data, size_t size, const std::string& what) {
  const char* base = static_cast<const char*>(data);
  size_t pos = 0;
  ReadFn read = [&](void* dst, size_t n) {
    n = std::min(n, size - pos);
    if (n) std::memcpy(dst, base + pos, n);
    pos += n;
    return n;
  };
  return read_npy_from(read, size, what);
}

ir::Tensor read_npy(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw bad_input(path + ": cannot open: " + errno_text());
  struct FdCloser {
    int fd;
    ~FdCloser() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw bad_input(path + ": cannot open: " + errno_text());
  if (!S_ISREG(st.st_mode)) throw bad_input(path + ": not a regular file");
  ReadFn read = [&](void* dst, size_t n) -> size_t {
    for (;;) {
      ssize_t got = ::read(fd, dst, n);
      if (got >= 0) return static_cast<size_t>(got);
      if (errno != EINTR) throw bad_input(path + ": read failed: " + errno_text());
    }
  };
  return read_npy_from(read, static_cast<uint64_t>(st.st_size), path);
}

std::string npy_bytes(const ir::Tensor& tensor) {
  std::string out = npy_header(tensor);
  out.append(reinterpret_cast<const char*>(tensor.raw()), tensor.nbytes());
  return out;
}

void write_npy(const std::string& path, const ir::Tensor& tensor) {
  std::string header = npy_header(tensor);
  write_whole_file(path, {header, std::string_view(reinterpret_cast<const char*>(tensor.raw()),
                                                   tensor.nbytes())});
}

NamedTensors read_npz(const std::string& path) {
  int code = 0;
  zip_t* za = zip_open(path.c_str(), ZIP_RDONLY, &code);
  if (!za) {
    if (code == ZIP_ER_NOZIP) throw bad_input(path + ": not a zip archive (.npz)");
    throw bad_input(path + ": cannot open: " + zip_open_error(code));
  }
  struct ArchiveCloser {
    zip_t* za;
    ~ArchiveCloser() { zip_discard(za); }
  } closer{za};

  NamedTensors result;
  zip_int64_t count = zip_get_num_entries(za, 0);
  for (zip_int64_t i = 0; i < count; ++i) {
    zip_stat_t st;
    if (zip_stat_index(za, i, 0, &st) != 0 || !(st.valid & ZIP_STAT_NAME) ||
        !(st.valid & ZIP_STAT_SIZE))
      throw bad_input(path + ": cannot read member " + std::to_string(i) + ": " + zip_strerror(za));
    std::string name = st.name;
    if (!name.empty() && name.back() == '/') continue;  // directory entry
    std::string what = path + ":" + name;
    constexpr std::string_view kSuffix = ".npy";
    if (name.size() <= kSuffix.size() || !name.ends_with(kSuffix))
      throw bad_input(what + ": member is not a .npy file");
    zip_file_t* zf = zip_fopen_index(za, i, 0);
    if (!zf) throw bad_input(what + ": cannot open member: " + zip_strerror(za));
    struct FileCloser {
      zip_file_t* zf;
      ~FileCloser() { zip_fclose(zf); }
    } file_closer{zf};
    ReadFn read = [&](void* dst, size_t n) -> size_t {
      zip_int64_t got = zip_fread(zf, dst, n);
      if (got < 0) throw bad_input(what + ": cannot read member: " + zip_file_strerror(zf));
      return static_cast<size_t>(got);
    };
    ir::Tensor t = read_npy_from(read, st.size, what);
    // Reading past the end makes libzip verify the member's CRC.
    char extra;
    if (read(&extra, 1) != 0) throw bad_input(what + ": member is longer than its directory entry");
    result.emplace_back(name.substr(0, name.size() - kSuffix.size()), std::move(t));
  }
  return result;
}

void write_npz(const std::string& path, const NamedTensors& tensors, bool compress) {
  if (tensors.empty()) {
    // libzip deletes an archive with no members instead of writing one; numpy writes the bare
    // end-of-central-directory record, so do the same.
    static constexpr char kEmptyZip[22] = {'P', 'K', 5, 6};
    write_whole_file(path, {std::string_view(kEmptyZip, sizeof(kEmptyZip))});
    return;
  }
  // Headers first, so a tensor npy cannot represent fails before any file is touched.
  std::vector<std::string> headers;
  for (const auto& [name, tensor] : tensors) {
    if (name.empty()) throw Error(ExitCode::kInternal, path + ": npz member with an empty name");
    headers.push_back(npy_header(tensor));
  }
  int code = 0;
  // libzip writes into a temporary file and renames it over `path` in zip_close, so a failed or
  // interrupted write never leaves a partial archive behind.
  zip_t* za = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &code);
  if (!za) throw bad_input(path + ": cannot write: " + zip_open_error(code));
  auto fail = [&](const std::string& what, ExitCode exit = ExitCode::kBadInput) {
    std::string text = path + ": " + what + ": " + zip_strerror(za);
    zip_discard(za);
    return Error(exit, text);
  };
  for (size_t i = 0; i < tensors.size(); ++i) {
    auto* state = new NpySourceState{std::move(headers[i]), tensors[i].second, 0, {}};
    zip_error_init(&state->error);
    zip_source_t* src = zip_source_function(za, npy_source_callback, state);
    if (!src) {
      zip_error_fini(&state->error);
      delete state;
      throw fail("cannot add member");
    }
    std::string member = tensors[i].first + ".npy";
    zip_int64_t index = zip_file_add(za, member.c_str(), src, ZIP_FL_ENC_UTF_8);
    if (index < 0) {
      zip_source_free(src);
      throw fail("cannot add member '" + member + "'", ExitCode::kInternal);
    }
    if (zip_set_file_compression(za, index, compress ? ZIP_CM_DEFLATE : ZIP_CM_STORE, 0) != 0)
      throw fail("cannot set compression", ExitCode::kInternal);
  }
  if (zip_close(za) != 0) throw fail("cannot write");
}

}  // namespace mlexport::io

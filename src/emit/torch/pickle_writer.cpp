#include "emit/torch/pickle_writer.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "mlexport/diagnostics.h"

namespace mlexport::emit::torch {

namespace {

using pyvalue::Value;
using Kind = Value::Kind;

namespace op {
constexpr char PROTO = '\x80', STOP = '.', MARK = '(', NONE = 'N', NEWTRUE = '\x88',
               NEWFALSE = '\x89', BININT = 'J', BININT1 = 'K', BININT2 = 'M', LONG1 = '\x8a',
               LONG4 = '\x8b', BINFLOAT = 'G', BINUNICODE = 'X', EMPTY_TUPLE = ')', TUPLE = 't',
               TUPLE1 = '\x85', TUPLE2 = '\x86', TUPLE3 = '\x87', EMPTY_LIST = ']', APPEND = 'a',
               APPENDS = 'e', EMPTY_DICT = '}', SETITEM = 's', SETITEMS = 'u', GLOBAL = 'c',
               REDUCE = 'R', BUILD = 'b', BINPERSID = 'Q', BINPUT = 'q', LONG_BINPUT = 'r',
               BINGET = 'h', LONG_BINGET = 'j';
}  // namespace op

constexpr size_t kBatch = 1000;         // CPython's pickler batches APPENDS/SETITEMS by 1000
constexpr size_t kMaxLongBytes = 1024;  // what mlexport's reader accepts

bool valid_utf8(const std::string& s) {
  // Surrogate code points are let through: Python decodes pickled text with "surrogatepass".
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  for (size_t k = 0; k < n;) {
    const unsigned c = p[k];
    int len = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      ++k;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (n - k < static_cast<size_t>(len)) return false;
    for (int j = 1; j < len; ++j) {
      if ((p[k + j] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[k + j] & 0x3F);
    }
    const uint32_t min_cp = len == 2 ? 0x80 : len == 3 ? 0x800 : 0x10000;
    if (cp < min_cp || cp > 0x10FFFF) return false;  // overlong or beyond Unicode
    k += len;
  }
  return true;
}

// Each byte as the code point of the same value, UTF-8 encoded (str(b, 'latin1') in Python).
std::string latin1_to_utf8(const std::string& bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (unsigned char c : bytes) {
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back(static_cast<char>(0xC0 | (c >> 6)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    }
  }
  return out;
}

// "-0012" -> "-12", "-0" -> "0"; nullopt unless [-]digits.
std::optional<std::string> normalized_decimal(const std::string& s) {
  size_t k = 0;
  const bool negative = !s.empty() && s[0] == '-';
  if (negative || (!s.empty() && s[0] == '+')) k = 1;
  if (k == s.size()) return std::nullopt;
  for (size_t j = k; j < s.size(); ++j)
    if (s[j] < '0' || s[j] > '9') return std::nullopt;
  while (k + 1 < s.size() && s[k] == '0') ++k;
  std::string digits = s.substr(k);
  if (digits == "0") return digits;
  return negative ? "-" + digits : digits;
}

// Minimal little-endian two's complement of a decimal integer (pickle's encode_long).
std::string encode_long(const std::string& decimal) {
  const bool negative = decimal[0] == '-';
  std::vector<int> digits;
  for (char c : decimal)
    if (c != '-') digits.push_back(c - '0');
  std::string magnitude;  // little-endian
  while (!(digits.size() == 1 && digits[0] == 0) && !digits.empty()) {
    int rem = 0;
    std::vector<int> quotient;
    for (int d : digits) {
      const int cur = rem * 10 + d;
      if (!quotient.empty() || cur / 256) quotient.push_back(cur / 256);
      rem = cur % 256;
    }
    magnitude.push_back(static_cast<char>(rem));
    digits = quotient.empty() ? std::vector<int>{0} : quotient;
  }
  if (magnitude.empty()) return {};
  std::string out = magnitude + '\0';  // room for the sign bit
  if (negative) {
    unsigned carry = 1;
    for (char& c : out) {
      const unsigned v = (~static_cast<unsigned char>(c) & 0xFFu) + carry;
      c = static_cast<char>(v & 0xFF);
      carry = v >> 8;
    }
  }
  while (out.size() > 1) {
    const auto last = static_cast<unsigned char>(out.back());
    const auto prev = static_cast<unsigned char>(out[out.size() - 2]);
    if ((last == 0x00 && !(prev & 0x80)) || (last == 0xFF && (prev & 0x80)))
      out.pop_back();
    else
      break;
  }
  return out;
}

std::string hex_bits(double f) {
  uint64_t bits;
  std::memcpy(&bits, &f, 8);
  char buf[20];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(bits));
  return buf;
}

// Python's dict-key identity: equal numbers are one key (1 == 1.0 == True); nullopt when the
// value cannot be a key (lists, dicts).
std::optional<std::string> key_identity(const Value& v) {
  switch (v.kind) {
    case Kind::None:
      return "N";
    case Kind::Bool:
      return v.b ? "n:1" : "n:0";
    case Kind::Int:
      return "n:" + std::to_string(v.i);
    case Kind::Float: {
      if (std::isnan(v.f)) return "nan:" + std::to_string(reinterpret_cast<uintptr_t>(&v));
      if (std::isfinite(v.f) && v.f == std::trunc(v.f)) {
        char buf[400];
        std::snprintf(buf, sizeof buf, "%.0f", v.f);  // exact for integral doubles
        return "n:" + *normalized_decimal(buf);
      }
      return "f:" + hex_bits(v.f);
    }
    case Kind::String:
      return "s:" + v.s;
    case Kind::Bytes:
      return "b:" + v.s;
    case Kind::Tensor:  // hashed by identity in Python
      return "T:" + std::to_string(reinterpret_cast<uintptr_t>(&v));
    case Kind::Tuple: {
      std::string id = "t(";
      for (const auto& item : v.items) {
        if (!item) return std::nullopt;
        auto sub = key_identity(*item);
        if (!sub) return std::nullopt;
        id += std::to_string(sub->size()) + ":" + *sub;
      }
      return id + ")";
    }
    case Kind::Object:
      if (v.class_name == "builtins.int")
        if (auto d = normalized_decimal(v.s)) return "n:" + *d;
      return std::nullopt;
    default:
      return std::nullopt;
  }
}

std::vector<int64_t> contiguous_strides(const std::vector<int64_t>& shape) {
  // As torch computes them: a size-0 or size-1 dimension counts as 1.
  std::vector<int64_t> strides(shape.size());
  int64_t running = 1;
  for (size_t k = shape.size(); k-- > 0;) {
    strides[k] = running;
    running *= std::max<int64_t>(shape[k], 1);
  }
  return strides;
}

class Pickler {
 public:
  PickledObject run(const Value& root) {
    out_.push_back(op::PROTO);
    out_.push_back('\x02');
    save(root, 0);
    out_.push_back(op::STOP);
    return {std::move(out_), std::move(storages_), tensor_count_};
  }

 private:
  [[noreturn]] void fail(const std::string& why) const {
    std::string where = "checkpoint";
    for (const auto& part : where_) where += part;
    throw bad_input("cannot write the torch checkpoint: " + where + ": " + why);
  }

  void u32(uint32_t v) {
    for (int k = 0; k < 4; ++k) out_.push_back(static_cast<char>((v >> (8 * k)) & 0xFF));
  }

  uint32_t memo_put() {
    const uint32_t idx = next_memo_++;
    if (idx < 256) {
      out_.push_back(op::BINPUT);
      out_.push_back(static_cast<char>(idx));
    } else {
      out_.push_back(op::LONG_BINPUT);
      u32(idx);
    }
    return idx;
  }

  void memo_get(uint32_t idx) {
    if (idx < 256) {
      out_.push_back(op::BINGET);
      out_.push_back(static_cast<char>(idx));
    } else {
      out_.push_back(op::LONG_BINGET);
      u32(idx);
    }
  }

  // A node already pickled is fetched instead of written again (one Python object).
  bool fetch(const Value& v) {
    auto it = node_memo_.find(&v);
    if (it == node_memo_.end()) return false;
    memo_get(it->second);
    return true;
  }
  void remember(const Value& v) { node_memo_[&v] = memo_put(); }

  void save_global(const std::string& module, const std::string& name) {
    const std::string key = module + "\n" + name;
    if (auto it = global_memo_.find(key); it != global_memo_.end()) return memo_get(it->second);
    out_.push_back(op::GLOBAL);
    out_ += key;
    out_.push_back('\n');
    global_memo_[key] = memo_put();
  }

  void save_text(const std::string& s) {
    if (auto it = text_memo_.find(s); it != text_memo_.end()) return memo_get(it->second);
    if (!valid_utf8(s)) fail("a string that is not valid UTF-8");
    if (s.size() > 0xFFFFFFFFull) fail("a string over 4 GiB (protocol 2 cannot hold it)");
    out_.push_back(op::BINUNICODE);
    u32(static_cast<uint32_t>(s.size()));
    out_ += s;
    text_memo_[s] = memo_put();
  }

  void save_int(int64_t i) {
    if (i >= 0 && i <= 0xFF) {
      out_.push_back(op::BININT1);
      out_.push_back(static_cast<char>(i));
    } else if (i >= 0 && i <= 0xFFFF) {
      out_.push_back(op::BININT2);
      out_.push_back(static_cast<char>(i & 0xFF));
      out_.push_back(static_cast<char>(i >> 8));
    } else if (i >= INT32_MIN && i <= INT32_MAX) {
      out_.push_back(op::BININT);
      u32(static_cast<uint32_t>(static_cast<int32_t>(i)));
    } else {
      save_long(std::to_string(i));
    }
  }

  void save_long(const std::string& decimal) {
    const std::string bytes = encode_long(decimal);
    if (bytes.size() > kMaxLongBytes) fail("an integer longer than 1 KiB");
    if (bytes.size() < 256) {
      out_.push_back(op::LONG1);
      out_.push_back(static_cast<char>(bytes.size()));
    } else {
      out_.push_back(op::LONG4);
      u32(static_cast<uint32_t>(bytes.size()));
    }
    out_ += bytes;
  }

  void save_float(double f) {
    uint64_t bits;
    std::memcpy(&bits, &f, 8);
    out_.push_back(op::BINFLOAT);
    for (int k = 7; k >= 0; --k) out_.push_back(static_cast<char>((bits >> (8 * k)) & 0xFF));
  }

  void save_bytes(const Value& v) {
    if (v.s.empty()) {
      save_global("__builtin__", "bytes");
      out_.push_back(op::EMPTY_TUPLE);
    } else {
      save_global("_codecs", "encode");
      save_text(latin1_to_utf8(v.s));
      save_text("latin1");
      out_.push_back(op::TUPLE2);
      memo_put();
    }
    out_.push_back(op::REDUCE);
    remember(v);
  }

  void save_items(const std::vector<pyvalue::ValuePtr>& items, int depth) {
    for (size_t k = 0; k < items.size(); ++k) {
      where_.push_back("[" + std::to_string(k) + "]");
      if (!items[k]) fail("a null value");
      save(*items[k], depth + 1);
      where_.pop_back();
    }
  }

  void save_tuple(const Value& v, int depth) {
    const size_t n = v.items.size();
    if (n == 0) {
      out_.push_back(op::EMPTY_TUPLE);
      return;
    }
    if (n > 3) out_.push_back(op::MARK);
    save_items(v.items, depth);
    out_.push_back(n == 1 ? op::TUPLE1 : n == 2 ? op::TUPLE2 : n == 3 ? op::TUPLE3 : op::TUPLE);
    remember(v);
  }

  void save_list(const Value& v, int depth) {
    if (!v.class_name.empty()) fail("a " + v.class_name + " (only plain lists are written)");
    out_.push_back(op::EMPTY_LIST);
    remember(v);
    const size_t n = v.items.size();
    auto save_item = [&](size_t k) {
      where_.push_back("[" + std::to_string(k) + "]");
      if (!v.items[k]) fail("a null value");
      save(*v.items[k], depth + 1);
      where_.pop_back();
    };
    if (n == 1) {  // CPython's batch_list_exact
      save_item(0);
      out_.push_back(op::APPEND);
      return;
    }
    for (size_t k = 0; k < n;) {
      out_.push_back(op::MARK);
      const size_t end = std::min(n, k + kBatch);
      for (; k < end; ++k) save_item(k);
      out_.push_back(op::APPENDS);
    }
  }

  void save_entry(const std::pair<pyvalue::ValuePtr, pyvalue::ValuePtr>& entry, int depth) {
    const auto& [key, value] = entry;
    where_.push_back(key ? "[" + key->repr(1) + "]" : "[?]");
    if (!key || !value) fail("a null key or value");
    save(*key, depth + 1);
    save(*value, depth + 1);
    where_.pop_back();
  }

  void check_keys(const Value& v) {
    std::unordered_set<std::string> seen;
    for (const auto& [key, value] : v.entries) {
      if (!key) continue;  // reported by save_entry
      auto id = key_identity(*key);
      if (!id) fail("an unhashable dict key " + key->repr(1));
      if (!seen.insert(*id).second) fail("a duplicate dict key " + key->repr(1));
    }
  }

  void save_dict(const Value& v, int depth) {
    check_keys(v);
    const auto& entries = v.entries;
    const size_t n = entries.size();
    if (v.class_name.empty()) {
      if (v.state) fail("a plain dict with attributes");
      out_.push_back(op::EMPTY_DICT);
      remember(v);
      if (n == 0) return;
      if (n == 1) {  // CPython's batch_dict_exact, including its empty batch after a full one
        save_entry(entries[0], depth);
        out_.push_back(op::SETITEM);
        return;
      }
      size_t k = 0, in_batch = 0;
      do {
        out_.push_back(op::MARK);
        in_batch = 0;
        for (; k < n && in_batch < kBatch; ++k, ++in_batch) save_entry(entries[k], depth);
        out_.push_back(op::SETITEMS);
      } while (in_batch == kBatch);
      return;
    }
    if (v.class_name != "collections.OrderedDict")
      fail("a " + v.class_name + " (only dict and collections.OrderedDict are written)");
    save_global("collections", "OrderedDict");
    out_.push_back(op::EMPTY_TUPLE);
    out_.push_back(op::REDUCE);
    remember(v);
    for (size_t k = 0; k < n;) {  // CPython's batch_dict over the items iterator
      if (n - k == 1) {
        save_entry(entries[k++], depth);
        out_.push_back(op::SETITEM);
        break;
      }
      out_.push_back(op::MARK);
      const size_t end = std::min(n, k + kBatch);
      for (; k < end; ++k) save_entry(entries[k], depth);
      out_.push_back(op::SETITEMS);
    }
    if (v.state) {  // the instance __dict__ (a state dict's _metadata)
      if (v.state->kind != Kind::Dict || !v.state->class_name.empty())
        fail("an OrderedDict whose state is not a plain dict of attributes");
      for (const auto& [key, value] : v.state->entries)
        if (!key || key->kind != Kind::String) fail("an OrderedDict attribute that is not a str");
      where_.push_back(".__dict__");
      save(*v.state, depth + 1);
      where_.pop_back();
      out_.push_back(op::BUILD);
    }
  }

  const StorageRecord& storage_for(const ir::Tensor& t) {
    const size_t elem = ir::dtype_size(t.dtype);
    if (!t.bytes) fail("a tensor without a byte buffer");
    if (t.bytes->size() % elem != 0)
      fail("a " + std::string(ir::dtype_name(t.dtype)) + " tensor whose buffer holds " +
           std::to_string(t.bytes->size()) + " bytes, not a whole number of elements");
    const std::pair<const void*, ir::DType> id{t.bytes.get(), t.dtype};
    if (auto it = storage_index_.find(id); it != storage_index_.end()) return storages_[it->second];
    storage_index_.emplace(id, storages_.size());
    storages_.push_back({std::to_string(storages_.size()), t.dtype, t.bytes});
    return storages_.back();
  }

  void save_tensor(const Value& v) {
    const ir::Tensor& t = v.tensor;
    uint64_t numel = 1;
    for (int64_t d : t.shape) {
      if (d < 0) fail("a tensor with a negative dimension " + ir::shape_to_string(t.shape));
      if (d != 0 && numel > (uint64_t{1} << 62) / static_cast<uint64_t>(d))
        fail("a tensor of absurd size " + ir::shape_to_string(t.shape));
      numel *= static_cast<uint64_t>(d);
    }
    const uint64_t need = numel * ir::dtype_size(t.dtype);
    const StorageRecord& storage = storage_for(t);
    if (storage.bytes->size() < need)
      fail("a " + std::string(ir::dtype_name(t.dtype)) + ir::shape_to_string(t.shape) +
           " tensor needs " + std::to_string(need) + " bytes but holds " +
           std::to_string(storage.bytes->size()));
    const std::string key = storage.key;
    const uint64_t storage_numel = storage.bytes->size() / ir::dtype_size(t.dtype);

    save_global("torch._utils", "_rebuild_tensor_v2");
    out_.push_back(op::MARK);
    // The persistent id, as torch.serialization's persistent_id gives it.
    out_.push_back(op::MARK);
    save_text("storage");
    save_global("torch", std::string(storage_class_name(t.dtype)));
    save_text(key);
    save_text("cpu");
    save_int(static_cast<int64_t>(storage_numel));
    out_.push_back(op::TUPLE);
    memo_put();
    out_.push_back(op::BINPERSID);
    save_int(0);  // storage_offset
    save_shape(t.shape);
    save_shape(contiguous_strides(t.shape));
    out_.push_back(op::NEWFALSE);               // requires_grad
    save_global("collections", "OrderedDict");  // backward hooks: none
    out_.push_back(op::EMPTY_TUPLE);
    out_.push_back(op::REDUCE);
    memo_put();
    out_.push_back(op::TUPLE);
    memo_put();
    out_.push_back(op::REDUCE);
    remember(v);
    ++tensor_count_;
  }

  void save_shape(const std::vector<int64_t>& dims) {
    if (dims.empty()) {
      out_.push_back(op::EMPTY_TUPLE);
      return;
    }
    if (dims.size() > 3) out_.push_back(op::MARK);
    for (int64_t d : dims) save_int(d);
    const size_t n = dims.size();
    out_.push_back(n == 1 ? op::TUPLE1 : n == 2 ? op::TUPLE2 : n == 3 ? op::TUPLE3 : op::TUPLE);
    memo_put();
  }

  void save(const Value& v, int depth) {
    if (depth > kMaxWriteDepth)
      fail("nested deeper than " + std::to_string(kMaxWriteDepth) + " levels");
    if (fetch(v)) return;
    switch (v.kind) {
      case Kind::None:
        out_.push_back(op::NONE);
        return;
      case Kind::Bool:
        out_.push_back(v.b ? op::NEWTRUE : op::NEWFALSE);
        return;
      case Kind::Int:
        return save_int(v.i);
      case Kind::Float:
        return save_float(v.f);
      case Kind::String:
        return save_text(v.s);
      case Kind::Bytes:
        return save_bytes(v);
      case Kind::Tuple:
        return save_tuple(v, depth);
      case Kind::List:
        return save_list(v, depth);
      case Kind::Dict:
        return save_dict(v, depth);
      case Kind::Tensor:
        return save_tensor(v);
      case Kind::Object:
        if (v.class_name == "builtins.int") {
          auto decimal = normalized_decimal(v.s);
          if (!decimal) fail("an int record whose digits are '" + v.s.substr(0, 40) + "'");
          return save_long(*decimal);
        }
        [[fallthrough]];
      case Kind::Global:
        fail("unsupported " + std::string(Value::kind_name(v.kind)) + " value " + v.repr(1) +
             " (only None, bool, int, float, str, bytes, tuple, list, dict and tensors are "
             "written)");
    }
    fail("a value of unknown kind");
  }

  std::string out_;
  uint32_t next_memo_ = 0;
  std::unordered_map<const Value*, uint32_t> node_memo_;
  std::unordered_map<std::string, uint32_t> text_memo_;
  std::unordered_map<std::string, uint32_t> global_memo_;
  std::map<std::pair<const void*, ir::DType>, size_t> storage_index_;
  std::vector<StorageRecord> storages_;
  std::vector<std::string> where_;
  size_t tensor_count_ = 0;
};

}  // namespace

std::string_view storage_class_name(ir::DType dtype) {
  switch (dtype) {
    case ir::DType::Float32:
      return "FloatStorage";
    case ir::DType::Float16:
      return "HalfStorage";
    case ir::DType::Float64:
      return "DoubleStorage";
    case ir::DType::BFloat16:
      return "BFloat16Storage";
    case ir::DType::Int8:
      return "CharStorage";
    case ir::DType::UInt8:
      return "ByteStorage";
    case ir::DType::Int16:
      return "ShortStorage";
    case ir::DType::Int32:
      return "IntStorage";
    case ir::DType::Int64:
      return "LongStorage";
    case ir::DType::Bool:
      return "BoolStorage";
  }
  throw Error(ExitCode::kInternal, "no torch storage class for this dtype");
}

PickledObject pickle_for_torch_save(const pyvalue::Value& root) {
  return Pickler().run(root);
}

}  // namespace mlexport::emit::torch

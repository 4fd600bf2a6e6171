// The unpickler behind load_torch_file (policy and limits: pickle.h).
#include "frontend/checkpoint/pickle.h"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "frontend/checkpoint/bytes.h"
#include "mlexport/diagnostics.h"

namespace mlexport::checkpoint {

static_assert(std::endian::native == std::endian::little,
              "checkpoint storages are copied as little-endian bytes");

namespace detail {
namespace {

using Kind = Value::Kind;
using MPtr = std::shared_ptr<Value>;
using ir::DType;

namespace op {
constexpr uint8_t MARK = '(', STOP = '.', POP = '0', POP_MARK = '1', DUP = '2', FLOAT = 'F',
                  INT = 'I', BININT = 'J', BININT1 = 'K', LONG = 'L', BININT2 = 'M', NONE = 'N',
                  PERSID = 'P', BINPERSID = 'Q', REDUCE = 'R', STRING = 'S', BINSTRING = 'T',
                  SHORT_BINSTRING = 'U', UNICODE = 'V', BINUNICODE = 'X', APPEND = 'a', BUILD = 'b',
                  GLOBAL = 'c', DICT = 'd', EMPTY_DICT = '}', APPENDS = 'e', GET = 'g',
                  BINGET = 'h', INST = 'i', LONG_BINGET = 'j', LIST = 'l', EMPTY_LIST = ']',
                  OBJ = 'o', PUT = 'p', BINPUT = 'q', LONG_BINPUT = 'r', SETITEM = 's', TUPLE = 't',
                  EMPTY_TUPLE = ')', SETITEMS = 'u', BINFLOAT = 'G', BINBYTES = 'B',
                  SHORT_BINBYTES = 'C';
constexpr uint8_t PROTO = 0x80, NEWOBJ = 0x81, EXT1 = 0x82, EXT2 = 0x83, EXT4 = 0x84, TUPLE1 = 0x85,
                  TUPLE2 = 0x86, TUPLE3 = 0x87, NEWTRUE = 0x88, NEWFALSE = 0x89, LONG1 = 0x8a,
                  LONG4 = 0x8b, SHORT_BINUNICODE = 0x8c, BINUNICODE8 = 0x8d, BINBYTES8 = 0x8e,
                  EMPTY_SET = 0x8f, ADDITEMS = 0x90, FROZENSET = 0x91, NEWOBJ_EX = 0x92,
                  STACK_GLOBAL = 0x93, MEMOIZE = 0x94, FRAME = 0x95, BYTEARRAY8 = 0x96,
                  NEXT_BUFFER = 0x97, READONLY_BUFFER = 0x98;
}  // namespace op

constexpr size_t kMaxLongBytes = 1024;
constexpr int kMaxKeyDepth = 32;  // tuple nesting considered when comparing dict keys

bool is_container(const Value& v) {
  return v.kind == Kind::Tuple || v.kind == Kind::List || v.kind == Kind::Dict ||
         v.kind == Kind::Object;
}

bool starts_with_module(std::string_view module, std::string_view prefix) {
  return module == prefix ||
         (module.size() > prefix.size() && module.substr(0, prefix.size()) == prefix &&
          module[prefix.size()] == '.');
}

// ---- the deny list (policy 1 in pickle.h) ----

constexpr std::string_view kDeniedTopModules[] = {"os",
                                                  "posix",
                                                  "nt",
                                                  "posixpath",
                                                  "ntpath",
                                                  "subprocess",
                                                  "_posixsubprocess",
                                                  "sys",
                                                  "importlib",
                                                  "imp",
                                                  "zipimport",
                                                  "pkgutil",
                                                  "runpy",
                                                  "site",
                                                  "code",
                                                  "codeop",
                                                  "pty",
                                                  "shutil",
                                                  "tempfile",
                                                  "glob",
                                                  "io",
                                                  "_io",
                                                  "socket",
                                                  "ssl",
                                                  "http",
                                                  "urllib",
                                                  "urllib2",
                                                  "httplib",
                                                  "ftplib",
                                                  "smtplib",
                                                  "telnetlib",
                                                  "requests",
                                                  "webbrowser",
                                                  "ctypes",
                                                  "multiprocessing",
                                                  "threading",
                                                  "_thread",
                                                  "asyncio",
                                                  "signal",
                                                  "pickle",
                                                  "_pickle",
                                                  "cPickle",
                                                  "dill",
                                                  "cloudpickle",
                                                  "marshal",
                                                  "shelve",
                                                  "pdb",
                                                  "bdb",
                                                  "timeit",
                                                  "commands",
                                                  "popen2",
                                                  "platform",
                                                  "types",
                                                  "inspect",
                                                  "operator",
                                                  "_operator",
                                                  "functools",
                                                  "gc",
                                                  "distutils",
                                                  "setuptools",
                                                  "pip"};
constexpr std::string_view kDeniedModules[] = {
    "torch._C",        "torch.ops",           "torch.hub",
    "torch.jit",       "torch.serialization", "torch.utils.cpp_extension",
    "numpy.testing",   "numpy.f2py",          "numpy.distutils",
    "numpy.ctypeslib", "numpy.lib.npyio"};
constexpr std::string_view kDeniedNames[] = {
    "torch.load",         "numpy.load",          "numpy.loadtxt",       "numpy.genfromtxt",
    "numpy.fromfile",     "builtins.eval",       "builtins.exec",       "builtins.execfile",
    "builtins.compile",   "builtins.open",       "builtins.file",       "builtins.input",
    "builtins.raw_input", "builtins.getattr",    "builtins.setattr",    "builtins.delattr",
    "builtins.hasattr",   "builtins.__import__", "builtins.globals",    "builtins.locals",
    "builtins.vars",      "builtins.dir",        "builtins.breakpoint", "builtins.help",
    "builtins.exit",      "builtins.quit",       "builtins.reload",     "builtins.apply"};
// LibTorch's own pickler (torch::pickle_save, TorchScript archives) tags typed containers with
// these torch.jit helpers; each one only returns its first argument, so they are safe to follow.
constexpr std::string_view kTorchJitContainerHelpers[] = {
    "torch.jit._pickle.restore_type_tag", "torch.jit._pickle.build_intlist",
    "torch.jit._pickle.build_tensorlist", "torch.jit._pickle.build_doublelist",
    "torch.jit._pickle.build_boollist"};
constexpr std::string_view kDenyExceptions[] = {"types.SimpleNamespace",
                                                "torch.jit._pickle.restore_type_tag",
                                                "torch.jit._pickle.build_intlist",
                                                "torch.jit._pickle.build_tensorlist",
                                                "torch.jit._pickle.build_doublelist",
                                                "torch.jit._pickle.build_boollist"};

bool is_denied(std::string_view module, std::string_view full) {
  for (auto e : kDenyExceptions)
    if (full == e) return false;
  const std::string_view top = module.substr(0, module.find('.'));
  for (auto m : kDeniedTopModules)
    if (top == m) return true;
  for (auto m : kDeniedModules)
    if (starts_with_module(module, m)) return true;
  for (auto n : kDeniedNames)
    if (full == n) return true;
  return false;
}

// ---- the allow list (policy 2) ----

constexpr std::string_view kUnreadableTensorBuilders[] = {
    "torch._utils._rebuild_qtensor",
    "torch._utils._rebuild_sparse_tensor",
    "torch._utils._rebuild_sparse_csr_tensor",
    "torch._utils._rebuild_sparse_compressed_tensor",
    "torch._utils._rebuild_device_tensor_from_numpy",
    "torch._utils._rebuild_xla_tensor",
    "torch._utils._rebuild_meta_tensor_no_storage",
    "torch._utils._rebuild_wrapper_subclass",
    "torch._utils._rebuild_nested_tensor",
    "torch._utils._rebuild_device_tensor_from_cpu_tensor"};

constexpr std::string_view kInertRecordClasses[] = {
    "torch.device",
    "builtins.slice",
    "builtins.range",
    "builtins.complex",
    "builtins.object",
    "datetime.datetime",
    "datetime.date",
    "datetime.time",
    "datetime.timedelta",
    "datetime.timezone",
    "pathlib.Path",
    "pathlib.PosixPath",
    "pathlib.WindowsPath",
    "pathlib.PurePath",
    "pathlib.PurePosixPath",
    "pathlib.PureWindowsPath",
    "decimal.Decimal",
    "fractions.Fraction",
    "uuid.UUID",
    "argparse.Namespace",
    "types.SimpleNamespace",
    "pytorch_lightning.utilities.parsing.AttributeDict",
    "pytorch_lightning.utilities.AttributeDict",
    "lightning.pytorch.utilities.parsing.AttributeDict",
    "lightning.fabric.utilities.data.AttributeDict",
    "lightning_fabric.utilities.data.AttributeDict"};

bool in_list(std::string_view name, std::span<const std::string_view> list) {
  return std::find(list.begin(), list.end(), name) != list.end();
}

bool is_numpy(std::string_view name, std::string_view suffix) {
  // numpy 1 (numpy.core.*) and numpy 2 (numpy._core.*)
  if (name.starts_with("numpy.core.")) return name.substr(11) == suffix;
  if (name.starts_with("numpy._core.")) return name.substr(12) == suffix;
  return false;
}

std::string canonical_module(std::string_view module) {
  if (module == "__builtin__") return "builtins";
  if (module == "copy_reg") return "copyreg";
  if (module == "torch.tensor") return "torch._tensor";  // torch.serialization's own mapping
  return std::string(module);
}

bool valid_dotted_name(std::string_view s) {
  if (s.empty() || s.size() > 512 || s.front() == '.' || s.back() == '.') return false;
  char prev = 0;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.';
    if (!ok || (c == '.' && prev == '.')) return false;
    prev = c;
  }
  return true;
}

std::optional<DType> storage_dtype(std::string_view name) {
  // find_class in torch.serialization maps any name containing "Storage" by its last component.
  const auto dot = name.rfind('.');
  const std::string_view last = dot == std::string_view::npos ? name : name.substr(dot + 1);
  struct Entry {
    std::string_view name;
    DType dtype;
  };
  static constexpr Entry kTable[] = {
      {"FloatStorage", DType::Float32}, {"DoubleStorage", DType::Float64},
      {"HalfStorage", DType::Float16},  {"BFloat16Storage", DType::BFloat16},
      {"LongStorage", DType::Int64},    {"IntStorage", DType::Int32},
      {"ShortStorage", DType::Int16},   {"CharStorage", DType::Int8},
      {"ByteStorage", DType::UInt8},    {"BoolStorage", DType::Bool},
      {"UntypedStorage", DType::UInt8}, {"_UntypedStorage", DType::UInt8}};
  for (const auto& e : kTable)
    if (last == e.name) return e.dtype;
  return std::nullopt;
}

std::optional<DType> torch_dtype(std::string_view name) {
  struct Entry {
    std::string_view name;
    DType dtype;
  };
  static constexpr Entry kTable[] = {
      {"torch.float32", DType::Float32},   {"torch.float", DType::Float32},
      {"torch.float64", DType::Float64},   {"torch.double", DType::Float64},
      {"torch.float16", DType::Float16},   {"torch.half", DType::Float16},
      {"torch.bfloat16", DType::BFloat16}, {"torch.int64", DType::Int64},
      {"torch.long", DType::Int64},        {"torch.int32", DType::Int32},
      {"torch.int", DType::Int32},         {"torch.int16", DType::Int16},
      {"torch.short", DType::Int16},       {"torch.int8", DType::Int8},
      {"torch.uint8", DType::UInt8},       {"torch.bool", DType::Bool}};
  for (const auto& e : kTable)
    if (name == e.name) return e.dtype;
  return std::nullopt;
}

// numpy dtype strings as numpy.dtype(...) receives them ("f4", "<f8", "b1", ...).
std::optional<DType> numpy_dtype(std::string_view descr) {
  if (!descr.empty() && (descr[0] == '<' || descr[0] == '|' || descr[0] == '='))
    descr.remove_prefix(1);
  struct Entry {
    std::string_view name;
    DType dtype;
  };
  static constexpr Entry kTable[] = {
      {"f4", DType::Float32}, {"f8", DType::Float64}, {"f2", DType::Float16},
      {"i8", DType::Int64},   {"i4", DType::Int32},   {"i2", DType::Int16},
      {"i1", DType::Int8},    {"u1", DType::UInt8},   {"b1", DType::Bool}};
  for (const auto& e : kTable)
    if (descr == e.name) return e.dtype;
  return std::nullopt;
}

// Checked arithmetic on sizes.
bool mul_ok(uint64_t a, uint64_t b, uint64_t* out) {
  return !__builtin_mul_overflow(a, b, out);
}
bool add_ok(uint64_t a, uint64_t b, uint64_t* out) {
  return !__builtin_add_overflow(a, b, out);
}

// Decimal digits of a little-endian two's complement integer (LONG1/LONG4 beyond int64).
std::string long_to_decimal(std::string_view le) {
  std::vector<uint8_t> mag(le.begin(), le.end());
  const bool negative = !mag.empty() && (mag.back() & 0x80);
  if (negative) {  // magnitude = ~x + 1
    unsigned carry = 1;
    for (auto& b : mag) {
      const unsigned v = static_cast<uint8_t>(~b) + carry;
      b = static_cast<uint8_t>(v);
      carry = v >> 8;
    }
  }
  std::vector<uint32_t> words((mag.size() + 3) / 4, 0);
  for (size_t k = 0; k < mag.size(); ++k) words[k / 4] |= uint32_t(mag[k]) << (8 * (k % 4));
  while (!words.empty() && words.back() == 0) words.pop_back();
  std::string digits;
  while (!words.empty()) {
    uint64_t rem = 0;
    for (size_t k = words.size(); k-- > 0;) {
      const uint64_t cur = (rem << 32) | words[k];
      words[k] = static_cast<uint32_t>(cur / 1000000000u);
      rem = cur % 1000000000u;
    }
    while (!words.empty() && words.back() == 0) words.pop_back();
    for (int d = 0; d < 9; ++d) {
      digits.push_back(static_cast<char>('0' + rem % 10));
      rem /= 10;
      if (words.empty() && rem == 0) break;
    }
  }
  if (digits.empty()) digits = "0";
  if (negative) digits.push_back('-');
  std::reverse(digits.begin(), digits.end());
  return digits;
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xc0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xe0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else {
    out.push_back(static_cast<char>(0xf0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  }
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// ---- dict keys: Python equality and hashing for the key kinds pickles use ----

bool numeric(const Value& v) {
  return v.kind == Kind::Bool || v.kind == Kind::Int || v.kind == Kind::Float;
}

double numeric_value(const Value& v) {
  return v.kind == Kind::Float ? v.f : v.kind == Kind::Bool ? (v.b ? 1.0 : 0.0) : double(v.i);
}

bool keys_equal(const Value& a, const Value& b, int depth) {
  if (&a == &b) return true;
  if (numeric(a) && numeric(b)) {
    if (a.kind != Kind::Float && b.kind != Kind::Float) {
      const int64_t x = a.kind == Kind::Bool ? a.b : a.i;
      const int64_t y = b.kind == Kind::Bool ? b.b : b.i;
      return x == y;
    }
    return numeric_value(a) == numeric_value(b);
  }
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case Kind::None:
      return true;
    case Kind::String:
    case Kind::Bytes:
      return a.s == b.s;
    case Kind::Global:
      return a.class_name == b.class_name;
    case Kind::Tuple:
      if (depth >= kMaxKeyDepth || a.items.size() != b.items.size()) return false;
      for (size_t k = 0; k < a.items.size(); ++k)
        if (!keys_equal(*a.items[k], *b.items[k], depth + 1)) return false;
      return true;
    default:
      return false;  // objects compare by identity
  }
}

uint64_t key_hash(const Value& v, int depth) {
  switch (v.kind) {
    case Kind::Bool:
      return std::hash<int64_t>()(v.b);
    case Kind::Int:
      return std::hash<int64_t>()(v.i);
    case Kind::Float:
      if (std::abs(v.f) < 9.2e18 && v.f == std::trunc(v.f))
        return std::hash<int64_t>()(static_cast<int64_t>(v.f));
      return std::hash<double>()(v.f);
    case Kind::None:
      return 0x9e3779b9u;
    case Kind::String:
      return std::hash<std::string>()(v.s) ^ 0x51;
    case Kind::Bytes:
      return std::hash<std::string>()(v.s) ^ 0x52;
    case Kind::Global:
      return std::hash<std::string>()(v.class_name) ^ 0x53;
    case Kind::Tuple: {
      uint64_t h = 0x54 + v.items.size();
      if (depth >= kMaxKeyDepth) return h;
      for (const auto& item : v.items) h = h * 1000003u ^ key_hash(*item, depth + 1);
      return h;
    }
    default:
      return std::hash<const void*>()(&v);
  }
}

class Unpickler {
 public:
  Unpickler(const std::byte* data, size_t size, size_t pos, const std::string& path,
            const std::string& part)
      : data_(reinterpret_cast<const uint8_t*>(data)),
        size_(size),
        pos_(pos),
        path_(path),
        part_(part) {}

  ~Unpickler() { break_references(); }

  PickleResult run() {
    PickleResult result;
    result.root = parse();
    check_tree(result.root);
    for (auto& t : pending_)
      if (reachable_tensors_.count(t.value.get())) result.tensors.push_back(std::move(t));
    result.storages = std::move(storages_);
    result.end = pos_;
    return result;
  }

 private:
  // ---- errors ----

  [[noreturn]] void fail(const std::string& message) const {
    throw bad_input(path_ + ": malformed pickle (" + part_ + ", byte " + std::to_string(op_pos_) +
                    "): " + message);
  }
  [[noreturn]] void refuse(const std::string& global, const std::string& why) const {
    throw RefusedPickle(path_ + ": refuses to load: the pickle calls " + global + " (" + why +
                        "; mlexport never runs code from a checkpoint)");
  }

  // ---- input ----

  void need(uint64_t n) const {
    if (n > size_ - pos_)
      fail("truncated (" + std::to_string(n) + " bytes needed, " + std::to_string(size_ - pos_) +
           " left)");
  }
  uint8_t u8() {
    need(1);
    return data_[pos_++];
  }
  uint64_t le(int n) {
    need(n);
    uint64_t v = 0;
    for (int k = 0; k < n; ++k) v |= uint64_t(data_[pos_ + k]) << (8 * k);
    pos_ += n;
    return v;
  }
  std::string_view take(uint64_t n) {
    need(n);
    std::string_view s(reinterpret_cast<const char*>(data_ + pos_), n);
    pos_ += n;
    return s;
  }
  std::string_view line() {
    const auto* start = data_ + pos_;
    const auto* nl = static_cast<const uint8_t*>(std::memchr(start, '\n', size_ - pos_));
    if (!nl) fail("a text opcode's argument has no terminating newline");
    std::string_view s(reinterpret_cast<const char*>(start), nl - start);
    pos_ += s.size() + 1;
    if (!s.empty() && s.back() == '\r') s.remove_suffix(1);
    return s;
  }

  // ---- objects ----

  void count(size_t n = 1) {
    objects_ += n;
    if (objects_ > kMaxObjects)
      fail("more than " + std::to_string(kMaxObjects) +
           " objects and references (an object bomb?)");
  }
  MPtr make(Kind kind) {
    count();
    auto v = std::make_shared<Value>();
    v->kind = kind;
    if (is_container(*v)) containers_.push_back(v);
    return v;
  }
  MPtr make_int(int64_t i) {
    auto v = make(Kind::Int);
    v->i = i;
    return v;
  }
  MPtr make_string(Kind kind, std::string_view s) {
    auto v = make(kind);
    v->s.assign(s);
    return v;
  }
  MPtr make_big_int(std::string digits) {
    auto v = make(Kind::Object);
    v->class_name = "builtins.int";
    v->s = std::move(digits);
    return v;
  }
  MPtr make_object(std::string class_name) {
    auto v = make(Kind::Object);
    v->class_name = std::move(class_name);
    return v;
  }

  size_t floor() const { return marks_.empty() ? 0 : marks_.back(); }
  void push(MPtr v) {
    count();
    stack_.push_back(std::move(v));
  }
  MPtr pop() {
    if (stack_.size() <= floor()) fail("stack underflow");
    MPtr v = std::move(stack_.back());
    stack_.pop_back();
    return v;
  }
  MPtr& top() {
    if (stack_.size() <= floor()) fail("stack underflow");
    return stack_.back();
  }
  std::vector<MPtr> pop_mark() {
    if (marks_.empty()) fail("no MARK on the stack");
    const size_t m = marks_.back();
    marks_.pop_back();
    std::vector<MPtr> items(std::make_move_iterator(stack_.begin() + m),
                            std::make_move_iterator(stack_.end()));
    stack_.resize(m);
    return items;
  }

  void memo_put(uint64_t index) {
    count();
    memo_[index] = top();
  }
  void memo_get(uint64_t index) {
    auto it = memo_.find(index);
    if (it == memo_.end()) fail("memo key " + std::to_string(index) + " was never stored");
    push(it->second);
  }

  // Python's dict assignment: an equal key keeps its place and takes the new value.
  void dict_set(Value& d, ValuePtr key, ValuePtr value) {
    if (key->kind == Kind::List || key->kind == Kind::Dict) fail("unhashable dict key");
    auto& entries = d.entries;
    if (entries.size() < 16) {
      for (auto& e : entries)
        if (keys_equal(*e.first, *key, 0)) {
          e.second = std::move(value);
          return;
        }
    } else {
      auto& index = dict_index_[&d];
      if (index.size() != entries.size()) {  // (re)build lazily
        index.clear();
        for (size_t k = 0; k < entries.size(); ++k)
          index.emplace(key_hash(*entries[k].first, 0), k);
      }
      const uint64_t h = key_hash(*key, 0);
      auto [lo, hi] = index.equal_range(h);
      for (auto it = lo; it != hi; ++it)
        if (keys_equal(*entries[it->second].first, *key, 0)) {
          entries[it->second].second = std::move(value);
          return;
        }
      index.emplace(h, entries.size());
    }
    entries.emplace_back(std::move(key), std::move(value));
  }

  // ---- the main loop ----

  ValuePtr parse() {
    for (;;) {
      op_pos_ = pos_;
      const uint8_t code = u8();
      switch (code) {
        case op::PROTO: {
          const uint8_t proto = u8();
          if (proto > 5) fail("unsupported pickle protocol " + std::to_string(proto));
          break;
        }
        case op::FRAME: {
          const uint64_t n = le(8);
          need(n);  // frames only group opcodes; their bounds must lie inside the input
          break;
        }
        case op::STOP: {
          if (!marks_.empty()) fail("STOP inside an unclosed MARK");
          if (stack_.size() != 1)
            fail("STOP with " + std::to_string(stack_.size()) + " objects on the stack");
          return pop();
        }
        case op::MARK:
          if (marks_.size() >= kMaxObjects) fail("too many marks");
          marks_.push_back(stack_.size());
          break;
        case op::POP:
          if (stack_.size() > floor())
            stack_.pop_back();
          else
            pop_mark();  // Python pops a mark when the stack above it is empty
          break;
        case op::POP_MARK:
          pop_mark();
          break;
        case op::DUP: {
          MPtr v = top();
          push(std::move(v));
          break;
        }

        // ---- scalars ----
        case op::NONE:
          push(none());
          break;
        case op::NEWTRUE:
          push(boolean(true));
          break;
        case op::NEWFALSE:
          push(boolean(false));
          break;
        case op::BININT:
          push(make_int(static_cast<int32_t>(le(4))));
          break;
        case op::BININT1:
          push(make_int(u8()));
          break;
        case op::BININT2:
          push(make_int(static_cast<int64_t>(le(2))));
          break;
        case op::LONG1:
          push(make_long(take(u8())));
          break;
        case op::LONG4: {
          const int32_t n = static_cast<int32_t>(le(4));
          if (n < 0) fail("negative LONG4 length");
          if (static_cast<size_t>(n) > kMaxLongBytes) fail("integer longer than 1 KiB");
          push(make_long(take(n)));
          break;
        }
        case op::INT: {
          const std::string_view text = line();
          if (text == "00")
            push(boolean(false));
          else if (text == "01")
            push(boolean(true));
          else
            push(parse_decimal(text));
          break;
        }
        case op::LONG: {
          std::string_view text = line();
          if (!text.empty() && text.back() == 'L') text.remove_suffix(1);
          push(parse_decimal(text));
          break;
        }
        case op::BINFLOAT: {
          const uint64_t bits = __builtin_bswap64(le(8));  // big-endian on the wire
          auto v = make(Kind::Float);
          v->f = std::bit_cast<double>(bits);
          push(std::move(v));
          break;
        }
        case op::FLOAT: {
          const std::string_view text = line();
          auto v = make(Kind::Float);
          const auto r = std::from_chars(text.data(), text.data() + text.size(), v->f);
          if (r.ec != std::errc() || r.ptr != text.data() + text.size())
            fail("FLOAT argument is not a number");
          push(std::move(v));
          break;
        }

        // ---- strings and bytes ----
        case op::SHORT_BINUNICODE:
          push(make_string(Kind::String, take(u8())));
          break;
        case op::BINUNICODE:
          push(make_string(Kind::String, take(le(4))));
          break;
        case op::BINUNICODE8:
          push(make_string(Kind::String, take(le(8))));
          break;
        case op::UNICODE:
          push(make_string(Kind::String, raw_unicode_escape(line())));
          break;
        case op::SHORT_BINSTRING:
          push(make_string(Kind::String, take(u8())));
          break;
        case op::BINSTRING: {
          const int32_t n = static_cast<int32_t>(le(4));
          if (n < 0) fail("negative BINSTRING length");
          push(make_string(Kind::String, take(n)));
          break;
        }
        case op::STRING:
          push(make_string(Kind::String, escape_decode(line())));
          break;
        case op::SHORT_BINBYTES:
          push(make_string(Kind::Bytes, take(u8())));
          break;
        case op::BINBYTES:
          push(make_string(Kind::Bytes, take(le(4))));
          break;
        case op::BINBYTES8:
        case op::BYTEARRAY8:
          push(make_string(Kind::Bytes, take(le(8))));
          break;
        case op::READONLY_BUFFER:
          if (top()->kind != Kind::Bytes) fail("READONLY_BUFFER on a non-buffer");
          break;
        case op::NEXT_BUFFER:
          fail("out-of-band buffers (protocol 5 NEXT_BUFFER) are not supported");

        // ---- containers ----
        case op::EMPTY_TUPLE:
          push(make(Kind::Tuple));
          break;
        case op::TUPLE1:
        case op::TUPLE2:
        case op::TUPLE3: {
          const size_t n = code - op::TUPLE1 + 1;
          auto t = make(Kind::Tuple);
          t->items.resize(n);
          for (size_t k = n; k-- > 0;) t->items[k] = pop();
          push(std::move(t));
          break;
        }
        case op::TUPLE: {
          auto items = pop_mark();
          auto t = make(Kind::Tuple);
          t->items.assign(std::make_move_iterator(items.begin()),
                          std::make_move_iterator(items.end()));
          push(std::move(t));
          break;
        }
        case op::EMPTY_LIST:
          push(make(Kind::List));
          break;
        case op::LIST: {
          auto items = pop_mark();
          auto l = make(Kind::List);
          l->items.assign(std::make_move_iterator(items.begin()),
                          std::make_move_iterator(items.end()));
          push(std::move(l));
          break;
        }
        case op::APPEND: {
          MPtr item = pop();
          append_to(*top(), {std::move(item)});
          break;
        }
        case op::APPENDS: {
          auto items = pop_mark();
          append_to(*top(), std::move(items));
          break;
        }
        case op::EMPTY_DICT:
          push(make(Kind::Dict));
          break;
        case op::DICT: {
          auto items = pop_mark();
          auto d = make(Kind::Dict);
          set_items(*d, std::move(items));
          push(std::move(d));
          break;
        }
        case op::SETITEM: {
          MPtr value = pop();
          MPtr key = pop();
          std::vector<MPtr> kv{std::move(key), std::move(value)};
          set_items(*top(), std::move(kv));
          break;
        }
        case op::SETITEMS: {
          auto items = pop_mark();
          set_items(*top(), std::move(items));
          break;
        }
        case op::EMPTY_SET: {
          push(make_object("builtins.set"));
          break;
        }
        case op::ADDITEMS: {
          auto items = pop_mark();
          Value& s = *top();
          if (s.kind != Kind::Object ||
              (s.class_name != "builtins.set" && s.class_name != "builtins.frozenset"))
            fail("ADDITEMS on a non-set");
          for (auto& item : items) s.items.push_back(std::move(item));
          break;
        }
        case op::FROZENSET: {
          auto items = pop_mark();
          auto s = make_object("builtins.frozenset");
          s->items.assign(std::make_move_iterator(items.begin()),
                          std::make_move_iterator(items.end()));
          push(std::move(s));
          break;
        }

        // ---- memo ----
        case op::BINPUT:
          memo_put(u8());
          break;
        case op::LONG_BINPUT:
          memo_put(le(4));
          break;
        case op::PUT:
          memo_put(parse_index(line()));
          break;
        case op::MEMOIZE:
          memo_put(memo_.size());
          break;
        case op::BINGET:
          memo_get(u8());
          break;
        case op::LONG_BINGET:
          memo_get(le(4));
          break;
        case op::GET:
          memo_get(parse_index(line()));
          break;

        // ---- globals and calls ----
        case op::GLOBAL: {
          const std::string_view module = line();
          const std::string_view name = line();
          push(global(module, name));
          break;
        }
        case op::STACK_GLOBAL: {
          MPtr name = pop();
          MPtr module = pop();
          if (name->kind != Kind::String || module->kind != Kind::String)
            fail("STACK_GLOBAL needs two strings");
          push(global(module->s, name->s));
          break;
        }
        case op::REDUCE: {
          MPtr args = pop();
          MPtr callable = pop();
          push(reduce(*callable, *args));
          break;
        }
        case op::NEWOBJ: {
          MPtr args = pop();
          MPtr cls = pop();
          if (args->kind != Kind::Tuple) fail("NEWOBJ arguments are not a tuple");
          push(new_object(*cls, args->items));
          break;
        }
        case op::NEWOBJ_EX: {
          MPtr kwargs = pop();
          MPtr args = pop();
          MPtr cls = pop();
          if (args->kind != Kind::Tuple || kwargs->kind != Kind::Dict)
            fail("NEWOBJ_EX needs an argument tuple and a keyword dict");
          auto obj = new_object(*cls, args->items);
          if (obj->kind == Kind::Object)
            for (const auto& e : kwargs->entries) dict_set(*obj, e.first, e.second);
          push(std::move(obj));
          break;
        }
        case op::INST: {
          const std::string_view module = line();
          const std::string_view name = line();
          auto cls = global(module, name);
          auto items = pop_mark();
          Value args;
          args.kind = Kind::Tuple;
          args.items.assign(items.begin(), items.end());
          push(reduce(*cls, args));
          break;
        }
        case op::OBJ: {
          auto items = pop_mark();
          if (items.empty()) fail("OBJ without a class");
          Value args;
          args.kind = Kind::Tuple;
          args.items.assign(items.begin() + 1, items.end());
          push(reduce(*items.front(), args));
          break;
        }
        case op::BUILD: {
          MPtr state = pop();
          build(*top(), std::move(state));
          break;
        }
        case op::BINPERSID: {
          MPtr pid = pop();
          push(persistent_load(*pid));
          break;
        }
        case op::PERSID:
          fail("text persistent ids (PERSID) are not used by torch.save");
        case op::EXT1:
        case op::EXT2:
        case op::EXT4:
          fail("copyreg extension codes (EXT1/EXT2/EXT4) are not supported");
        default: {
          char hex[8];
          std::snprintf(hex, sizeof hex, "0x%02x", code);
          fail(std::string("unknown opcode ") + hex);
        }
      }
    }
  }

  // ---- scalars ----

  MPtr none() {
    if (!none_) none_ = std::make_shared<Value>();
    return none_;
  }
  MPtr boolean(bool b) {
    MPtr& slot = b ? true_ : false_;
    if (!slot) {
      slot = std::make_shared<Value>();
      slot->kind = Kind::Bool;
      slot->b = b;
    }
    return slot;
  }

  MPtr make_long(std::string_view le_bytes) {
    const size_t n = le_bytes.size();
    if (n > kMaxLongBytes) fail("integer longer than 1 KiB");
    const auto* b = reinterpret_cast<const uint8_t*>(le_bytes.data());
    if (n == 0) return make_int(0);
    const bool negative = b[n - 1] & 0x80;
    bool fits = n <= 8;
    if (!fits) {
      fits = (b[7] & 0x80) == (negative ? 0x80 : 0);
      for (size_t k = 8; k < n && fits; ++k) fits = b[k] == (negative ? 0xff : 0);
    }
    if (!fits) return make_big_int(long_to_decimal(le_bytes));
    uint64_t u = 0;
    const size_t m = std::min<size_t>(n, 8);
    for (size_t k = 0; k < m; ++k) u |= uint64_t(b[k]) << (8 * k);
    if (negative && m < 8) u |= ~uint64_t(0) << (8 * m);
    return make_int(static_cast<int64_t>(u));
  }

  MPtr parse_decimal(std::string_view text) {
    if (!text.empty() && text.front() == '+') text.remove_prefix(1);
    int64_t v = 0;
    const auto r = std::from_chars(text.data(), text.data() + text.size(), v);
    if (r.ec == std::errc() && r.ptr == text.data() + text.size()) return make_int(v);
    const size_t digits_from = !text.empty() && text.front() == '-' ? 1 : 0;
    if (text.size() <= digits_from || text.size() > 2 * kMaxLongBytes) fail("bad integer literal");
    for (size_t k = digits_from; k < text.size(); ++k)
      if (text[k] < '0' || text[k] > '9') fail("bad integer literal");
    return make_big_int(std::string(text));
  }

  uint64_t parse_index(std::string_view text) {
    uint64_t v = 0;
    const auto r = std::from_chars(text.data(), text.data() + text.size(), v);
    if (r.ec != std::errc() || r.ptr != text.data() + text.size()) fail("bad memo index");
    return v;
  }

  // Protocol 0 STRING: a quoted Python 2 literal with backslash escapes.
  std::string escape_decode(std::string_view q) {
    if (q.size() < 2 || q.front() != q.back() || (q.front() != '\'' && q.front() != '"'))
      fail("STRING argument is not quoted");
    q = q.substr(1, q.size() - 2);
    std::string out;
    for (size_t k = 0; k < q.size(); ++k) {
      if (q[k] != '\\') {
        out.push_back(q[k]);
        continue;
      }
      if (++k >= q.size()) fail("STRING ends in a backslash");
      const char c = q[k];
      switch (c) {
        case 'n':
          out.push_back('\n');
          break;
        case 't':
          out.push_back('\t');
          break;
        case 'r':
          out.push_back('\r');
          break;
        case 'b':
          out.push_back('\b');
          break;
        case 'f':
          out.push_back('\f');
          break;
        case 'v':
          out.push_back('\v');
          break;
        case 'a':
          out.push_back('\a');
          break;
        case '\\':
        case '\'':
        case '"':
          out.push_back(c);
          break;
        case '\n':
          break;
        case 'x': {
          if (k + 2 >= q.size()) fail("bad \\x escape");
          const int h = hex_digit(q[k + 1]), l = hex_digit(q[k + 2]);
          if (h < 0 || l < 0) fail("bad \\x escape");
          out.push_back(static_cast<char>(h * 16 + l));
          k += 2;
          break;
        }
        default:
          if (c >= '0' && c <= '7') {
            int v = c - '0';
            for (int d = 0; d < 2 && k + 1 < q.size() && q[k + 1] >= '0' && q[k + 1] <= '7'; ++d)
              v = v * 8 + (q[++k] - '0');
            out.push_back(static_cast<char>(v & 0xff));
          } else {
            out.push_back('\\');
            out.push_back(c);
          }
      }
    }
    return out;
  }

  // Protocol 0 UNICODE: latin-1 text where only \uXXXX and \UXXXXXXXX are escapes.
  std::string raw_unicode_escape(std::string_view in) {
    std::string out;
    for (size_t k = 0; k < in.size(); ++k) {
      const auto c = static_cast<uint8_t>(in[k]);
      if (c == '\\' && k + 1 < in.size() && (in[k + 1] == 'u' || in[k + 1] == 'U')) {
        const size_t n = in[k + 1] == 'u' ? 4 : 8;
        if (k + 2 + n > in.size()) fail("bad \\u escape");
        uint32_t cp = 0;
        for (size_t d = 0; d < n; ++d) {
          const int h = hex_digit(in[k + 2 + d]);
          if (h < 0) fail("bad \\u escape");
          cp = cp * 16 + h;
        }
        if (cp > 0x10ffff) fail("bad \\U escape");
        append_utf8(out, cp);
        k += 1 + n;
      } else {
        append_utf8(out, c);
      }
    }
    return out;
  }

  // ---- containers ----

  void append_to(Value& target, std::vector<MPtr> items) {
    const bool list_like =
        target.kind == Kind::List ||
        (target.kind == Kind::Object && target.class_name != "builtins.set" &&
         target.class_name != "builtins.frozenset" && target.class_name != "builtins.int");
    if (!list_like) fail("APPEND to a " + std::string(Value::kind_name(target.kind)));
    for (auto& item : items) target.items.push_back(std::move(item));
  }

  void set_items(Value& target, std::vector<MPtr> items) {
    if (target.kind != Kind::Dict &&
        !(target.kind == Kind::Object && target.class_name != "builtins.int"))
      fail("SETITEM on a " + std::string(Value::kind_name(target.kind)));
    if (items.size() % 2) fail("odd number of items for a dict");
    for (size_t k = 0; k < items.size(); k += 2)
      dict_set(target, std::move(items[k]), std::move(items[k + 1]));
  }

  // ---- globals ----

  MPtr global(std::string_view module_in, std::string_view name) {
    if (!valid_dotted_name(module_in) || !valid_dotted_name(name)) fail("malformed global name");
    const std::string module = canonical_module(module_in);
    std::string full = module + "." + std::string(name);
    if (is_denied(module, full)) refuse(full, "a function that can run code or touch the system");
    auto g = make(Kind::Global);
    g->class_name = std::move(full);
    return g;
  }

  // ---- REDUCE, INST, OBJ ----

  MPtr reduce(const Value& callable, const Value& args_value) {
    if (callable.kind != Kind::Global)
      refuse(callable.class_name.empty()
                 ? std::string("a ") + std::string(Value::kind_name(callable.kind))
                 : callable.class_name,
             "REDUCE of something that is not a named global");
    if (args_value.kind != Kind::Tuple) fail("REDUCE arguments are not a tuple");
    return call(callable.class_name, args_value.items);
  }

  MPtr call(const std::string& name, const std::vector<ValuePtr>& args) {
    for (auto helper : kTorchJitContainerHelpers)
      if (name == helper) {
        if (args.empty()) fail(name + " takes at least one argument");
        return std::const_pointer_cast<Value>(args[0]);
      }
    // Tensors.
    if (name == "torch._utils._rebuild_tensor") return rebuild_tensor(name, args, 4, false);
    if (name == "torch._utils._rebuild_tensor_v2") return rebuild_tensor(name, args, 6, false);
    if (name == "torch._utils._rebuild_tensor_v3") return rebuild_tensor(name, args, 7, true);
    if (name == "torch._utils._rebuild_parameter" ||
        name == "torch._utils._rebuild_parameter_with_state") {
      if (args.size() < 3 || args.size() > 4) fail(name + " takes 3 or 4 arguments");
      if (args[0]->kind != Kind::Tensor) fail(name + " of something that is not a tensor");
      return std::const_pointer_cast<Value>(args[0]);
    }
    if (name == "torch._tensor._rebuild_from_type" ||
        name == "torch._tensor._rebuild_from_type_v2") {
      if (args.size() != 4) fail(name + " takes 4 arguments");
      if (args[2]->kind != Kind::Tuple) fail(name + ": arguments are not a tuple");
      if (args[0]->kind != Kind::Global) refuse("a non-global", "inside " + name);
      const std::string& inner = args[0]->class_name;
      if (inner != "torch._utils._rebuild_tensor" && inner != "torch._utils._rebuild_tensor_v2" &&
          inner != "torch._utils._rebuild_tensor_v3" &&
          inner != "torch._utils._rebuild_parameter" &&
          inner != "torch._utils._rebuild_parameter_with_state" &&
          !is_unreadable_tensor_builder(inner))
        refuse(inner, "through " + name + ", which is allowed only for tensor builders");
      return call(inner, args[2]->items);
    }
    if (is_unreadable_tensor_builder(name)) return record(name, args);

    // Containers.
    if (name == "collections.OrderedDict" || name == "builtins.dict" ||
        name == "collections.defaultdict" || name == "collections.Counter") {
      auto d = make(Kind::Dict);
      if (name != "builtins.dict") d->class_name = name;
      const bool has_factory = name == "collections.defaultdict";
      const size_t data_arg = has_factory ? 1 : 0;
      if (args.size() > data_arg + 1) fail(name + ": too many arguments");
      if (args.size() == data_arg + 1) fill_dict(*d, *args[data_arg], name);
      return d;
    }
    if (name == "builtins.list" || name == "collections.deque" || name == "builtins.tuple" ||
        name == "torch.Size" || name == "builtins.set" || name == "builtins.frozenset") {
      MPtr out;
      if (name == "builtins.list" || name == "collections.deque") {
        out = make(Kind::List);
        if (name == "collections.deque") out->class_name = name;
      } else if (name == "builtins.tuple" || name == "torch.Size") {
        out = make(Kind::Tuple);
      } else {
        out = make_object(name);
      }
      if (!args.empty()) {
        const Value& src = *args[0];
        if (src.kind == Kind::List || src.kind == Kind::Tuple ||
            (src.kind == Kind::Object &&
             (src.class_name == "builtins.set" || src.class_name == "builtins.frozenset")))
          out->items = src.items;
        else if (src.kind != Kind::None)
          fail(name + " of a " + std::string(Value::kind_name(src.kind)));
      }
      if (args.size() > (name == "collections.deque" ? 2u : 1u))
        fail(name + ": too many arguments");
      return out;
    }
    if (name == "_codecs.encode") {
      if (args.size() != 2 || args[0]->kind != Kind::String || args[1]->kind != Kind::String)
        fail("_codecs.encode takes a string and an encoding");
      return encode_latin1(args[0]->s, args[1]->s);
    }
    if (name == "builtins.bytes" || name == "builtins.bytearray") {
      if (args.empty()) return make(Kind::Bytes);
      if (args.size() == 1 && args[0]->kind == Kind::Bytes)
        return make_string(Kind::Bytes, args[0]->s);
      if (args.size() == 2 && args[0]->kind == Kind::String && args[1]->kind == Kind::String)
        return encode_latin1(args[0]->s, args[1]->s);
      if (args.size() == 1 && args[0]->kind == Kind::List) {
        std::string bytes;
        for (const auto& item : args[0]->items) {
          if (item->kind != Kind::Int || item->i < 0 || item->i > 255) fail(name + ": not a byte");
          bytes.push_back(static_cast<char>(item->i));
        }
        return make_string(Kind::Bytes, bytes);
      }
      fail(name + ": unexpected arguments");
    }
    if (name == "copyreg._reconstructor") {
      if (args.size() != 3 || args[0]->kind != Kind::Global || args[1]->kind != Kind::Global)
        fail("copyreg._reconstructor takes a class, a base class and a state");
      auto obj = make_object(args[0]->class_name);
      const Value& state = *args[2];
      if (state.kind == Kind::Dict)
        for (const auto& e : state.entries) dict_set(*obj, e.first, e.second);
      else if (state.kind == Kind::List)
        obj->items = state.items;
      else if (state.kind != Kind::None)
        obj->items.push_back(args[2]);
      return obj;
    }
    if (name == "copyreg.__newobj__") {
      if (args.empty()) fail("copyreg.__newobj__ without a class");
      return new_object(*args[0], std::vector<ValuePtr>(args.begin() + 1, args.end()));
    }
    if (name == "copyreg.__newobj_ex__") {
      if (args.size() != 3 || args[1]->kind != Kind::Tuple || args[2]->kind != Kind::Dict)
        fail("copyreg.__newobj_ex__ takes a class, a tuple and a dict");
      auto obj = new_object(*args[0], args[1]->items);
      if (obj->kind == Kind::Object)
        for (const auto& e : args[2]->entries) dict_set(*obj, e.first, e.second);
      return obj;
    }

    // numpy.
    if (is_numpy(name, "multiarray._reconstruct")) {
      auto obj = make_object("numpy.ndarray");
      obj->items = args;
      return obj;
    }
    if (name == "numpy.dtype") return record(name, args);
    if (is_numpy(name, "multiarray.scalar")) return numpy_scalar(name, args);
    if (is_numpy(name, "numeric._frombuffer")) return numpy_frombuffer(name, args);

    if (in_list(name, kInertRecordClasses)) return record(name, args);
    if (name == "torch.storage._load_from_bytes")
      refuse(name,
             "a tensor written by pickle.dump rather than torch.save embeds a nested torch.load; "
             "re-save the object with torch.save");
    refuse(name, "not on the allow-list of tensor and container builders");
  }

  MPtr record(const std::string& name, const std::vector<ValuePtr>& args) {
    auto obj = make_object(name);
    obj->items = args;
    return obj;
  }

  void fill_dict(Value& d, const Value& src, const std::string& name) {
    if (src.kind == Kind::Dict) {
      for (const auto& e : src.entries) dict_set(d, e.first, e.second);
    } else if (src.kind == Kind::List || src.kind == Kind::Tuple) {
      for (const auto& pair : src.items) {
        if ((pair->kind != Kind::List && pair->kind != Kind::Tuple) || pair->items.size() != 2)
          fail(name + ": an item is not a key-value pair");
        dict_set(d, pair->items[0], pair->items[1]);
      }
    } else if (src.kind != Kind::None) {
      fail(name + " of a " + std::string(Value::kind_name(src.kind)));
    }
  }

  MPtr encode_latin1(const std::string& text, const std::string& encoding) {
    if (encoding != "latin1" && encoding != "latin-1" && encoding != "iso-8859-1" &&
        encoding != "ascii")
      fail("only latin1 string encodings are read, not '" + encoding + "'");
    std::string out;  // UTF-8 -> code points < 256
    for (size_t k = 0; k < text.size();) {
      const auto c = static_cast<uint8_t>(text[k]);
      if (c < 0x80) {
        out.push_back(static_cast<char>(c));
        k += 1;
      } else if ((c & 0xe0) == 0xc0 && k + 1 < text.size()) {
        const uint32_t cp = ((c & 0x1f) << 6) | (static_cast<uint8_t>(text[k + 1]) & 0x3f);
        if (cp > 0xff) fail("a latin1-encoded string holds a character above U+00FF");
        out.push_back(static_cast<char>(cp));
        k += 2;
      } else {
        fail("a latin1-encoded string holds a character above U+00FF");
      }
    }
    return make_string(Kind::Bytes, out);
  }

  // ---- NEWOBJ ----

  MPtr new_object(const Value& cls, std::vector<ValuePtr> args) {
    if (cls.kind != Kind::Global) fail("NEWOBJ of something that is not a class");
    const std::string& name = cls.class_name;
    if (name == "collections.OrderedDict" || name == "builtins.dict" ||
        name == "collections.defaultdict" || name == "collections.Counter") {
      auto d = make(Kind::Dict);
      if (name != "builtins.dict") d->class_name = name;
      return d;
    }
    if (name == "builtins.list") return make(Kind::List);
    if (name == "builtins.tuple" || name == "torch.Size") {
      auto t = make(Kind::Tuple);
      if (!args.empty() && (args[0]->kind == Kind::Tuple || args[0]->kind == Kind::List))
        t->items = args[0]->items;
      return t;
    }
    if (name == "builtins.set" || name == "builtins.frozenset") return make_object(name);
    if (name.starts_with("torch._utils.") || name.starts_with("torch._tensor.") ||
        name.starts_with("copyreg."))
      refuse(name, "through NEWOBJ, which only constructs classes");
    auto obj = make_object(name);
    obj->items = std::move(args);
    return obj;
  }

  // ---- BUILD ----

  void build(Value& target, MPtr state) {
    switch (target.kind) {
      case Kind::Object:
        if (target.class_name == "numpy.ndarray") {
          numpy_setstate(target, std::move(state));
          return;
        }
        if (target.class_name == "builtins.int") fail("BUILD on an int");
        if (state->kind == Kind::Dict) {
          for (const auto& e : state->entries) dict_set(target, e.first, e.second);
        } else if (state->kind == Kind::Tuple && state->items.size() == 2 &&
                   (state->items[0]->kind == Kind::Dict || state->items[0]->kind == Kind::None) &&
                   (state->items[1]->kind == Kind::Dict || state->items[1]->kind == Kind::None)) {
          for (const auto& part : state->items)
            for (const auto& e : part->entries) dict_set(target, e.first, e.second);
        } else if (state->kind != Kind::None) {
          target.state = std::move(state);
        }
        return;
      case Kind::Dict:  // an OrderedDict subclass's attributes (a state dict's _metadata)
        if (state->kind != Kind::None) target.state = std::move(state);
        return;
      case Kind::Tensor:  // Python attributes of a tensor: dropped
        return;
      default:
        fail("BUILD on a " + std::string(Value::kind_name(target.kind)));
    }
  }

  // ---- persistent ids and tensors ----

  MPtr persistent_load(const Value& pid) {
    if (pid.kind != Kind::Tuple || pid.items.empty() ||
        (pid.items[0]->kind != Kind::String && pid.items[0]->kind != Kind::Bytes))
      fail("a persistent id is not a ('storage', ...) tuple");
    const std::string& type = pid.items[0]->s;
    if (type == "module") {
      if (pid.items.size() != 4 || pid.items[1]->kind != Kind::Global)
        fail("malformed ('module', ...) persistent id");
      return std::const_pointer_cast<Value>(pid.items[1]);
    }
    if (type != "storage") fail("unknown persistent id type '" + type + "'");
    if (pid.items.size() != 5 && pid.items.size() != 6)
      fail("a storage persistent id has " + std::to_string(pid.items.size()) +
           " fields, not 5 or 6");
    const Value& storage_type = *pid.items[1];
    const Value& key = *pid.items[2];
    const Value& numel = *pid.items[4];
    if (storage_type.kind != Kind::Global) fail("storage type is not a global");
    const auto dtype = storage_dtype(storage_type.class_name);
    if (!dtype) {
      if (storage_type.class_name.find("Storage") == std::string::npos)
        fail("storage type " + storage_type.class_name + " is not a storage class");
      throw bad_input(path_ + ": storage type " + storage_type.class_name +
                      " is not supported (supported: Float, Double, Half, BFloat16, Long, Int, "
                      "Short, Char, Byte, Bool and Untyped storages)");
    }
    if (key.kind != Kind::String && key.kind != Kind::Bytes) fail("storage key is not a string");
    if (key.s.empty() || key.s.size() > 256 || key.s.find('/') != std::string::npos ||
        key.s.find('\\') != std::string::npos || key.s.find('\0') != std::string::npos ||
        key.s == "." || key.s == "..")
      fail("bad storage key '" + key.s.substr(0, 64) + "'");
    if (numel.kind != Kind::Int || numel.i < 0) fail("storage size is not a non-negative integer");
    const size_t itemsize = ir::dtype_size(*dtype);
    uint64_t nbytes = 0;
    if (!mul_ok(static_cast<uint64_t>(numel.i), itemsize, &nbytes) || nbytes > (uint64_t(1) << 56))
      fail("absurd storage size " + std::to_string(numel.i));

    StorageRef ref{key.s, *dtype, 0, nbytes};
    auto it = storage_index_.find(key.s);
    if (it == storage_index_.end()) {
      storage_index_.emplace(key.s, storages_.size());
      storages_.push_back({key.s, *dtype, static_cast<uint64_t>(numel.i), nbytes});
    } else {
      // torch reads a storage once, at its first reference; later ones reuse it.
      ref.nbytes = storages_[it->second].nbytes;
    }
    if (pid.items.size() == 6 && pid.items[5]->kind != Kind::None) {  // legacy storage view
      const Value& view = *pid.items[5];
      if (view.kind != Kind::Tuple || view.items.size() != 3 || view.items[1]->kind != Kind::Int ||
          view.items[2]->kind != Kind::Int || view.items[1]->i < 0 || view.items[2]->i < 0)
        fail("malformed storage view metadata");
      uint64_t off = 0, len = 0, end = 0;
      if (!mul_ok(view.items[1]->i, itemsize, &off) || !mul_ok(view.items[2]->i, itemsize, &len) ||
          !add_ok(off, len, &end) || end > ref.nbytes)
        fail("storage view lies outside its storage");
      ref.byte_offset = off;
      ref.nbytes = len;
    }
    auto v = make_object(storage_type.class_name);
    v->items = {pid.items[2], pid.items[3], pid.items[4]};
    storage_refs_[v.get()] = std::move(ref);
    return v;
  }

  std::vector<int64_t> int_list(const Value& v, const std::string& what) {
    if (v.kind != Kind::Tuple && v.kind != Kind::List) fail(what + " is not a tuple");
    if (v.items.size() > kMaxTensorRank) fail(what + " has more than 64 dimensions");
    std::vector<int64_t> out;
    out.reserve(v.items.size());
    for (const auto& item : v.items) {
      if (item->kind != Kind::Int) fail(what + " holds a non-integer");
      out.push_back(item->i);
    }
    return out;
  }

  MPtr rebuild_tensor(const std::string& name, const std::vector<ValuePtr>& args, size_t min_args,
                      bool has_dtype) {
    if (args.size() < min_args || args.size() > min_args + 1)
      fail(name + " takes " + std::to_string(min_args) + " or " + std::to_string(min_args + 1) +
           " arguments, not " + std::to_string(args.size()));
    auto sit = storage_refs_.find(args[0].get());
    if (sit == storage_refs_.end()) fail(name + ": the first argument is not a storage");
    const StorageRef& storage = sit->second;
    if (args[1]->kind != Kind::Int || args[1]->i < 0) fail(name + ": bad storage offset");
    const int64_t offset = args[1]->i;
    std::vector<int64_t> sizes = int_list(*args[2], "tensor size");
    std::vector<int64_t> strides = int_list(*args[3], "tensor stride");
    if (sizes.size() != strides.size()) fail("tensor size and stride differ in length");
    DType dtype = storage.dtype;
    if (has_dtype) {
      const Value& d = *args[6];
      if (d.kind != Kind::Global) fail(name + ": dtype is not a torch dtype");
      const auto parsed = torch_dtype(d.class_name);
      if (!parsed) throw bad_input(path_ + ": tensor dtype " + d.class_name + " is not supported");
      dtype = *parsed;
    }
    const uint64_t itemsize = ir::dtype_size(dtype);
    // Bounds: the furthest element must lie inside the storage.
    uint64_t numel = 1, last = static_cast<uint64_t>(offset);
    bool empty = false;
    for (size_t d = 0; d < sizes.size(); ++d) {
      if (sizes[d] < 0) fail("negative tensor size " + std::to_string(sizes[d]));
      if (strides[d] < 0) fail("negative tensor stride " + std::to_string(strides[d]));
      if (sizes[d] == 0) empty = true;
    }
    if (!empty) {
      for (size_t d = 0; d < sizes.size(); ++d) {
        uint64_t span = 0;
        if (!mul_ok(numel, static_cast<uint64_t>(sizes[d]), &numel) ||
            !mul_ok(static_cast<uint64_t>(sizes[d] - 1), static_cast<uint64_t>(strides[d]),
                    &span) ||
            !add_ok(last, span, &last))
          fail("absurd tensor size");
      }
      uint64_t end_bytes = 0;
      if (!add_ok(last, 1, &end_bytes) || !mul_ok(end_bytes, itemsize, &end_bytes) ||
          end_bytes > storage.nbytes)
        throw bad_input(path_ + ": a tensor of shape " + ir::shape_to_string(sizes) + " (stride " +
                        ir::shape_to_string(strides) + ", offset " + std::to_string(offset) +
                        ") reaches beyond its storage '" + storage.key + "' of " +
                        std::to_string(storage.nbytes) + " bytes");
      uint64_t out_bytes = 0;
      if (!mul_ok(numel, itemsize, &out_bytes) || out_bytes > (uint64_t(1) << 56))
        fail("absurd tensor size");
    }
    auto v = make(Kind::Tensor);
    v->tensor.dtype = dtype;
    v->tensor.shape = std::move(sizes);
    pending_.push_back({v, storage, offset, std::move(strides)});
    return v;
  }

  // ---- numpy ----

  std::optional<DType> dtype_of_numpy_record(const Value& d) {
    if (d.kind != Kind::Object || d.class_name != "numpy.dtype" || d.items.empty() ||
        d.items[0]->kind != Kind::String)
      return std::nullopt;
    // The byte order lives in the BUILD state: (3, '<', ...).
    if (d.state && d.state->kind == Kind::Tuple && d.state->items.size() > 1 &&
        d.state->items[1]->kind == Kind::String && d.state->items[1]->s == ">")
      return std::nullopt;
    return numpy_dtype(d.items[0]->s);
  }

  MPtr numpy_tensor(DType dtype, const std::vector<int64_t>& shape, bool fortran,
                    std::string_view raw, const std::string& what) {
    uint64_t numel = 1;
    for (int64_t d : shape) {
      if (d < 0) fail(what + ": negative array dimension");
      if (!mul_ok(numel, static_cast<uint64_t>(d), &numel)) fail(what + ": absurd array size");
    }
    uint64_t nbytes = 0;
    if (!mul_ok(numel, ir::dtype_size(dtype), &nbytes) || nbytes != raw.size())
      fail(what + ": array data holds " + std::to_string(raw.size()) + " bytes, not " +
           std::to_string(nbytes));
    auto v = make(Kind::Tensor);
    v->tensor.dtype = dtype;
    v->tensor.shape = shape;
    const auto* src = reinterpret_cast<const std::byte*>(raw.data());
    if (!fortran || shape.size() < 2) {
      v->tensor.bytes = copy_of(src, raw.size());
    } else {
      v->tensor.bytes = zeroed(raw.size());
      std::vector<int64_t> strides(shape.size());
      int64_t s = 1;
      for (size_t d = 0; d < shape.size(); ++d) {
        strides[d] = s;
        s *= shape[d];
      }
      copy_strided(src, ir::dtype_size(dtype), 0, shape, strides, v->tensor.raw());
    }
    return v;
  }

  // ndarray.__setstate__((version, shape, dtype, is_fortran, rawdata)): becomes a Tensor in place
  // when the dtype is one ir::DType has, else stays an inert record with the state.
  void numpy_setstate(Value& target, MPtr state) {
    if (state->kind != Kind::Tuple || (state->items.size() != 5 && state->items.size() != 4))
      fail("numpy array state is not a (version, shape, dtype, fortran, data) tuple");
    const auto& it = state->items;
    const size_t base = it.size() == 5 ? 1 : 0;
    const std::vector<int64_t> shape = int_list(*it[base], "numpy array shape");
    const auto dtype = dtype_of_numpy_record(*it[base + 1]);
    const Value& raw = *it[base + 3];
    if (!dtype || raw.kind != Kind::Bytes || it[base + 2]->kind != Kind::Bool) {
      target.state = std::move(state);
      return;
    }
    MPtr t = numpy_tensor(*dtype, shape, it[base + 2]->b, raw.s, "numpy array");
    target.kind = Kind::Tensor;
    target.tensor = std::move(t->tensor);
    target.items.clear();
    target.class_name.clear();
  }

  MPtr numpy_scalar(const std::string& name, const std::vector<ValuePtr>& args) {
    if (args.size() != 2 || args[1]->kind != Kind::Bytes) return record(name, args);
    const auto dtype = dtype_of_numpy_record(*args[0]);
    if (!dtype || args[1]->s.size() != ir::dtype_size(*dtype)) return record(name, args);
    ir::Tensor t(*dtype, {});
    std::memcpy(t.raw(), args[1]->s.data(), t.nbytes());
    if (*dtype == DType::Bool) return boolean(t.raw()[0] != std::byte{0});
    if (ir::is_floating(*dtype)) {
      auto v = make(Kind::Float);
      v->f = t.value_as_double(0);
      return v;
    }
    return make_int(t.value_as_int(0));
  }

  MPtr numpy_frombuffer(const std::string& name, const std::vector<ValuePtr>& args) {
    if (args.size() != 4 || args[0]->kind != Kind::Bytes || args[3]->kind != Kind::String)
      return record(name, args);
    const auto dtype = dtype_of_numpy_record(*args[1]);
    if (!dtype) return record(name, args);
    return numpy_tensor(*dtype, int_list(*args[2], "numpy array shape"), args[3]->s == "F",
                        args[0]->s, "numpy array");
  }

  // ---- the finished tree: no cycles, bounded depth and expanded size ----

  void check_tree(const ValuePtr& root) {
    struct Info {
      bool done = false;
      int depth = 0;
      uint64_t size = 0;
    };
    struct Frame {
      const Value* v;
      size_t next = 0;
      int depth = 0;  // deepest child so far
      uint64_t size = 1;
    };
    std::unordered_map<const Value*, Info> info;
    std::vector<Frame> path;
    auto child_count = [](const Value* v) {
      return v->items.size() + 2 * v->entries.size() + (v->state ? 1 : 0);
    };
    auto child = [](const Value* v, size_t k) -> const Value* {
      if (k < v->items.size()) return v->items[k].get();
      k -= v->items.size();
      if (k < 2 * v->entries.size())
        return (k % 2 ? v->entries[k / 2].second : v->entries[k / 2].first).get();
      return v->state.get();
    };
    auto visit_leaf = [&](const Value* v) {
      if (v->kind == Kind::Tensor) reachable_tensors_.insert(v);
    };
    if (is_container(*root)) {
      info[root.get()];
      path.push_back({root.get()});
    } else {
      visit_leaf(root.get());
    }
    while (!path.empty()) {
      Frame& f = path.back();
      if (f.next < child_count(f.v)) {
        const Value* c = child(f.v, f.next++);
        if (!is_container(*c)) {
          visit_leaf(c);
          if (++f.size > kMaxExpandedNodes) tree_too_big();
          continue;
        }
        auto [it, inserted] = info.try_emplace(c);
        if (!inserted) {
          if (!it->second.done)
            throw bad_input(path_ + ": malformed pickle (" + part_ +
                            "): the object graph has a cycle (a container holds itself)");
          f.depth = std::max(f.depth, it->second.depth);
          f.size += it->second.size;
          if (f.size > kMaxExpandedNodes) tree_too_big();
          continue;
        }
        if (path.size() >= static_cast<size_t>(kMaxDepth))
          throw bad_input(path_ + ": malformed pickle (" + part_ +
                          "): objects nested deeper than " + std::to_string(kMaxDepth) + " levels");
        path.push_back({c});
        continue;
      }
      Info& mine = info[f.v];
      mine.done = true;
      mine.depth = f.depth + 1;
      mine.size = f.size;
      path.pop_back();
      if (!path.empty()) {
        path.back().depth = std::max(path.back().depth, mine.depth);
        path.back().size += mine.size;
        if (path.back().size > kMaxExpandedNodes) tree_too_big();
      }
    }
    // Containers the result does not hold may still form cycles; break them (and only them).
    for (auto& c : containers_)
      if (!info.count(c.get())) clear_children(*c);
    containers_.clear();
  }

  [[noreturn]] void tree_too_big() const {
    throw bad_input(path_ + ": malformed pickle (" + part_ +
                    "): the object tree expands to more than " + std::to_string(kMaxExpandedNodes) +
                    " nodes (a memo bomb?)");
  }

  static void clear_children(Value& v) {
    v.items.clear();
    v.entries.clear();
    v.state.reset();
  }

  // On failure (and for containers left out of the result) every container is emptied while all
  // are still owned here, so cycles are freed and nothing is destroyed recursively.
  void break_references() {
    stack_.clear();
    memo_.clear();
    for (auto& c : containers_) clear_children(*c);
    containers_.clear();
  }

 public:
  static void copy_strided(const std::byte* base, size_t itemsize, int64_t offset,
                           const std::vector<int64_t>& sizes, const std::vector<int64_t>& strides,
                           std::byte* out);

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_;
  size_t op_pos_ = 0;
  std::string path_, part_;
  std::vector<MPtr> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, MPtr> memo_;
  std::vector<MPtr> containers_;
  size_t objects_ = 0;
  MPtr none_, true_, false_;
  std::unordered_map<const Value*, StorageRef> storage_refs_;
  std::vector<PendingTensor> pending_;
  std::vector<StorageDecl> storages_;
  std::unordered_map<std::string, size_t> storage_index_;
  std::unordered_map<const Value*, std::unordered_multimap<uint64_t, size_t>> dict_index_;
  std::unordered_set<const Value*> reachable_tensors_;
};

template <size_t N>
void copy_elements(const std::byte* src, int64_t stride_bytes, int64_t count, std::byte* out) {
  for (int64_t k = 0; k < count; ++k) std::memcpy(out + k * N, src + k * stride_bytes, N);
}

// Row-major copy of a strided view: the innermost dimensions that are already contiguous are copied
// as one block; the rest is walked with an odometer.
void Unpickler::copy_strided(const std::byte* base, size_t itemsize, int64_t offset,
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

}  // namespace

bool is_unreadable_tensor_builder(std::string_view name) {
  return in_list(name, kUnreadableTensorBuilders);
}

PickleResult unpickle(const std::byte* data, size_t size, size_t offset, const std::string& path,
                      const std::string& part) {
  if (offset > size) throw bad_input(path + ": " + part + " lies outside the file");
  Unpickler u(data, size, offset, path, part);
  return u.run();
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
      Unpickler::copy_strided(base, itemsize, t.offset, out.shape, t.strides, out.raw());
    }
  }
}

}  // namespace detail

ValuePtr load_pickle_bytes(const void* data, size_t size, const std::string& name) {
  auto result = detail::unpickle(static_cast<const std::byte*>(data), size, 0, name, "pickle");
  if (!result.storages.empty())
    throw bad_input(name +
                    ": the pickle refers to torch storages, which a standalone pickle lacks");
  return result.root;
}

}  // namespace mlexport::checkpoint

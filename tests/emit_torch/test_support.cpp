#include "test_support.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <unordered_map>

#ifndef EMIT_TORCH_SIDE_PY
#error "EMIT_TORCH_SIDE_PY must name tests/emit_torch/torch_side.py"
#endif

namespace emit_torch_test {

using mlexport::pyvalue::Value;
using Kind = Value::Kind;
namespace ir = mlexport::ir;

ScratchDir::ScratchDir() {
  static std::atomic<int> counter{0};
  const auto* info = testing::UnitTest::GetInstance()->current_test_info();
  std::string name = info ? std::string(info->name()) : "scratch";
  path_ = fs::temp_directory_path() / ("mlexport_emit_torch_" + std::to_string(::getpid()) + "_" +
                                       std::to_string(counter++) + "_" + name);
  fs::remove_all(path_);
  fs::create_directories(path_);
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

std::vector<std::string> ScratchDir::listing() const {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(path_)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

namespace {

std::string quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string hex(const std::byte* p, size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(2 * n);
  for (size_t k = 0; k < n; ++k) {
    const auto b = std::to_integer<unsigned>(p[k]);
    out.push_back(digits[b >> 4]);
    out.push_back(digits[b & 15]);
  }
  return out;
}

std::string int_text(const Value& v) {
  if (v.kind == Kind::Int) return std::to_string(v.i);
  std::string s = v.s;  // an Object "builtins.int"
  const bool negative = !s.empty() && s[0] == '-';
  size_t k = negative ? 1 : 0;
  while (k + 1 < s.size() && s[k] == '0') ++k;
  s = s.substr(k);
  return negative && s != "0" ? "-" + s : s;
}

class Canonical {
 public:
  explicit Canonical(bool with_storage) : with_storage_(with_storage) {}

  json operator()(const Value& v) {
    switch (v.kind) {
      case Kind::None:
        return nullptr;
      case Kind::Bool:
        return v.b;
      case Kind::Int:
        return {{"int", int_text(v)}};
      case Kind::Float: {
        uint64_t bits;
        std::memcpy(&bits, &v.f, 8);
        char buf[20];
        std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(bits));
        return {{"float", buf}};
      }
      case Kind::String:
        return {{"str", v.s}};
      case Kind::Bytes:
        return {{"bytes", hex(reinterpret_cast<const std::byte*>(v.s.data()), v.s.size())}};
      case Kind::Tuple: {
        json items = json::array();
        for (const auto& item : v.items) items.push_back((*this)(*item));
        return {{"tuple", items}};
      }
      case Kind::List: {
        auto [fresh, n] = ident(v);
        if (!fresh) return {{"ref", n}};
        json items = json::array();
        for (const auto& item : v.items) items.push_back((*this)(*item));
        return {{"list", items}, {"id", n}};
      }
      case Kind::Dict: {
        auto [fresh, n] = ident(v);
        if (!fresh) return {{"ref", n}};
        json out = {{v.class_name.empty() ? "dict" : "ordered_dict", pairs(v)}, {"id", n}};
        if (v.state && !v.state->entries.empty()) out["attrs"] = pairs(*v.state);
        return out;
      }
      case Kind::Tensor: {
        auto [fresh, n] = ident(v);
        if (!fresh) return {{"ref", n}};
        return {{"tensor", tensor(v.tensor)}, {"id", n}};
      }
      case Kind::Object:
        if (v.class_name == "builtins.int") return {{"int", int_text(v)}};
        [[fallthrough]];
      default:
        return {{"unexpected", v.repr(1)}};
    }
  }

 private:
  json pairs(const Value& v) {
    json out = json::array();
    for (const auto& [k, item] : v.entries)
      out.push_back(json::array({(*this)(*k), (*this)(*item)}));
    return out;
  }

  std::pair<bool, int> ident(const Value& v) {
    auto [it, fresh] = ids_.emplace(&v, static_cast<int>(ids_.size()));
    return {fresh, it->second};
  }

  json tensor(const ir::Tensor& t) {
    const size_t elem = ir::dtype_size(t.dtype);
    const size_t n = static_cast<size_t>(t.numel()) * elem;
    std::vector<int64_t> stride(t.shape.size());
    int64_t running = 1;
    for (size_t k = t.shape.size(); k-- > 0;) {
      stride[k] = running;
      running *= std::max<int64_t>(t.shape[k], 1);
    }
    std::string data;
    if (n <= 256) {
      data = hex(t.raw(), n);
    } else {
      char buf[24];
      std::snprintf(buf, sizeof buf, "crc32:%08lx",
                    crc32(0, reinterpret_cast<const Bytef*>(t.raw()), static_cast<uInt>(n)));
      data = buf;
    }
    json out = {{"dtype", std::string(ir::dtype_name(t.dtype))},
                {"shape", t.shape},
                {"stride", stride},
                {"offset", 0},
                {"requires_grad", false},
                {"nbytes", n},
                {"data", data}};
    if (with_storage_) {
      out["storage_numel"] = t.bytes->size() / elem;
      if (t.bytes->empty()) {
        out["storage"] = nullptr;
      } else {
        auto [it, fresh] =
            storages_.emplace(std::make_pair(static_cast<const void*>(t.bytes.get()), t.dtype),
                              static_cast<int>(storages_.size()));
        out["storage"] = it->second;
      }
    }
    return out;
  }

  bool with_storage_;
  std::unordered_map<const Value*, int> ids_;
  std::map<std::pair<const void*, ir::DType>, int> storages_;
};

}  // namespace

json canonical(const Value& root, bool with_storage) {
  return Canonical(with_storage)(root);
}

json run_python(const std::vector<std::string>& args) {
  char err_path[] = "/tmp/mlexport_emit_torch_stderr_XXXXXX";
  const int fd = ::mkstemp(err_path);
  if (fd >= 0) ::close(fd);
  std::string command = "/usr/bin/python3 " + quoted(EMIT_TORCH_SIDE_PY);
  for (const auto& a : args) command += " " + quoted(a);
  command += " 2>" + quoted(err_path);
  std::string out;
  if (FILE* p = ::popen(command.c_str(), "r")) {
    char buf[1 << 16];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    const int status = ::pclose(p);
    const std::string err = read_file(err_path);
    ::unlink(err_path);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      ADD_FAILURE() << "python failed: " << command << "\n" << err;
      return nullptr;
    }
  } else {
    ::unlink(err_path);
    ADD_FAILURE() << "cannot run " << command;
    return nullptr;
  }
  try {
    return json::parse(out);
  } catch (const std::exception& e) {
    ADD_FAILURE() << "python printed no JSON: " << e.what() << "\n" << out.substr(0, 2000);
    return nullptr;
  }
}

}  // namespace emit_torch_test

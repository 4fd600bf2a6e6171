#include "pyvalue/value.h"

#include <charconv>
#include <cstdio>

namespace mlexport::pyvalue {

using Kind = Value::Kind;

std::string_view Value::kind_name(Kind kind) {
  switch (kind) {
    case Kind::None:
      return "None";
    case Kind::Bool:
      return "bool";
    case Kind::Int:
      return "int";
    case Kind::Float:
      return "float";
    case Kind::String:
      return "str";
    case Kind::Bytes:
      return "bytes";
    case Kind::Tuple:
      return "tuple";
    case Kind::List:
      return "list";
    case Kind::Dict:
      return "dict";
    case Kind::Tensor:
      return "tensor";
    case Kind::Object:
      return "object";
    case Kind::Global:
      return "global";
  }
  return "?";
}

const Value* Value::get(std::string_view key) const {
  if (kind != Kind::Dict && kind != Kind::Object) return nullptr;
  for (const auto& [k, v] : entries)
    if (k && k->kind == Kind::String && k->s == key) return v.get();
  return nullptr;
}

namespace {

constexpr size_t kReprItems = 8;
constexpr size_t kReprChars = 40;

void quote(std::string& out, const std::string& s, char prefix) {
  if (prefix) out.push_back(prefix);
  out.push_back('\'');
  for (size_t k = 0; k < s.size() && k < kReprChars; ++k) {
    const auto c = static_cast<unsigned char>(s[k]);
    if (c == '\'' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c < 0x20 || c == 0x7f || (prefix == 'b' && c >= 0x80)) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  if (s.size() > kReprChars) out += "...";
  out.push_back('\'');
}

void repr_into(std::string& out, const Value& v, int depth) {
  auto seq = [&](const std::vector<ValuePtr>& items) {
    for (size_t k = 0; k < items.size() && k < kReprItems; ++k) {
      if (k) out += ", ";
      if (items[k]) repr_into(out, *items[k], depth - 1);
    }
    if (items.size() > kReprItems) out += ", ... (" + std::to_string(items.size()) + " items)";
  };
  auto map = [&](const std::vector<std::pair<ValuePtr, ValuePtr>>& entries) {
    out += "{";
    for (size_t k = 0; k < entries.size() && k < kReprItems; ++k) {
      if (k) out += ", ";
      if (entries[k].first) repr_into(out, *entries[k].first, depth - 1);
      out += ": ";
      if (entries[k].second) repr_into(out, *entries[k].second, depth - 1);
    }
    if (entries.size() > kReprItems) out += ", ... (" + std::to_string(entries.size()) + " items)";
    out += "}";
  };
  const bool container = v.kind == Kind::Tuple || v.kind == Kind::List || v.kind == Kind::Dict ||
                         v.kind == Kind::Object;
  if (container && depth <= 0) {
    out += "...";
    return;
  }
  switch (v.kind) {
    case Kind::None:
      out += "None";
      break;
    case Kind::Bool:
      out += v.b ? "True" : "False";
      break;
    case Kind::Int:
      out += std::to_string(v.i);
      break;
    case Kind::Float: {
      char buf[32];
      const auto r = std::to_chars(buf, buf + sizeof buf, v.f);  // shortest round-trip form
      out.append(buf, r.ptr);
      break;
    }
    case Kind::String:
      quote(out, v.s, 0);
      break;
    case Kind::Bytes:
      quote(out, v.s, 'b');
      break;
    case Kind::Tuple:
      out += "(";
      seq(v.items);
      if (v.items.size() == 1) out += ",";
      out += ")";
      break;
    case Kind::List:
      out += "[";
      seq(v.items);
      out += "]";
      break;
    case Kind::Dict:
      if (!v.class_name.empty()) out += v.class_name + "(";
      map(v.entries);
      if (!v.class_name.empty()) out += ")";
      break;
    case Kind::Tensor:
      out += "tensor(" + std::string(ir::dtype_name(v.tensor.dtype)) +
             ir::shape_to_string(v.tensor.shape) + ")";
      break;
    case Kind::Object:
      if (v.class_name == "builtins.int") {
        out += v.s;
        break;
      }
      out += v.class_name + "(";
      seq(v.items);
      if (!v.entries.empty()) {
        if (!v.items.empty()) out += ", ";
        map(v.entries);
      }
      if (v.state) {
        out += (v.items.empty() && v.entries.empty()) ? "state=" : ", state=";
        repr_into(out, *v.state, depth - 1);
      }
      out += ")";
      break;
    case Kind::Global:
      out += "<" + v.class_name + ">";
      break;
  }
}

}  // namespace

std::string Value::repr(int max_depth) const {
  std::string out;
  repr_into(out, *this, max_depth);
  return out;
}

}  // namespace mlexport::pyvalue

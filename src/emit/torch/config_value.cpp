#include "emit/torch/config_value.h"

#include "mlexport/diagnostics.h"

namespace mlexport::emit::torch::config {

namespace {

using Kind = Value::Kind;

std::shared_ptr<Value> make(Kind kind) {
  auto v = std::make_shared<Value>();
  v->kind = kind;
  return v;
}

bool is_identifier(std::string_view s) {
  if (s.empty() || (s[0] >= '0' && s[0] <= '9')) return false;
  for (char c : s)
    if (!(c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
      return false;
  return true;
}

// Integer elements read directly (ir::Tensor::value_as_int goes through double).
int64_t exact_int(const ir::Tensor& t, int64_t k) {
  switch (t.dtype) {
    case ir::DType::Int8:
      return t.data<int8_t>()[k];
    case ir::DType::UInt8:
      return t.data<uint8_t>()[k];
    case ir::DType::Int16:
      return t.data<int16_t>()[k];
    case ir::DType::Int32:
      return t.data<int32_t>()[k];
    case ir::DType::Int64:
      return t.data<int64_t>()[k];
    default:
      return t.value_as_int(k);
  }
}

ValuePtr array_level(const ir::Tensor& t, size_t dim, int64_t& next) {
  if (dim == t.shape.size()) {
    const int64_t k = next++;
    if (is_floating(t.dtype)) return real(t.value_as_double(k));
    if (t.dtype == ir::DType::Bool) return boolean(t.data<uint8_t>()[k] != 0);
    return integer(exact_int(t, k));
  }
  auto v = make(Kind::List);
  for (int64_t k = 0; k < t.shape[dim]; ++k) v->items.push_back(array_level(t, dim + 1, next));
  return v;
}

}  // namespace

ValuePtr none() {
  return make(Kind::None);
}

ValuePtr boolean(bool b) {
  auto v = make(Kind::Bool);
  v->b = b;
  return v;
}

ValuePtr integer(int64_t i) {
  auto v = make(Kind::Int);
  v->i = i;
  return v;
}

ValuePtr big_integer(std::string_view decimal) {
  std::string_view digits = decimal;
  if (!digits.empty() && digits[0] == '-') digits.remove_prefix(1);
  if (digits.empty() || digits.find_first_not_of("0123456789") != std::string_view::npos)
    throw bad_input("config::big_integer: '" + std::string(decimal.substr(0, 40)) +
                    "' is not a decimal integer");
  auto v = make(Kind::Object);  // the reader's form of an integer beyond int64
  v->class_name = "builtins.int";
  v->s = std::string(decimal);
  return v;
}

ValuePtr real(double f) {
  auto v = make(Kind::Float);
  v->f = f;
  return v;
}

ValuePtr string(std::string s) {
  auto v = make(Kind::String);
  v->s = std::move(s);
  return v;
}

ValuePtr bytes(std::string raw) {
  auto v = make(Kind::Bytes);
  v->s = std::move(raw);
  return v;
}

ValuePtr tensor(ir::Tensor t) {
  auto v = make(Kind::Tensor);
  v->tensor = std::move(t);
  return v;
}

Item::Item(ValuePtr v) : value_(v ? std::move(v) : none()) {}

ValuePtr list(std::initializer_list<Item> items) {
  auto v = make(Kind::List);
  for (const auto& item : items) v->items.push_back(item.value());
  return v;
}

ValuePtr list(const std::vector<ValuePtr>& items) {
  auto v = make(Kind::List);
  for (const auto& item : items) v->items.push_back(item ? item : none());
  return v;
}

ValuePtr tuple(std::initializer_list<Item> items) {
  auto v = make(Kind::Tuple);
  for (const auto& item : items) v->items.push_back(item.value());
  return v;
}

ValuePtr dict(std::initializer_list<std::pair<std::string, Item>> entries) {
  auto v = make(Kind::Dict);
  for (const auto& [key, item] : entries) v->entries.emplace_back(string(key), item.value());
  return v;
}

ValuePtr dict(const std::vector<std::pair<std::string, ValuePtr>>& entries) {
  auto v = make(Kind::Dict);
  for (const auto& [key, item] : entries)
    v->entries.emplace_back(string(key), item ? item : none());
  return v;
}

ValuePtr ordered_dict(const std::vector<std::pair<std::string, ValuePtr>>& entries) {
  auto v = std::const_pointer_cast<Value>(dict(entries));
  v->class_name = "collections.OrderedDict";
  return v;
}

ValuePtr list_of(const std::vector<int64_t>& values) {
  auto v = make(Kind::List);
  for (int64_t x : values) v->items.push_back(integer(x));
  return v;
}

ValuePtr list_of(const std::vector<double>& values) {
  auto v = make(Kind::List);
  for (double x : values) v->items.push_back(real(x));
  return v;
}

ValuePtr list_of(const std::vector<std::string>& values) {
  auto v = make(Kind::List);
  for (const auto& x : values) v->items.push_back(string(x));
  return v;
}

ValuePtr array(const ir::Tensor& t) {
  if (t.nbytes() < static_cast<size_t>(t.numel()) * ir::dtype_size(t.dtype))
    throw bad_input("config::array: the tensor's buffer is smaller than its shape " +
                    ir::shape_to_string(t.shape));
  int64_t next = 0;
  return array_level(t, 0, next);
}

ValuePtr enum_value(std::string_view name) {
  return string(std::string(name));
}

ValuePtr class_config(std::string_view class_path, ValuePtr init_args) {
  bool ok = class_path.find('.') != std::string_view::npos;
  for (size_t start = 0; ok;) {
    const size_t dot = class_path.find('.', start);
    ok = is_identifier(class_path.substr(start, dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (!ok)
    throw bad_input("config::class_config: class path '" + std::string(class_path.substr(0, 80)) +
                    "' is not of the form pkg.module.ClassName");
  if (!init_args) init_args = dict({});
  if (init_args->kind != Kind::Dict)
    throw bad_input("config::class_config(" + std::string(class_path) +
                    "): init_args must be a dict, not " +
                    std::string(Value::kind_name(init_args->kind)));
  return dict({{"class_path", std::string(class_path)}, {"init_args", init_args}});
}

ValuePtr from_config_value(const ConfigValue& v) {
  if (v.is_none()) return none();
  if (v.is_bool()) return boolean(v.as_bool());
  if (v.is_int()) return integer(v.as_int());
  if (v.is_double()) return real(v.as_double());
  if (v.is_string()) return string(v.as_string());
  if (v.is_list()) {
    std::vector<ValuePtr> items;
    for (const auto& item : v.as_list()) items.push_back(from_config_value(item));
    return list(items);
  }
  std::vector<std::pair<std::string, ValuePtr>> entries;
  for (const auto& [key, item] : v.as_dict()) entries.emplace_back(key, from_config_value(item));
  return dict(entries);
}

}  // namespace mlexport::emit::torch::config

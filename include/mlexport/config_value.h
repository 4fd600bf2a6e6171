// A model's configuration as plain data, the way the torch format stores it: dataclass-like
// configurations become {"class_path": ..., "init_args": {...}}, nested ones recursively, enums
// become their names, arrays and tuples become lists. Torch-free.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <utility>
#include <variant>
#include <vector>

namespace mlexport {

class ConfigValue {
 public:
  using List = std::vector<ConfigValue>;
  using Dict = std::vector<std::pair<std::string, ConfigValue>>;  // insertion order kept

  ConfigValue() = default;  // None
  ConfigValue(std::nullptr_t) {}
  ConfigValue(bool b) : value_(b) {}
  ConfigValue(int v) : value_(static_cast<int64_t>(v)) {}
  ConfigValue(int64_t v) : value_(v) {}
  ConfigValue(double v) : value_(v) {}
  ConfigValue(float v) : value_(static_cast<double>(v)) {}
  ConfigValue(const char* s) : value_(std::string(s)) {}
  ConfigValue(std::string s) : value_(std::move(s)) {}
  ConfigValue(List items) : value_(std::make_shared<List>(std::move(items))) {}
  // Arrays, vectors and tuples are stored as lists.
  template <typename T>
  ConfigValue(const std::vector<T>& items) : ConfigValue(List(items.begin(), items.end())) {}
  template <typename T, size_t N>
  ConfigValue(const std::array<T, N>& items) : ConfigValue(List(items.begin(), items.end())) {}
  template <typename... T>
  ConfigValue(const std::tuple<T...>& items)
      : ConfigValue(std::apply([](const auto&... e) { return List{ConfigValue(e)...}; }, items)) {}

  static ConfigValue dict(Dict entries) {
    ConfigValue v;
    v.value_ = std::make_shared<Dict>(std::move(entries));
    return v;
  }
  // {"class_path": class_path, "init_args": init_args}: how a dataclass-like config is saved.
  static ConfigValue object(const std::string& class_path, Dict init_args) {
    return dict({{"class_path", class_path}, {"init_args", dict(std::move(init_args))}});
  }
  // An enum member stored by name, as the documents store StrEnum values.
  static ConfigValue enumeration(const std::string& name) { return ConfigValue(name); }

  bool is_none() const { return std::holds_alternative<std::monostate>(value_); }
  bool is_bool() const { return std::holds_alternative<bool>(value_); }
  bool is_int() const { return std::holds_alternative<int64_t>(value_); }
  bool is_double() const { return std::holds_alternative<double>(value_); }
  bool is_string() const { return std::holds_alternative<std::string>(value_); }
  bool is_list() const { return std::holds_alternative<std::shared_ptr<List>>(value_); }
  bool is_dict() const { return std::holds_alternative<std::shared_ptr<Dict>>(value_); }

  bool as_bool() const { return std::get<bool>(value_); }
  int64_t as_int() const { return std::get<int64_t>(value_); }
  double as_double() const { return std::get<double>(value_); }
  const std::string& as_string() const { return std::get<std::string>(value_); }
  const List& as_list() const { return *std::get<std::shared_ptr<List>>(value_); }
  const Dict& as_dict() const { return *std::get<std::shared_ptr<Dict>>(value_); }

 private:
  std::variant<std::monostate, bool, int64_t, double, std::string, std::shared_ptr<List>,
               std::shared_ptr<Dict>>
      value_;
};

}  // namespace mlexport

// Small builders for pyvalue::Value trees, so configs can be written in C++ without pain:
//
//   using namespace mlexport::emit;
//   auto cfg = config::class_config("mypkg.models.ResNetConfig",
//       config::dict({{"depth", 18}, {"activation", "relu"}, {"widths", config::list({64, 128})},
//                     {"head", config::class_config("mypkg.models.HeadConfig",
//                                                   config::dict({{"dropout", 0.1}}))}}));
//
// The serialization rule of the Export mix-in (reference/export-mixin.md): a dataclass-like config
// becomes {"class_path": "pkg.module.ClassName", "init_args": {...}}, nested configs the same way,
// enum values their string, arrays and tuples lists.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "ir/tensor.h"
#include "mlexport/config_value.h"
#include "pyvalue/value.h"

namespace mlexport::emit::torch::config {

using pyvalue::Value;
using pyvalue::ValuePtr;

ValuePtr none();
ValuePtr boolean(bool b);
ValuePtr integer(int64_t i);
ValuePtr big_integer(std::string_view decimal);  // any size, e.g. "123456789012345678901234567890"
ValuePtr real(double f);
ValuePtr string(std::string s);
ValuePtr bytes(std::string raw);
ValuePtr tensor(ir::Tensor t);

namespace detail {
template <typename T>
concept Integer = std::integral<T> && !std::same_as<T, bool>;
template <typename T>
concept NotChar = !std::same_as<std::remove_cv_t<T>, char>;
}  // namespace detail

// Anything a config element can be written as: nullptr, bool, any integer, any floating point
// number, a string, or a ValuePtr.
class Item {
 public:
  Item(std::nullptr_t) : value_(none()) {}
  Item(bool b) : value_(boolean(b)) {}
  template <detail::Integer T>
  Item(T i) : value_(from_integral(i)) {}
  template <std::floating_point T>
  Item(T f) : value_(real(static_cast<double>(f))) {}
  Item(const char* s) : value_(string(s)) {}
  Item(std::string s) : value_(string(std::move(s))) {}
  Item(std::string_view s) : value_(string(std::string(s))) {}
  Item(ValuePtr v);  // a null ValuePtr stands for None
  Item(std::shared_ptr<Value> v) : Item(ValuePtr(std::move(v))) {}
  // Other pointers would silently become bool.
  template <detail::NotChar T>
  Item(T*) = delete;

  const ValuePtr& value() const { return value_; }
  operator ValuePtr() const { return value_; }

 private:
  template <typename T>
  static ValuePtr from_integral(T i) {
    if constexpr (std::is_unsigned_v<T> && sizeof(T) >= sizeof(int64_t)) {
      if (i > static_cast<T>(INT64_MAX)) return big_integer(std::to_string(i));
    }
    return integer(static_cast<int64_t>(i));
  }
  ValuePtr value_;
};

ValuePtr list(std::initializer_list<Item> items);
ValuePtr list(const std::vector<ValuePtr>& items);
ValuePtr tuple(std::initializer_list<Item> items);  // a real tuple (configs use lists)
// A plain dict with string keys, in the given order.
ValuePtr dict(std::initializer_list<std::pair<std::string, Item>> entries);
ValuePtr dict(const std::vector<std::pair<std::string, ValuePtr>>& entries);
ValuePtr ordered_dict(const std::vector<std::pair<std::string, ValuePtr>>& entries);

// Arrays (and tuples) become lists.
ValuePtr list_of(const std::vector<int64_t>& values);
ValuePtr list_of(const std::vector<double>& values);
ValuePtr list_of(const std::vector<std::string>& values);
// A tensor's values as nested lists, one level per dimension (numpy's tolist()): floats for
// floating dtypes, bools for bool, ints otherwise; a 0-d tensor gives its scalar.
ValuePtr array(const ir::Tensor& t);
// An enum value is stored as its string.
ValuePtr enum_value(std::string_view name);

// {"class_path": class_path, "init_args": init_args}; init_args must be a dict (bad_input if
// not); class_path must look like "pkg.module.ClassName".
ValuePtr class_config(std::string_view class_path, ValuePtr init_args);

// The public ConfigValue (an Exportable's config()) as a Value tree.
ValuePtr from_config_value(const ConfigValue& value);

}  // namespace mlexport::emit::torch::config

// Ops that carry shapes as data: `Shape(x)`, then `Gather`, `Concat`, `Slice`... build the
// target of a `Reshape` or `Expand`. Following their elements as dims (named sizes included)
// lets those rules give `[batch_size, 512]` where the values are only known at run time.
#include <algorithm>
#include <cstdint>
#include <map>

#include "ir/ops/dims.h"
#include "ir/ops/families.h"

namespace mlexport::ir::ops {
namespace {

using Result = std::optional<ShapeElements>;

Result shape_value(const Node& n, const ShapeEnv& env) {
  const Shape* x = env.shape(n.input(0));
  if (!x) return std::nullopt;
  const int64_t r = static_cast<int64_t>(x->size());
  auto clamp_axis = [r](int64_t a) { return std::clamp<int64_t>(a < 0 ? a + r : a, 0, r); };
  const int64_t start = clamp_axis(n.i("start", 0)), end = clamp_axis(n.i("end", r));
  ShapeElements out;
  for (int64_t k = start; k < end; ++k)
    out.push_back(ShapeElement::of((*x)[static_cast<size_t>(k)]));
  return out;
}

// Unsqueeze, Squeeze, Identity, Reshape, Flatten and integer Casts keep the elements in order.
Result same_elements(const Node& n, const ShapeEnv& env) {
  if (n.op == "Cast") {
    const auto to = static_cast<DType>(n.i("to", 0));
    if (to != DType::Int64 && to != DType::Int32) return std::nullopt;
  }
  return env.elements(n.input(0));
}

Result gather_value(const Node& n, const ShapeEnv& env) {
  auto data = env.elements(n.input(0));
  auto indices = env.ints(n.input(1));
  const Shape* data_shape = env.shape(n.input(0));
  if (!data || !indices || !data_shape || data_shape->size() != 1 || n.i("axis", 0) != 0 ||
      indices->size() > static_cast<size_t>(kMaxShapeElements))
    return std::nullopt;
  const int64_t size = static_cast<int64_t>(data->size());
  ShapeElements out;
  for (int64_t k : *indices) {
    if (k < 0) k += size;
    if (k < 0 || k >= size) return std::nullopt;
    out.push_back((*data)[static_cast<size_t>(k)]);
  }
  return out;
}

Result concat_value(const Node& n, const ShapeEnv& env) {
  ShapeElements out;
  for (const Value* v : n.inputs) {
    const Shape* s = env.shape(v);
    auto e = env.elements(v);
    if (!s || s->size() != 1 || !e) return std::nullopt;
    out.insert(out.end(), e->begin(), e->end());
  }
  return out;
}

Result slice_value(const Node& n, const ShapeEnv& env) {
  auto data = env.elements(n.input(0));
  auto starts = env.ints(n.input(1)), ends = env.ints(n.input(2));
  if (!data || !starts || !ends || starts->size() != 1 || ends->size() != 1) return std::nullopt;
  if (n.input(3)) {
    auto axes = env.ints(n.input(3));
    if (!axes || axes->size() != 1 || ((*axes)[0] != 0 && (*axes)[0] != -1)) return std::nullopt;
  }
  int64_t step = 1;
  if (n.input(4)) {
    auto steps = env.ints(n.input(4));
    if (!steps || steps->size() != 1 || (*steps)[0] == 0) return std::nullopt;
    step = (*steps)[0];
  }
  const int64_t size = static_cast<int64_t>(data->size());
  int64_t s = (*starts)[0], e = (*ends)[0];
  if (s < 0) s += size;
  if (e < 0) e += size;
  ShapeElements out;
  if (step > 0) {
    for (Wide k = std::clamp<int64_t>(s, 0, size); k < std::clamp<int64_t>(e, 0, size); k += step)
      out.push_back((*data)[static_cast<size_t>(k)]);
  } else {
    for (Wide k = std::clamp<int64_t>(s, -1, size - 1); k > std::clamp<int64_t>(e, -1, size - 1);
         k += step)
      out.push_back((*data)[static_cast<size_t>(k)]);
  }
  return out;
}

// Integer arithmetic where both elements are known numbers (a scalar broadcasts); x * 1 and
// x + 0 keep a named size.
Result arithmetic_value(const Node& n, const ShapeEnv& env) {
  auto a = env.elements(n.input(0)), b = env.elements(n.input(1));
  if (!a || !b || (a->size() != b->size() && a->size() != 1 && b->size() != 1)) return std::nullopt;
  const size_t count = std::max(a->size(), b->size());
  ShapeElements out;
  for (size_t k = 0; k < count; ++k) {
    const ShapeElement& x = (*a)[a->size() == 1 ? 0 : k];
    const ShapeElement& y = (*b)[b->size() == 1 ? 0 : k];
    const bool neutral_y = y.value && *y.value == (n.op == "Mul" || n.op == "Div" ? 1 : 0);
    if (x.value && y.value) {
      const int64_t p = *x.value, q = *y.value;
      int64_t v = 0;
      bool overflow = false;
      if (n.op == "Add")
        overflow = __builtin_add_overflow(p, q, &v);
      else if (n.op == "Sub")
        overflow = __builtin_sub_overflow(p, q, &v);
      else if (n.op == "Mul")
        overflow = __builtin_mul_overflow(p, q, &v);
      else if (q == 0 || (p == INT64_MIN && q == -1))
        overflow = true;
      else
        v = p / q;  // truncating, as ONNX Runtime divides integers
      if (overflow) return std::nullopt;
      out.push_back({v, {}});
    } else if (neutral_y) {
      out.push_back(x);
    } else {
      out.push_back({});
    }
  }
  return out;
}

}  // namespace

void attach_value_rules(std::vector<OpDef>& defs) {
  static const std::map<std::string_view, ValueRule> rules = {
      {"Add", arithmetic_value},   {"Cast", same_elements},      {"Concat", concat_value},
      {"Div", arithmetic_value},   {"Flatten", same_elements},   {"Gather", gather_value},
      {"Identity", same_elements}, {"Mul", arithmetic_value},    {"Reshape", same_elements},
      {"Shape", shape_value},      {"Slice", slice_value},       {"Squeeze", same_elements},
      {"Sub", arithmetic_value},   {"Unsqueeze", same_elements},
  };
  for (OpDef& d : defs)
    if (auto it = rules.find(d.name); it != rules.end()) d.shape_value = it->second;
}

}  // namespace mlexport::ir::ops

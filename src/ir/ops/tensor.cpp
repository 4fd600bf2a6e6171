// Tensor plumbing: reshapes, concatenation, indexing, scatter and creation from shapes.
#include <algorithm>
#include <set>

#include "ir/ops/dims.h"
#include "ir/ops/families.h"

namespace mlexport::ir::ops {
namespace {

// -1 in a Reshape target whose other entries and input share their named sizes: the sizes
// left over, e.g. [batch_size, 512, 1, 1] to [batch_size, -1] gives 512.
Dim inferred_extent(const Shape& x, const ShapeElements& target, size_t minus) {
  int64_t known_in = 1, known_out = 1;
  std::multiset<std::string> symbols_in, symbols_out;
  for (const Dim& d : x) {
    if (d.is_fixed()) {
      if (__builtin_mul_overflow(known_in, d.size, &known_in)) return unknown_dim();
    } else if (!d.symbol.empty())
      symbols_in.insert(d.symbol);
    else
      return unknown_dim();
  }
  for (size_t k = 0; k < target.size(); ++k) {
    if (k == minus) continue;
    const Dim d = target[k].dim();
    if (d.is_fixed()) {
      if (__builtin_mul_overflow(known_out, d.size, &known_out)) return unknown_dim();
    } else if (!d.symbol.empty())
      symbols_out.insert(d.symbol);
    else
      return unknown_dim();
  }
  if (symbols_in != symbols_out || known_out <= 0 || known_in % known_out != 0)
    return unknown_dim();
  return Dim::fixed(known_in / known_out);
}

ShapeResult reshape_rule(const Node& n, const ShapeEnv& env) {
  const Shape* x = env.shape(n.input(0));
  auto target = env.elements(n.input(1));
  if (!target) {
    const Shape* t = env.shape(n.input(1));
    if (!t || t->size() != 1 || !(*t)[0].is_fixed()) return std::nullopt;
    return one(unknown_shape(static_cast<size_t>((*t)[0].size)));
  }
  Shape out;
  const bool allowzero = n.i("allowzero", 0) != 0;
  int minus = -1;
  for (size_t k = 0; k < target->size(); ++k) {
    const ShapeElement& t = (*target)[k];
    Dim d = t.dim();
    if (t.value == 0 && !allowzero) d = x && k < x->size() ? (*x)[k] : unknown_dim();
    if (t.value == -1) minus = static_cast<int>(k);
    out.push_back(d);
  }
  if (minus >= 0) {
    ShapeElements resolved = *target;  // 0 entries as the input dims they copy
    for (size_t k = 0; k < resolved.size(); ++k)
      if (static_cast<int>(k) != minus) resolved[k] = ShapeElement::of(out[k]);
    out[static_cast<size_t>(minus)] =
        x ? inferred_extent(*x, resolved, static_cast<size_t>(minus)) : unknown_dim();
  }
  return one(out);
}

ShapeResult flatten_rule(const Node& n, const ShapeEnv& env) {
  const Shape* x = env.shape(n.input(0));
  if (!x) return std::nullopt;
  const size_t axis = static_cast<size_t>(normalize_axis(n.i("axis", 1), x->size()));
  return one({product_dim(*x, 0, axis), product_dim(*x, axis, x->size())});
}

ShapeResult concat_rule(const Node& n, const ShapeEnv& env) {
  const Shape* x = env.shape(n.input(0));
  if (!x) return std::nullopt;
  const size_t axis = static_cast<size_t>(normalize_axis(n.i("axis", 0), x->size()));
  if (axis >= x->size()) return std::nullopt;
  Shape out = *x;
  for (size_t k = 1; k < n.inputs.size(); ++k) {
    const Shape* d = env.shape(n.inputs[k]);
    if (!d || d->size() != x->size()) return std::nullopt;
    Dim& o = out[axis];
    const Dim& a = (*d)[axis];
    o = o.is_fixed() && a.is_fixed() ? wide_dim(Wide{o.size} + a.size) : unknown_dim();
    for (size_t j = 0; j < out.size(); ++j)
      if (j != axis && !out[j].is_fixed()) out[j] = broadcast_dim(out[j], (*d)[j]);
  }
  return one(out);
}

ShapeResult transpose_rule(const Node& n, const ShapeEnv& env) {
  const Shape* x = env.shape(n.input(0));
  if (!x) return std::nullopt;
  auto perm = n.ints("perm");
  if (perm.empty())
    for (size_t k = x->size(); k-- > 0;) perm.push_back(static_cast<int64_t>(k));
  if (perm.size() != x->size()) return std::nullopt;
  Shape out;
  for (int64_t p : perm) {
    if (p < 0 || p >= static_cast<int64_t>(x->size())) return std::nullopt;
    out.push_back((*x)[static_cast<size_t>(p)]);
  }
  return one(out);
}

std::optional<std::vector<int64_t>> axes_of(const Node& n, const ShapeEnv& env) {
  if (n.input(1)) return env.ints(n.input(1));
  return n.ints("axes");
}

ShapeResult squeeze_rule(const Node& n, const ShapeEnv& env) {
  const Shape* x = env.shape(n.input(0));
  auto axes = axes_of(n, env);
  if (!x || !axes) return std::nullopt;
  if (n.op == "Unsqueeze") {
    const size_t rank = x->size() + axes->size();
    std::vector<bool> inserted(rank, false);
    for (int64_t a : *axes) {
      const int64_t k = normalize_axis(a, rank);
      if (k < 0 || k >= static_cast<int64_t>(rank)) return std::nullopt;
      inserted[static_cast<size_t>(k)] = true;
    }
    Shape out;
    size_t src = 0;
    for (size_t k = 0; k < rank; ++k)
      out.push_back(inserted[k] || src >= x->size() ? Dim::fixed(1) : (*x)[src++]);
    return one(out);
  }
  std::vector<bool> drop(x->size(), false);
  if (axes->empty())
    for (size_t k = 0; k < x->size(); ++k) {
      if (!(*x)[k].is_fixed()) return std::nullopt;
      drop[k] = (*x)[k].size == 1;
    }
  for (int64_t a : *axes) {
    const int64_t k = normalize_axis(a, x->size());
    if (k < 0 || k >= static_cast<int64_t>(x->size())) return std::nullopt;
    drop[static_cast<size_t>(k)] = true;
  }
  Shape out;
  for (size_t k = 0; k < x->size(); ++k)
    if (!drop[k]) out.push_back((*x)[k]);
  return one(out);
}

ShapeResult shape_rule(const Node& n, const ShapeEnv& env) {
  const Shape* x = env.shape(n.input(0));
  if (!x) return std::nullopt;
  const int64_t r = static_cast<int64_t>(x->size());
  auto clamp_axis = [r](int64_t a) { return std::clamp<int64_t>(a < 0 ? a + r : a, 0, r); };
  const int64_t count = clamp_axis(n.i("end", r)) - clamp_axis(n.i("start", 0));
  return one({Dim::fixed(std::max<int64_t>(count, 0))});
}

ShapeResult size_rule(const Node&, const ShapeEnv&) {
  return one({});
}

ShapeResult gather_rule(const Node& n, const ShapeEnv& env) {
  const Shape* x = env.shape(n.input(0));
  const Shape* idx = env.shape(n.input(1));
  if (!x || !idx || x->empty()) return std::nullopt;
  const auto axis = static_cast<std::ptrdiff_t>(normalize_axis(n.i("axis", 0), x->size()));
  if (axis < 0 || axis >= static_cast<std::ptrdiff_t>(x->size())) return std::nullopt;
  Shape out(x->begin(), x->begin() + axis);
  out.insert(out.end(), idx->begin(), idx->end());
  out.insert(out.end(), x->begin() + axis + 1, x->end());
  return one(out);
}

ShapeResult indices_shape(const Node& n, const ShapeEnv& env) {
  const Shape* idx = env.shape(n.input(1));
  if (!idx) return std::nullopt;
  return one(*idx);
}

// indices [batch..., n..., k] pick k-tuples from data [batch..., d1...]: [batch..., n...,
// d(k+1)...].
ShapeResult gather_nd_rule(const Node& n, const ShapeEnv& env) {
  const Shape* x = env.shape(n.input(0));
  const Shape* idx = env.shape(n.input(1));
  if (!x || !idx || idx->empty() || !idx->back().is_fixed()) return std::nullopt;
  const size_t k = static_cast<size_t>(idx->back().size);
  const size_t batch = static_cast<size_t>(std::max<int64_t>(n.i("batch_dims", 0), 0));
  if (batch + k > x->size()) return std::nullopt;
  Shape out(idx->begin(), idx->end() - 1);
  out.insert(out.end(), x->begin() + static_cast<std::ptrdiff_t>(batch + k), x->end());
  return one(out);
}

ShapeResult slice_rule(const Node& n, const ShapeEnv& env) {
  const Shape* x = env.shape(n.input(0));
  if (!x) return std::nullopt;
  Shape out = *x;
  auto starts = env.ints(n.input(1)), ends = env.ints(n.input(2));
  std::optional<std::vector<int64_t>> axes, steps;
  if (n.input(3)) axes = env.ints(n.input(3));
  if (n.input(4)) steps = env.ints(n.input(4));
  auto axis_at = [&](size_t k) {
    return axes ? normalize_axis((*axes)[k], x->size()) : static_cast<int64_t>(k);
  };
  if (!starts || !ends || (n.input(3) && !axes) || (n.input(4) && !steps)) {
    // Which axes change is unknown: only the rank survives.
    if (!n.input(3) || !axes) return one(unknown_shape(x->size()));
    for (size_t k = 0; k < axes->size(); ++k) {
      const int64_t a = axis_at(k);
      if (a < 0 || a >= static_cast<int64_t>(x->size())) return std::nullopt;
      out[static_cast<size_t>(a)] = unknown_dim();
    }
    return one(out);
  }
  if (ends->size() != starts->size() || (axes && axes->size() != starts->size()) ||
      (steps && steps->size() != starts->size()))
    return std::nullopt;
  for (size_t k = 0; k < starts->size(); ++k) {
    const int64_t a = axis_at(k);
    if (a < 0 || a >= static_cast<int64_t>(x->size())) return std::nullopt;
    const size_t axis = static_cast<size_t>(a);
    const int64_t step = steps ? (*steps)[k] : 1;
    const Dim& dim = (*x)[axis];
    if (!dim.is_fixed() || step == 0) {
      out[axis] = unknown_dim();
      continue;
    }
    const int64_t size = dim.size;
    int64_t s = (*starts)[k], e = (*ends)[k];
    if (s < 0) s += size;
    if (e < 0) e += size;
    if (step > 0) {
      s = std::clamp<int64_t>(s, 0, size);
      e = std::clamp<int64_t>(e, 0, size);
      out[axis] = wide_dim(e > s ? (Wide{e} - s + step - 1) / step : 0);
    } else {
      s = std::clamp<int64_t>(s, -1, size - 1);
      e = std::clamp<int64_t>(e, -1, size - 1);
      out[axis] = wide_dim(s > e ? (Wide{s} - e - Wide{step} - 1) / -Wide{step} : 0);
    }
  }
  return one(out);
}

ShapeResult expand_rule(const Node& n, const ShapeEnv& env) {
  const Shape* x = env.shape(n.input(0));
  if (!x) return std::nullopt;
  if (auto target = env.elements(n.input(1))) {
    Shape t;
    for (const ShapeElement& d : *target) t.push_back(d.dim());
    return one(broadcast(*x, t));
  }
  const Shape* t = env.shape(n.input(1));
  if (!t || t->size() != 1 || !(*t)[0].is_fixed()) return std::nullopt;
  return one(unknown_shape(std::max<size_t>(x->size(), static_cast<size_t>((*t)[0].size))));
}

ShapeResult split_rule(const Node& n, const ShapeEnv& env) {
  const Shape* x = env.shape(n.input(0));
  if (!x) return std::nullopt;
  const int64_t a = normalize_axis(n.i("axis", 0), x->size());
  if (a < 0 || a >= static_cast<int64_t>(x->size())) return std::nullopt;
  const size_t axis = static_cast<size_t>(a);
  std::vector<int64_t> sizes =
      n.input(1) ? env.ints(n.input(1)).value_or(std::vector<int64_t>{}) : n.ints("split");
  std::vector<Shape> outs;
  for (size_t k = 0; k < n.outputs.size(); ++k) {
    Shape d = *x;
    if (!sizes.empty())
      d[axis] = k < sizes.size() ? dim_of(sizes[k]) : unknown_dim();
    else
      d[axis] = (*x)[axis].is_fixed()
                    ? Dim::fixed((*x)[axis].size / static_cast<int64_t>(n.outputs.size()))
                    : unknown_dim();
    outs.push_back(d);
  }
  return outs;
}

ShapeResult pad_rule(const Node& n, const ShapeEnv& env) {
  const Shape* x = env.shape(n.input(0));
  if (!x) return std::nullopt;
  auto pads = n.input(1) ? env.ints(n.input(1)) : std::optional(n.ints("pads"));
  const size_t rank = x->size();
  Shape out = *x;
  for (size_t k = 0; k < rank; ++k)
    out[k] = pads && pads->size() == 2 * rank && out[k].is_fixed()
                 ? wide_dim(Wide{out[k].size} + (*pads)[k] + (*pads)[k + rank])
                 : unknown_dim();
  return one(out);
}

ShapeResult tile_rule(const Node& n, const ShapeEnv& env) {
  const Shape* x = env.shape(n.input(0));
  if (!x) return std::nullopt;
  auto reps = env.ints(n.input(1));
  Shape out = *x;
  for (size_t k = 0; k < out.size(); ++k)
    out[k] = reps && k < reps->size() && out[k].is_fixed()
                 ? wide_dim(Wide{out[k].size} * (*reps)[k])
                 : unknown_dim();
  return one(out);
}

// ConstantOfShape's output shape is its input's values.
ShapeResult constant_of_shape_rule(const Node& n, const ShapeEnv& env) {
  if (auto v = env.elements(n.input(0))) {
    Shape out;
    for (const ShapeElement& d : *v) out.push_back(d.dim());
    return one(out);
  }
  const Shape* d = env.shape(n.input(0));
  if (!d || d->size() != 1 || !(*d)[0].is_fixed()) return std::nullopt;
  return one(unknown_shape(static_cast<size_t>((*d)[0].size)));
}

// Range's length is known only for constant integer bounds.
ShapeResult range_rule(const Node& n, const ShapeEnv& env) {
  auto s = env.ints(n.input(0)), e = env.ints(n.input(1)), d = env.ints(n.input(2));
  if (s && e && d && s->size() == 1 && e->size() == 1 && d->size() == 1 && (*d)[0] != 0 &&
      n.input(0)->dtype == DType::Int64) {
    const int64_t step = (*d)[0];
    const Wide len = (Wide{(*e)[0]} - (*s)[0] + step + (step > 0 ? -1 : 1)) / step;
    return one({wide_dim(std::max<Wide>(0, len))});
  }
  return one({unknown_dim()});
}

ShapeResult non_zero_rule(const Node& n, const ShapeEnv& env) {
  const Shape* x = env.shape(n.input(0));
  if (!x) return std::nullopt;
  return one({Dim::fixed(static_cast<int64_t>(x->size())), unknown_dim()});
}

ShapeResult depth_to_space_rule(const Node& n, const ShapeEnv& env) {
  const Shape* x = env.shape(n.input(0));
  const int64_t b = n.i("blocksize", 1);
  if (!x || x->size() != 4 || b <= 0) return std::nullopt;
  const Dim& c = (*x)[1];
  auto times = [b](const Dim& d) {
    return d.is_fixed() ? wide_dim(Wide{d.size} * b) : unknown_dim();
  };
  return one({(*x)[0], c.is_fixed() ? wide_dim(c.size / (Wide{b} * b)) : unknown_dim(),
              times((*x)[2]), times((*x)[3])});
}

}  // namespace

std::vector<OpDef> tensor_ops() {
  std::vector<OpDef> ops = {
      make_op("Reshape", 2, 2, {{"allowzero", kInt, 14}}, reshape_rule),
      make_op("Flatten", 1, 1, {{"axis", kInt}}, flatten_rule),
      make_op("Concat", 1, kVariadic, {{"axis", kInt}}, concat_rule),
      make_op("Transpose", 1, 1, {{"perm", kInts}}, transpose_rule),
      make_op("Squeeze", 1, 2, {{"axes", kInts, 0, 13}}, squeeze_rule),
      make_op("Unsqueeze", 1, 2, {{"axes", kInts, 0, 13}}, squeeze_rule),
      make_op("Shape", 1, 1, {{"start", kInt, 15}, {"end", kInt, 15}}, shape_rule),
      make_op("Size", 1, 1, {}, size_rule),
      make_op("Gather", 2, 2, {{"axis", kInt}}, gather_rule),
      make_op("GatherElements", 2, 2, {{"axis", kInt}}, indices_shape, 11),
      make_op("GatherND", 2, 2, {{"batch_dims", kInt, 12}}, gather_nd_rule, 11),
      make_op("Slice", 3, 5, {}, slice_rule, 10),
      make_op("Expand", 2, 2, {}, expand_rule, 8),
      make_op("Split", 1, 2, {{"axis", kInt}, {"split", kInts, 0, 13}}, split_rule),
      make_op("Pad", 1, 3,
              {{"mode", kString}, {"pads", kInts, 0, 11}, {"value", AttrKind::Float, 0, 11}},
              pad_rule),
      make_op("Tile", 2, 2, {}, tile_rule),
      make_op("ConstantOfShape", 1, 1, {{"value", AttrKind::Tensor}}, constant_of_shape_rule, 9),
      make_op("Range", 3, 3, {}, range_rule, 11),
      make_op("NonZero", 1, 1, {}, non_zero_rule, 9),
      make_op("DepthToSpace", 1, 1, {{"blocksize", kInt}, {"mode", kString, 11}},
              depth_to_space_rule),
      make_op("ScatterND", 3, 3, {{"reduction", kString, 16}}, same_shape, 11),
      make_op("ScatterElements", 3, 3, {{"axis", kInt}, {"reduction", kString, 16}}, same_shape,
              11),
  };
  for (OpDef& d : ops) {
    if (d.name == "Shape" || d.name == "Size" || d.name == "NonZero") d.type = TypeRule::Int64;
    if (d.name == "ConstantOfShape") d.type = TypeRule::FromValue;
    if (d.name == "Range" || d.name == "Slice") d.type = TypeRule::Input0;
    if (d.name == "NonZero") d.traits |= kDataDependentShape;
    if (d.name == "Split") d.max_outputs = kVariadic;
  }
  auto with = [&](std::string_view name, Evaluator e) {
    for (OpDef& d : ops)
      if (d.name == name) d.evaluate = e;
  };
  with("Reshape", eval_reshape);
  with("Flatten", eval_flatten);
  with("Squeeze", eval_squeeze);
  with("Unsqueeze", eval_squeeze);
  with("Concat", eval_concat);
  with("Transpose", eval_transpose);
  with("Gather", eval_gather);
  return ops;
}

}  // namespace mlexport::ir::ops

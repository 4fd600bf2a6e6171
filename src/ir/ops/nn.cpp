// Convolution, pooling, normalisation and the linear ops.
#include <cctype>
#include <map>
#include <string>

#include "ir/ops/dims.h"
#include "ir/ops/families.h"

namespace mlexport::ir::ops {
namespace {

Dim conv_out(const Dim& in, int64_t k, int64_t s, int64_t d, int64_t pb, int64_t pe, bool ceil) {
  if (!in.is_fixed() || s <= 0) return unknown_dim();
  const Wide span = Wide{in.size} + pb + pe - Wide{d} * (Wide{k} - 1) - 1;
  Wide out = (ceil ? (span + s - 1) / s : span / s) + 1;
  // A last window that would start inside the end padding is dropped (PyTorch's ceil rule).
  if (ceil && (out - 1) * s >= Wide{in.size} + pb) --out;
  return wide_dim(out);
}

// Conv, MaxPool and AveragePool.
ShapeResult window_rule(const Node& n, const ShapeEnv& env) {
  const Shape* x = env.shape(n.input(0));
  if (!x || x->size() < 3) return std::nullopt;
  const size_t spatial = x->size() - 2;
  Shape out = *x;
  std::vector<int64_t> kernel = n.ints("kernel_shape");
  if (n.op == "Conv") {
    const Shape* w = env.shape(n.input(1));
    if (!w || w->size() != x->size()) return std::nullopt;
    out[1] = (*w)[0];
    if (kernel.empty())
      for (size_t k = 2; k < w->size(); ++k) {
        if (!(*w)[k].is_fixed()) return std::nullopt;
        kernel.push_back((*w)[k].size);
      }
  }
  if (kernel.size() != spatial) return std::nullopt;
  const auto strides = n.ints("strides", std::vector<int64_t>(spatial, 1));
  const auto dil = n.ints("dilations", std::vector<int64_t>(spatial, 1));
  const auto pads = n.ints("pads", std::vector<int64_t>(2 * spatial, 0));
  if (strides.size() != spatial || dil.size() != spatial || pads.size() != 2 * spatial)
    return std::nullopt;
  const std::string auto_pad = n.s("auto_pad", "NOTSET");
  const bool ceil = n.i("ceil_mode", 0) != 0;
  for (size_t k = 0; k < spatial; ++k) {
    const Dim& in = (*x)[k + 2];
    if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER")
      out[k + 2] = in.is_fixed() && strides[k] > 0
                       ? wide_dim((Wide{in.size} + strides[k] - 1) / strides[k])
                       : unknown_dim();
    else if (auto_pad == "VALID")
      out[k + 2] = conv_out(in, kernel[k], strides[k], dil[k], 0, 0, false);
    else
      out[k + 2] = conv_out(in, kernel[k], strides[k], dil[k], pads[k], pads[k + spatial], ceil);
  }
  if (n.op == "MaxPool" && n.outputs.size() > 1) return std::vector<Shape>{out, out};
  return one(out);
}

ShapeResult conv_transpose_rule(const Node& n, const ShapeEnv& env) {
  const Shape* x = env.shape(n.input(0));
  const Shape* w = env.shape(n.input(1));
  if (!x || !w || x->size() < 3 || w->size() != x->size()) return std::nullopt;
  const size_t spatial = x->size() - 2;
  Shape out = *x;
  out[1] = (*w)[1].is_fixed() ? wide_dim(Wide{(*w)[1].size} * n.i("group", 1)) : unknown_dim();
  const auto strides = n.ints("strides", std::vector<int64_t>(spatial, 1));
  const auto dil = n.ints("dilations", std::vector<int64_t>(spatial, 1));
  const auto pads = n.ints("pads", std::vector<int64_t>(2 * spatial, 0));
  const auto outpad = n.ints("output_padding", std::vector<int64_t>(spatial, 0));
  if (strides.size() != spatial || dil.size() != spatial || pads.size() != 2 * spatial ||
      outpad.size() != spatial)
    return std::nullopt;
  for (size_t k = 0; k < spatial; ++k) {
    const Dim& in = (*x)[k + 2];
    const Dim& kk = (*w)[k + 2];
    out[k + 2] = in.is_fixed() && kk.is_fixed()
                     ? wide_dim((Wide{in.size} - 1) * strides[k] - pads[k] - pads[k + spatial] +
                                Wide{dil[k]} * (Wide{kk.size} - 1) + outpad[k] + 1)
                     : unknown_dim();
  }
  return one(out);
}

ShapeResult global_pool_rule(const Node& n, const ShapeEnv& env) {
  const Shape* x = env.shape(n.input(0));
  if (!x) return std::nullopt;
  Shape out = *x;
  for (size_t k = 2; k < out.size(); ++k) out[k] = Dim::fixed(1);
  return one(out);
}

ShapeResult matmul_rule(const Node& n, const ShapeEnv& env) {
  const Shape* a0 = env.shape(n.input(0));
  const Shape* b0 = env.shape(n.input(1));
  if (!a0 || !b0 || a0->empty() || b0->empty()) return std::nullopt;
  Shape a = *a0, b = *b0;
  const bool a_vec = a.size() == 1, b_vec = b.size() == 1;
  if (a_vec) a.insert(a.begin(), Dim::fixed(1));
  if (b_vec) b.push_back(Dim::fixed(1));
  Shape out = broadcast(Shape(a.begin(), a.end() - 2), Shape(b.begin(), b.end() - 2));
  if (!a_vec) out.push_back(a[a.size() - 2]);
  if (!b_vec) out.push_back(b.back());
  return one(out);
}

ShapeResult gemm_rule(const Node& n, const ShapeEnv& env) {
  const Shape* x = env.shape(n.input(0));
  const Shape* w = env.shape(n.input(1));
  if (!x || !w || x->size() != 2 || w->size() != 2) return std::nullopt;
  return one({(*x)[n.i("transA", 0) ? 1 : 0], (*w)[n.i("transB", 0) ? 0 : 1]});
}

// Einsum: every subscript letter stands for one size (a 1 gives way to a larger one, as
// broadcasting does), "..." for the broadcast of what each operand's ellipsis covers. Without
// "->", the output is the ellipsis then the letters used once, in alphabetical order.
ShapeResult einsum_rule(const Node& n, const ShapeEnv& env) {
  std::string eq;
  for (char c : n.s("equation", ""))
    if (c != ' ') eq += c;
  const size_t arrow = eq.find("->");
  const std::string lhs = eq.substr(0, arrow);
  std::vector<std::string> terms(1);
  for (char c : lhs) {
    if (c == ',')
      terms.emplace_back();
    else
      terms.back() += c;
  }
  if (terms.size() != n.inputs.size()) return std::nullopt;
  std::map<char, Dim> letters;
  std::map<char, int> uses;
  Shape ellipsis;
  bool any_ellipsis = false;
  for (size_t k = 0; k < terms.size(); ++k) {
    const Shape* shape = env.shape(n.input(k));
    if (!shape) return std::nullopt;
    const std::string& term = terms[k];
    const size_t dots = term.find("...");
    const size_t named = term.size() - (dots == std::string::npos ? 0 : 3);
    if (shape->size() < named || (dots == std::string::npos && shape->size() != named))
      return std::nullopt;
    const size_t covered = shape->size() - named;
    size_t axis = 0;
    for (size_t i = 0; i < term.size(); ++i) {
      if (i == dots) {
        any_ellipsis = true;
        ellipsis = broadcast(ellipsis,
                             Shape(shape->begin() + static_cast<std::ptrdiff_t>(axis),
                                   shape->begin() + static_cast<std::ptrdiff_t>(axis + covered)));
        axis += covered;
        i += 2;
        continue;
      }
      const char c = term[i];
      if (!std::isalpha(static_cast<unsigned char>(c))) return std::nullopt;
      auto [it, fresh] = letters.emplace(c, (*shape)[axis]);
      if (!fresh) it->second = broadcast_dim(it->second, (*shape)[axis]);
      ++uses[c];
      ++axis;
    }
  }
  std::string rhs;
  if (arrow != std::string::npos) {
    rhs = eq.substr(arrow + 2);
  } else {
    if (any_ellipsis) rhs = "...";
    for (const auto& [c, count] : uses)
      if (count == 1) rhs += c;
  }
  Shape out;
  for (size_t i = 0; i < rhs.size(); ++i) {
    if (rhs.compare(i, 3, "...") == 0) {
      out.insert(out.end(), ellipsis.begin(), ellipsis.end());
      i += 2;
      continue;
    }
    auto it = letters.find(rhs[i]);
    if (it == letters.end()) return std::nullopt;
    out.push_back(it->second);
  }
  return one(out);
}

}  // namespace

std::vector<OpDef> nn_ops() {
  const std::vector<AttrSpec> conv_attrs = {{"auto_pad", kString}, {"dilations", kInts},
                                            {"group", kInt},       {"kernel_shape", kInts},
                                            {"pads", kInts},       {"strides", kInts}};
  std::vector<AttrSpec> transpose_attrs = conv_attrs;
  transpose_attrs.push_back({"output_padding", kInts});
  transpose_attrs.push_back({"output_shape", kInts});
  std::vector<OpDef> ops = {
      make_op("Conv", 2, 3, conv_attrs, window_rule),
      make_op("ConvTranspose", 2, 3, transpose_attrs, conv_transpose_rule),
      make_op("MaxPool", 1, 1,
              {{"auto_pad", kString},
               {"ceil_mode", kInt, 10},
               {"dilations", kInts, 10},
               {"kernel_shape", kInts},
               {"pads", kInts},
               {"storage_order", kInt},
               {"strides", kInts}},
              window_rule),
      make_op("AveragePool", 1, 1,
              {{"auto_pad", kString},
               {"ceil_mode", kInt, 10},
               {"count_include_pad", kInt},
               {"kernel_shape", kInts},
               {"pads", kInts},
               {"strides", kInts}},
              window_rule),
      make_op("GlobalAveragePool", 1, 1, {}, global_pool_rule),
      make_op("GlobalMaxPool", 1, 1, {}, global_pool_rule),
      make_op("BatchNormalization", 5, 5,
              {{"epsilon", kFloat}, {"momentum", kFloat}, {"training_mode", kInt, 14}}, same_shape),
      make_op("InstanceNormalization", 3, 3, {{"epsilon", kFloat}}, same_shape),
      make_op("LayerNormalization", 1, 3,
              {{"axis", kInt}, {"epsilon", kFloat}, {"stash_type", kInt}}, same_shape, 17),
      make_op("MatMul", 2, 2, {}, matmul_rule),
      make_op("Gemm", 2, 3,
              {{"alpha", kFloat}, {"beta", kFloat}, {"transA", kInt}, {"transB", kInt}}, gemm_rule),
      make_op("Einsum", 1, kVariadic, {{"equation", kString}}, einsum_rule, 12),
  };
  for (OpDef& d : ops) {
    if (d.name == "MaxPool") d.max_outputs = 2;
    if (d.name == "BatchNormalization") d.max_outputs = 3;
    if (d.name == "LayerNormalization") d.max_outputs = 3;
    if (d.shape == same_shape) d.traits |= kKeepsShapeAndType;
  }
  return ops;
}

}  // namespace mlexport::ir::ops

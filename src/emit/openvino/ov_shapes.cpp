#include "emit/openvino/ov_shapes.h"

#include <algorithm>
#include <set>

#include "ir/op_traits.h"

namespace mlexport::emit::ov {

namespace {

using ir::Node;
using ir::Value;

// Shape-preserving ops beyond those that also keep the element type.
bool same_shape(const std::string& op) {
  return ir::keeps_input_shape_and_type(op) || op == "Cast" || op == "IsNaN";
}

// Numpy-broadcasting ops, variadic ones included.
bool broadcasts(const std::string& op) {
  return ir::is_broadcasting_binary(op) || ir::is_comparison(op) || op == "PRelu" || op == "Sum" ||
         op == "Mean" || op == "Where" || op == "BitShift";
}

std::optional<std::vector<int64_t>> const_ints(const Value* v) {
  if (!v || !v->is_constant()) return std::nullopt;
  return v->constant->to_int_vector();
}

int64_t conv_out(int64_t in, int64_t k, int64_t s, int64_t d, int64_t pb, int64_t pe, bool ceil) {
  if (in < 0) return -1;
  int64_t span = in + pb + pe - d * (k - 1) - 1;
  int64_t out = (ceil ? (span + s - 1) / s : span / s) + 1;
  // A last window that would start inside the end padding is dropped (PyTorch's ceil rule).
  if (ceil && (out - 1) * s >= in + pb) --out;
  return out;
}

class Resolver {
 public:
  explicit Resolver(ShapeMap& shapes) : s_(shapes) {}

  const Dims* get(const Value* v) const {
    if (!v) return nullptr;
    auto it = s_.find(v);
    return it == s_.end() ? nullptr : &it->second;
  }

  std::optional<std::vector<Dims>> infer(const Node& n) {
    const Dims* x = get(n.input(0));
    const std::string& op = n.op;
    if (same_shape(op) && !broadcasts(op)) {
      if (!x) return std::nullopt;
      return one(*x);
    }
    if (broadcasts(op)) {
      Dims out;
      for (const Value* v : n.inputs) {
        const Dims* d = get(v);
        if (!d) return std::nullopt;
        out = broadcast_dims(out, *d);
      }
      return one(out);
    }
    if (op == "ConstantOfShape" || op == "Range") return sized_by_values(n);
    if (!x) return std::nullopt;
    const size_t rank = x->size();
    if (op == "Conv" || op == "MaxPool" || op == "AveragePool") return pool_like(n, *x);
    if (op == "GlobalAveragePool" || op == "GlobalMaxPool") {
      Dims out = *x;
      for (size_t k = 2; k < out.size(); ++k) out[k] = 1;
      return one(out);
    }
    if (op == "LSTM" || op == "GRU" || op == "RNN") return recurrent(n, *x);
    if (op == "MatMul") return matmul(*x, get(n.input(1)));
    if (op == "Gemm") {
      const Dims* w = get(n.input(1));
      if (!w || rank != 2 || w->size() != 2) return std::nullopt;
      return one({(*x)[n.i("transA", 0) ? 1 : 0], (*w)[n.i("transB", 0) ? 0 : 1]});
    }
    if (op == "Transpose") {
      auto perm = n.ints("perm");
      if (perm.empty())
        for (size_t k = rank; k-- > 0;) perm.push_back(static_cast<int64_t>(k));
      Dims out;
      for (int64_t p : perm) out.push_back((*x)[static_cast<size_t>(p)]);
      return one(out);
    }
    if (op == "Reshape") return reshape(n, *x);
    if (op == "Flatten") {
      int64_t axis = normalize_axis(n.i("axis", 1), rank);
      return one({product(*x, 0, axis), product(*x, axis, static_cast<int64_t>(rank))});
    }
    if (op == "Concat") {
      int64_t axis = normalize_axis(n.i("axis", 0), rank);
      Dims out = *x;
      for (size_t k = 1; k < n.inputs.size(); ++k) {
        const Dims* d = get(n.inputs[k]);
        if (!d) return std::nullopt;
        int64_t& o = out[static_cast<size_t>(axis)];
        int64_t a = (*d)[static_cast<size_t>(axis)];
        o = (o < 0 || a < 0) ? -1 : o + a;
      }
      return one(out);
    }
    if (op == "Split") return split(n, *x);
    if (op == "Squeeze" || op == "Unsqueeze") return squeeze(n, *x);
    if (op == "Shape") {
      int64_t r = static_cast<int64_t>(rank);
      int64_t start = n.i("start", 0), end = n.i("end", r);
      start = std::clamp(start < 0 ? start + r : start, int64_t{0}, r);
      end = std::clamp(end < 0 ? end + r : end, int64_t{0}, r);
      return one({std::max<int64_t>(0, end - start)});
    }
    if (op == "Gather") {
      const Dims* idx = get(n.input(1));
      if (!idx) return std::nullopt;
      size_t axis = static_cast<size_t>(normalize_axis(n.i("axis", 0), rank));
      Dims out(x->begin(), x->begin() + static_cast<std::ptrdiff_t>(axis));
      out.insert(out.end(), idx->begin(), idx->end());
      out.insert(out.end(), x->begin() + static_cast<std::ptrdiff_t>(axis) + 1, x->end());
      return one(out);
    }
    if (op == "GatherElements") {
      const Dims* idx = get(n.input(1));
      if (!idx) return std::nullopt;
      return one(*idx);
    }
    if (op == "Slice") return slice(n, *x);
    if (op == "Expand") {
      auto target = const_ints(n.input(1));
      if (target) return one(broadcast_dims(*x, *target));
      const Dims* t = get(n.input(1));
      if (!t || t->size() != 1 || (*t)[0] < 0) return std::nullopt;
      return one(Dims(std::max<size_t>(rank, static_cast<size_t>((*t)[0])), -1));
    }
    if (op == "Tile") {
      auto reps = const_ints(n.input(1));
      Dims out = *x;
      for (size_t k = 0; k < out.size(); ++k)
        out[k] = (reps && out[k] >= 0) ? out[k] * (*reps)[k] : -1;
      return one(out);
    }
    if (op == "TopK") {
      auto k = const_ints(n.input(1));
      Dims out = *x;
      out[static_cast<size_t>(normalize_axis(n.i("axis", -1), rank))] = k ? (*k)[0] : -1;
      return std::vector<Dims>{out, out};
    }
    if (op == "Pad") {
      auto pads = n.input(1) ? const_ints(n.input(1)) : std::optional(n.ints("pads"));
      Dims out = *x;
      for (size_t k = 0; k < rank; ++k)
        out[k] = (pads && pads->size() == 2 * rank && out[k] >= 0)
                     ? out[k] + (*pads)[k] + (*pads)[k + rank]
                     : -1;
      return one(out);
    }
    if (op.rfind("Reduce", 0) == 0 || op == "ArgMax" || op == "ArgMin") return reduce(n, *x);
    if (op == "ConvTranspose") return conv_transpose(n, *x);
    if (op == "ScatterND" || op == "ScatterElements") return one(*x);
    if (op == "NonZero") return one({static_cast<int64_t>(rank), -1});
    if (op == "NonMaxSuppression") return one({-1, 3});
    if (op == "DFT") {
      Dims out = *x;
      int64_t axis = n.i("axis", 1);
      if (rank < 2 || axis < 0 || axis >= static_cast<int64_t>(rank) - 1) return std::nullopt;
      out.back() = 2;
      int64_t& len = out[static_cast<size_t>(axis)];
      if (n.i("onesided", 0) && len >= 0) len = len / 2 + 1;
      return one(out);
    }
    if (op == "GridSample") {
      const Dims* g = get(n.input(1));
      if (!g || rank != 4 || g->size() != 4) return std::nullopt;
      return one({(*x)[0], (*x)[1], (*g)[1], (*g)[2]});
    }
    if (op == "RoiAlign" || op == "MaxRoiPool") {
      const Dims* rois = get(n.input(1));
      if (!rois || rank != 4 || rois->empty()) return std::nullopt;
      std::vector<int64_t> pooled =
          op == "MaxRoiPool"
              ? n.ints("pooled_shape")
              : std::vector<int64_t>{n.i("output_height", 1), n.i("output_width", 1)};
      if (pooled.size() != 2) return std::nullopt;
      return one({(*rois)[0], (*x)[1], pooled[0], pooled[1]});
    }
    return std::nullopt;
  }

 private:
  ShapeMap& s_;

  static std::vector<Dims> one(Dims d) { return {std::move(d)}; }

  // ConstantOfShape's output shape is its input's values; Range's length is known only for
  // constant bounds.
  std::optional<std::vector<Dims>> sized_by_values(const Node& n) {
    if (n.op == "Range") {
      auto s = const_ints(n.input(0)), e = const_ints(n.input(1)), d = const_ints(n.input(2));
      if (s && e && d && (*d)[0] != 0 && n.input(0)->dtype == ir::DType::Int64) {
        int64_t len = ((*e)[0] - (*s)[0] + (*d)[0] + ((*d)[0] > 0 ? -1 : 1)) / (*d)[0];
        return one({std::max<int64_t>(0, len)});
      }
      return one({-1});
    }
    if (auto v = const_ints(n.input(0))) return one(Dims(v->begin(), v->end()));
    const Dims* d = get(n.input(0));
    if (!d || d->size() != 1 || (*d)[0] < 0) return std::nullopt;
    return one(Dims(static_cast<size_t>((*d)[0]), -1));
  }

  static int64_t product(const Dims& d, int64_t from, int64_t to) {
    int64_t p = 1;
    for (int64_t k = from; k < to; ++k) {
      if (d[static_cast<size_t>(k)] < 0) return -1;
      p *= d[static_cast<size_t>(k)];
    }
    return p;
  }

  std::optional<std::vector<Dims>> pool_like(const Node& n, const Dims& x) {
    if (x.size() < 3) return std::nullopt;
    size_t spatial = x.size() - 2;
    Dims out = x;
    std::vector<int64_t> kernel = n.ints("kernel_shape");
    if (n.op == "Conv") {
      const Dims* w = get(n.input(1));
      if (!w) return std::nullopt;
      out[1] = (*w)[0];
      if (kernel.empty()) kernel.assign(w->begin() + 2, w->end());
    }
    if (kernel.size() != spatial) return std::nullopt;
    auto strides = n.ints("strides", std::vector<int64_t>(spatial, 1));
    auto dil = n.ints("dilations", std::vector<int64_t>(spatial, 1));
    auto pads = n.ints("pads", std::vector<int64_t>(2 * spatial, 0));
    std::string auto_pad = n.s("auto_pad", "NOTSET");
    bool ceil = n.i("ceil_mode", 0) != 0;
    for (size_t k = 0; k < spatial; ++k) {
      int64_t in = x[k + 2];
      if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER")
        out[k + 2] = in < 0 ? -1 : (in + strides[k] - 1) / strides[k];
      else if (auto_pad == "VALID")
        out[k + 2] = conv_out(in, kernel[k], strides[k], dil[k], 0, 0, false);
      else
        out[k + 2] = conv_out(in, kernel[k], strides[k], dil[k], pads[k], pads[k + spatial], ceil);
    }
    if (n.op == "MaxPool" && n.outputs.size() > 1) return std::vector<Dims>{out, out};
    return one(out);
  }

  std::optional<std::vector<Dims>> conv_transpose(const Node& n, const Dims& x) {
    const Dims* w = get(n.input(1));
    if (!w || x.size() < 3) return std::nullopt;
    size_t spatial = x.size() - 2;
    Dims out = x;
    out[1] = (*w)[1] < 0 ? -1 : (*w)[1] * n.i("group", 1);
    auto strides = n.ints("strides", std::vector<int64_t>(spatial, 1));
    auto dil = n.ints("dilations", std::vector<int64_t>(spatial, 1));
    auto pads = n.ints("pads", std::vector<int64_t>(2 * spatial, 0));
    auto outpad = n.ints("output_padding", std::vector<int64_t>(spatial, 0));
    for (size_t k = 0; k < spatial; ++k) {
      int64_t in = x[k + 2], kk = (*w)[k + 2];
      out[k + 2] = in < 0 ? -1
                          : (in - 1) * strides[k] - pads[k] - pads[k + spatial] +
                                dil[k] * (kk - 1) + outpad[k] + 1;
    }
    return one(out);
  }

  // ONNX LSTM / GRU / RNN (layout 0): Y [seq, dirs, batch, hidden], Y_h (Y_c) [dirs, batch,
  // hidden].
  static std::optional<std::vector<Dims>> recurrent(const Node& n, const Dims& x) {
    if (x.size() != 3 || n.i("layout", 0) != 0) return std::nullopt;
    const int64_t dirs = n.s("direction", "forward") == "bidirectional" ? 2 : 1;
    const int64_t hidden = n.i("hidden_size", -1);
    std::vector<Dims> outs = {{x[0], dirs, x[1], hidden}, {dirs, x[1], hidden}};
    if (n.op == "LSTM") outs.push_back(outs[1]);
    return outs;
  }

  std::optional<std::vector<Dims>> matmul(const Dims& a0, const Dims* b0) {
    if (!b0) return std::nullopt;
    Dims a = a0, b = *b0;
    bool a_vec = a.size() == 1, b_vec = b.size() == 1;
    if (a_vec) a.insert(a.begin(), 1);
    if (b_vec) b.push_back(1);
    Dims batch = broadcast_dims(Dims(a.begin(), a.end() - 2), Dims(b.begin(), b.end() - 2));
    Dims out = batch;
    if (!a_vec) out.push_back(a[a.size() - 2]);
    if (!b_vec) out.push_back(b.back());
    return one(out);
  }

  std::optional<std::vector<Dims>> reshape(const Node& n, const Dims& x) {
    auto target = const_ints(n.input(1));
    if (!target) {
      const Dims* t = get(n.input(1));
      if (!t || t->size() != 1 || (*t)[0] < 0) return std::nullopt;
      return one(Dims(static_cast<size_t>((*t)[0]), -1));
    }
    Dims out(target->begin(), target->end());
    bool allowzero = n.i("allowzero", 0) != 0;
    int64_t known = 1;
    int minus = -1;
    for (size_t k = 0; k < out.size(); ++k) {
      if (out[k] == 0 && !allowzero) out[k] = k < x.size() ? x[k] : -1;
      if ((*target)[k] == -1)
        minus = static_cast<int>(k);
      else if (out[k] >= 0 && known >= 0)
        known *= out[k];
      else
        known = -1;
    }
    if (minus >= 0) {
      int64_t total = product(x, 0, static_cast<int64_t>(x.size()));
      out[static_cast<size_t>(minus)] = (total >= 0 && known > 0) ? total / known : -1;
    }
    return one(out);
  }

  std::optional<std::vector<Dims>> split(const Node& n, const Dims& x) {
    size_t axis = static_cast<size_t>(normalize_axis(n.i("axis", 0), x.size()));
    std::vector<int64_t> sizes =
        n.input(1) ? const_ints(n.input(1)).value_or(std::vector<int64_t>{}) : n.ints("split");
    std::vector<Dims> outs;
    for (size_t k = 0; k < n.outputs.size(); ++k) {
      Dims d = x;
      if (!sizes.empty())
        d[axis] = sizes[k];
      else
        d[axis] = x[axis] < 0 ? -1 : x[axis] / static_cast<int64_t>(n.outputs.size());
      outs.push_back(d);
    }
    return outs;
  }

  std::optional<std::vector<Dims>> squeeze(const Node& n, const Dims& x) {
    std::optional<std::vector<int64_t>> axes =
        n.input(1) ? const_ints(n.input(1)) : std::optional(n.ints("axes"));
    if (!axes) return std::nullopt;
    if (n.op == "Unsqueeze") {
      size_t rank = x.size() + axes->size();
      std::vector<bool> inserted(rank, false);
      for (int64_t a : *axes) inserted[static_cast<size_t>(normalize_axis(a, rank))] = true;
      Dims out;
      size_t src = 0;
      for (size_t k = 0; k < rank; ++k) out.push_back(inserted[k] ? 1 : x[src++]);
      return one(out);
    }
    std::vector<bool> drop(x.size(), false);
    if (axes->empty()) {
      for (size_t k = 0; k < x.size(); ++k) {
        if (x[k] < 0) return std::nullopt;
        drop[k] = x[k] == 1;
      }
    }
    for (int64_t a : *axes) drop[static_cast<size_t>(normalize_axis(a, x.size()))] = true;
    Dims out;
    for (size_t k = 0; k < x.size(); ++k)
      if (!drop[k]) out.push_back(x[k]);
    return one(out);
  }

  std::optional<std::vector<Dims>> slice(const Node& n, const Dims& x) {
    Dims out = x;
    auto starts = const_ints(n.input(1)), ends = const_ints(n.input(2));
    std::optional<std::vector<int64_t>> axes, steps;
    if (n.input(3)) axes = const_ints(n.input(3));
    if (n.input(4)) steps = const_ints(n.input(4));
    if (!starts || !ends || (n.input(3) && !axes) || (n.input(4) && !steps)) {
      // Which axes change is unknown: only the rank survives.
      if (!n.input(3) || !axes) return one(Dims(x.size(), -1));
      for (int64_t a : *axes) out[static_cast<size_t>(normalize_axis(a, x.size()))] = -1;
      return one(out);
    }
    for (size_t k = 0; k < starts->size(); ++k) {
      size_t axis = axes ? static_cast<size_t>(normalize_axis((*axes)[k], x.size())) : k;
      int64_t step = steps ? (*steps)[k] : 1;
      int64_t dim = x[axis];
      if (dim < 0) {
        out[axis] = -1;
        continue;
      }
      int64_t s = (*starts)[k], e = (*ends)[k];
      if (s < 0) s += dim;
      if (e < 0) e += dim;
      if (step > 0) {
        s = std::clamp<int64_t>(s, 0, dim);
        e = std::clamp<int64_t>(e, 0, dim);
        out[axis] = e > s ? (e - s + step - 1) / step : 0;
      } else {
        s = std::clamp<int64_t>(s, -1, dim - 1);
        e = std::clamp<int64_t>(e, -1, dim - 1);
        out[axis] = s > e ? (s - e + (-step) - 1) / (-step) : 0;
      }
    }
    return one(out);
  }

  std::optional<std::vector<Dims>> reduce(const Node& n, const Dims& x) {
    std::optional<std::vector<int64_t>> axes;
    if (n.op == "ArgMax" || n.op == "ArgMin")
      axes = std::vector<int64_t>{n.i("axis", 0)};
    else
      axes = n.input(1) ? const_ints(n.input(1)) : std::optional(n.ints("axes"));
    if (!axes) return std::nullopt;
    bool keep = n.i("keepdims", 1) != 0;
    std::vector<bool> reduced(x.size(), axes->empty());
    if (axes->empty() && n.i("noop_with_empty_axes", 0)) return one(x);
    for (int64_t a : *axes) reduced[static_cast<size_t>(normalize_axis(a, x.size()))] = true;
    Dims out;
    for (size_t k = 0; k < x.size(); ++k) {
      if (!reduced[k])
        out.push_back(x[k]);
      else if (keep)
        out.push_back(1);
    }
    return one(out);
  }
};

Dims to_dims(const ir::Shape& shape) {
  Dims d;
  for (const ir::Dim& x : shape) d.push_back(x.is_fixed() ? x.size : -1);
  return d;
}

}  // namespace

Dims broadcast_dims(const Dims& a, const Dims& b) {
  size_t rank = std::max(a.size(), b.size());
  Dims out(rank);
  for (size_t k = 0; k < rank; ++k) {
    int64_t da = k + a.size() >= rank ? a[k + a.size() - rank] : 1;
    int64_t db = k + b.size() >= rank ? b[k + b.size() - rank] : 1;
    if (da == 1)
      out[k] = db;
    else if (db == 1)
      out[k] = da;
    else if (da < 0)
      out[k] = db;
    else
      out[k] = da;
  }
  return out;
}

int64_t normalize_axis(int64_t axis, size_t rank) {
  int64_t r = static_cast<int64_t>(rank);
  return axis < 0 ? axis + r : axis;
}

ShapeMap resolve_shapes(const ir::Graph& graph) {
  ShapeMap shapes;
  for (const Value* v : graph.inputs())
    if (v->shape) shapes[v] = to_dims(*v->shape);
  for (const Value* v : graph.constants()) shapes[v] = v->constant->shape;
  bool dynamic = false;
  for (const auto& [v, dims] : shapes)
    for (int64_t d : dims) dynamic = dynamic || d < 0;
  Resolver resolver(shapes);
  for (const auto& n : graph.nodes()) {
    for (const Value* v : n->inputs)
      if (v && v->is_constant()) shapes[v] = v->constant->shape;
    std::optional<std::vector<Dims>> inferred;
    bool tried = false;
    for (size_t k = 0; k < n->outputs.size(); ++k) {
      const Value* out = n->outputs[k];
      Dims from_ir;
      if (out->shape) from_ir = to_dims(*out->shape);
      if (!tried) {
        inferred = resolver.infer(*n);
        tried = true;
      }
      const Dims* guess = inferred && k < inferred->size() ? &(*inferred)[k] : nullptr;
      if (out->shape && dynamic && guess && guess->size() == from_ir.size()) {
        // With a dynamic input, frontends record intermediate shapes at the example input
        // (batch 1 where the batch is symbolic): what the inputs imply wins.
        shapes[out] = *guess;
      } else if (out->shape) {
        // The IR's own shape wins; an inferred size fills a dim it left open.
        if (guess && guess->size() == from_ir.size())
          for (size_t d = 0; d < from_ir.size(); ++d)
            if (from_ir[d] < 0) from_ir[d] = (*guess)[d];
        shapes[out] = from_ir;
      } else if (guess) {
        shapes[out] = *guess;
      }
    }
  }
  return shapes;
}

}  // namespace mlexport::emit::ov

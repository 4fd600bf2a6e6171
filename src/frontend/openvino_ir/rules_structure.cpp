// Convolution, pooling, reduction and data-movement layers -> ONNX-semantics IR nodes. Values
// OpenVINO passes as Const inputs (axes, orders, pads) become IR attributes, the IR's convention.
#include <algorithm>

#include "frontend/openvino_ir/rules.h"

namespace mlexport::frontend::openvino_ir {

namespace {

ir::Shape shape_of(const std::vector<int64_t>& dims) {
  ir::Shape s;
  for (int64_t d : dims) s.push_back(d >= 0 ? ir::Dim::fixed(d) : ir::Dim{});
  return s;
}

std::vector<int64_t> concat(std::vector<int64_t> a, const std::vector<int64_t>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// pads / auto_pad shared by convolutions and pooling.
void window_attrs(Reader& r, const LayerDesc& l, std::map<std::string, ir::Attribute>& attrs) {
  std::string auto_pad = r.attr(l, "auto_pad", "explicit");
  if (auto_pad == "explicit" || auto_pad == "notset" || auto_pad.empty()) {
    attrs["pads"] = concat(r.ints_attr(l, "pads_begin"), r.ints_attr(l, "pads_end"));
  } else if (auto_pad == "valid") {
    attrs["auto_pad"] = std::string("VALID");
  } else if (auto_pad == "same_upper") {
    attrs["auto_pad"] = std::string("SAME_UPPER");
  } else if (auto_pad == "same_lower") {
    attrs["auto_pad"] = std::string("SAME_LOWER");
  } else {
    throw r.unsupported(l, "auto_pad " + auto_pad);
  }
  attrs["strides"] = r.ints_attr(l, "strides");
}

// Input k reshaped to `shape`: a new constant when it is one, a Reshape node otherwise.
ir::Value* reshaped(Reader& r, const LayerDesc& l, size_t k, const std::vector<int64_t>& shape) {
  ir::Value* v = r.input(l, k);
  if (v->is_constant()) {
    ir::Tensor t = *v->constant;
    t.shape = shape;
    return r.constant(t, v->name + "_reshaped");
  }
  ir::Value* target = r.constant(ir::Tensor::vector_int64(shape), "weights_shape");
  return r.helper(l, "Reshape", {v, target}, v->dtype, shape_of(shape));
}

ir::Value* as_int64(Reader& r, const LayerDesc& l, ir::Value* v) {
  if (v->dtype == ir::DType::Int64) return v;
  return r.helper(l, "Cast", {v}, ir::DType::Int64, v->shape,
                  {{"to", static_cast<int64_t>(ir::DType::Int64)}});
}

}  // namespace

void rule_convolution(Reader& r, const LayerDesc& l) {
  std::map<std::string, ir::Attribute> attrs;
  window_attrs(r, l, attrs);
  attrs["dilations"] = r.ints_attr(l, "dilations");
  const auto& wd = r.in_dims(l, 1);
  ir::Value* w = r.input(l, 1);
  bool grouped = l.type == "GroupConvolution";
  if (grouped) {
    // [G, O/G, I/G, k...] -> [O, I/G, k...]
    if (wd.size() < 3 || wd[0] < 0 || wd[1] < 0)
      throw r.unsupported(l, "grouped weights of unknown shape");
    std::vector<int64_t> shape = {wd[0] * wd[1]};
    shape.insert(shape.end(), wd.begin() + 2, wd.end());
    w = reshaped(r, l, 1, shape);
    attrs["group"] = wd[0];
    attrs["kernel_shape"] = std::vector<int64_t>(wd.begin() + 3, wd.end());
  } else {
    attrs["kernel_shape"] = std::vector<int64_t>(wd.begin() + 2, wd.end());
  }
  r.set_output(l, 0, r.node(l, "Conv", {r.input(l, 0), w}, attrs)->outputs[0]);
}

void rule_conv_backprop(Reader& r, const LayerDesc& l) {
  if (r.input_count(l) > 2) throw r.unsupported(l, "an output_shape input");
  std::map<std::string, ir::Attribute> attrs;
  window_attrs(r, l, attrs);
  attrs["dilations"] = r.ints_attr(l, "dilations");
  if (l.data.count("output_padding") && !r.attr(l, "output_padding", "").empty())
    attrs["output_padding"] = r.ints_attr(l, "output_padding");
  const auto& wd = r.in_dims(l, 1);
  ir::Value* w = r.input(l, 1);
  if (l.type == "GroupConvolutionBackpropData") {
    // [G, C_in/G, C_out/G, k...] -> [C_in, C_out/G, k...]
    if (wd.size() < 3 || wd[0] < 0 || wd[1] < 0)
      throw r.unsupported(l, "grouped weights of unknown shape");
    std::vector<int64_t> shape = {wd[0] * wd[1]};
    shape.insert(shape.end(), wd.begin() + 2, wd.end());
    w = reshaped(r, l, 1, shape);
    attrs["group"] = wd[0];
    attrs["kernel_shape"] = std::vector<int64_t>(wd.begin() + 3, wd.end());
  } else {
    attrs["kernel_shape"] = std::vector<int64_t>(wd.begin() + 2, wd.end());
  }
  r.set_output(l, 0, r.node(l, "ConvTranspose", {r.input(l, 0), w}, attrs)->outputs[0]);
}

namespace {

int64_t ceil_mode(Reader& r, const LayerDesc& l) {
  std::string rounding = r.attr(l, "rounding_type", "floor");
  if (rounding == "floor") return 0;
  // ONNX's ceil mode drops a last window starting in the end padding, as "ceil_torch" does;
  // plain "ceil" keeps it, which only matters where the sizes differ (ONNX then differs too).
  if (rounding == "ceil" || rounding == "ceil_torch") return 1;
  throw r.unsupported(l, "rounding_type " + rounding);
}

}  // namespace

void rule_max_pool(Reader& r, const LayerDesc& l) {
  std::map<std::string, ir::Attribute> attrs;
  window_attrs(r, l, attrs);
  attrs["kernel_shape"] = r.ints_attr(l, "kernel");
  if (l.data.count("dilations")) attrs["dilations"] = r.ints_attr(l, "dilations");
  attrs["ceil_mode"] = ceil_mode(r, l);
  bool indices = l.outputs.size() > 1 && r.output_used(l, 1);
  if (indices && r.int_attr(l, "axis", 0) != 0)
    throw r.unsupported(l, "indices counted from axis " + r.attr(l, "axis", ""));
  ir::Node* n = r.node(l, "MaxPool", {r.input(l, 0)}, attrs, indices ? 2 : 1);
  r.set_output(l, 0, n->outputs[0]);
  if (!indices) return;
  n->outputs[1]->dtype = ir::DType::Int64;  // ONNX's Indices are always int64
  ir::Value* idx = n->outputs[1];
  ir::DType want = r.port_dtype(l.outputs[1]);
  if (want != ir::DType::Int64)
    idx = r.helper(l, "Cast", {idx}, want, idx->shape, {{"to", static_cast<int64_t>(want)}});
  r.set_output(l, 1, idx);
}

void rule_avg_pool(Reader& r, const LayerDesc& l) {
  std::map<std::string, ir::Attribute> attrs;
  window_attrs(r, l, attrs);
  attrs["kernel_shape"] = r.ints_attr(l, "kernel");
  attrs["ceil_mode"] = ceil_mode(r, l);
  attrs["count_include_pad"] = int64_t{r.bool_attr(l, "exclude-pad", false) ? 0 : 1};
  r.set_output(l, 0, r.node(l, "AveragePool", {r.input(l, 0)}, attrs)->outputs[0]);
}

void rule_reduce(Reader& r, const LayerDesc& l) {
  std::vector<int64_t> axes = r.const_ints(l, 1, "axes");
  if (axes.empty()) {  // OpenVINO reduces nothing over an empty axes list
    r.set_output(l, 0, r.node(l, "Identity", {r.input(l, 0)})->outputs[0]);
    return;
  }
  int64_t keep = r.bool_attr(l, "keep_dims", false) ? 1 : 0;
  r.set_output(
      l, 0, r.node(l, l.type, {r.input(l, 0)}, {{"axes", axes}, {"keepdims", keep}})->outputs[0]);
}

void rule_reshape(Reader& r, const LayerDesc& l) {
  bool special_zero = r.bool_attr(l, "special_zero", false);
  ir::Value* shape = as_int64(r, l, r.input(l, 1));
  std::map<std::string, ir::Attribute> attrs;
  if (!special_zero) {
    // A literal 0 means a zero-sized dim here; ONNX says so with allowzero=1.
    const ir::Tensor* t = r.const_input(l, 1);
    auto v = t ? t->to_int_vector() : std::vector<int64_t>{0};
    if (std::find(v.begin(), v.end(), 0) != v.end()) attrs["allowzero"] = int64_t{1};
  }
  r.set_output(l, 0, r.node(l, "Reshape", {r.input(l, 0), shape}, attrs)->outputs[0]);
}

void rule_concat(Reader& r, const LayerDesc& l) {
  std::vector<ir::Value*> ins;
  for (size_t k = 0; k < r.input_count(l); ++k) ins.push_back(r.input(l, k));
  r.set_output(l, 0, r.node(l, "Concat", ins, {{"axis", r.required_int(l, "axis")}})->outputs[0]);
}

void rule_transpose(Reader& r, const LayerDesc& l) {
  std::vector<int64_t> order = r.const_ints(l, 1, "order");
  std::map<std::string, ir::Attribute> attrs;
  if (!order.empty()) attrs["perm"] = order;  // empty: reverse, as ONNX without perm
  r.set_output(l, 0, r.node(l, "Transpose", {r.input(l, 0)}, attrs)->outputs[0]);
}

void rule_squeeze(Reader& r, const LayerDesc& l) {
  std::map<std::string, ir::Attribute> attrs;
  if (r.input_count(l) > 1) attrs["axes"] = r.const_ints(l, 1, "axes");
  if (l.type == "Unsqueeze" && !attrs.count("axes")) throw r.malformed(l, "no axes input");
  r.set_output(l, 0, r.node(l, l.type, {r.input(l, 0)}, attrs)->outputs[0]);
}

void rule_shape_of(Reader& r, const LayerDesc& l) {
  ir::DType want = r.port_dtype(l.outputs[0]);
  ir::Node* n = r.node(l, "Shape", {r.input(l, 0)});
  n->outputs[0]->dtype = ir::DType::Int64;
  ir::Value* v = n->outputs[0];
  if (want != ir::DType::Int64)
    v = r.helper(l, "Cast", {v}, want, v->shape, {{"to", static_cast<int64_t>(want)}});
  r.set_output(l, 0, v);
}

void rule_gather(Reader& r, const LayerDesc& l) {
  if (r.int_attr(l, "batch_dims", 0) != 0) throw r.unsupported(l, "batch_dims != 0");
  int64_t axis = static_cast<int64_t>(r.const_scalar(l, 2, "axis"));
  r.set_output(l, 0,
               r.node(l, "Gather", {r.input(l, 0), r.input(l, 1)}, {{"axis", axis}})->outputs[0]);
}

void rule_gather_elements(Reader& r, const LayerDesc& l) {
  r.set_output(l, 0,
               r.node(l, "GatherElements", {r.input(l, 0), r.input(l, 1)},
                      {{"axis", r.required_int(l, "axis")}})
                   ->outputs[0]);
}

void rule_slice(Reader& r, const LayerDesc& l) {
  // Slice-8 (data, start, stop, step[, axes]) -> ONNX Slice (data, starts, ends, axes, steps).
  ir::Value* axes = r.input_count(l) > 4 ? as_int64(r, l, r.input(l, 4)) : nullptr;
  r.set_output(l, 0,
               r.node(l, "Slice",
                      {r.input(l, 0), as_int64(r, l, r.input(l, 1)), as_int64(r, l, r.input(l, 2)),
                       axes, as_int64(r, l, r.input(l, 3))})
                   ->outputs[0]);
}

void rule_broadcast(Reader& r, const LayerDesc& l) {
  std::string mode = r.attr(l, "mode", "numpy");
  if (mode != "numpy" && mode != "bidirectional") throw r.unsupported(l, "mode " + mode);
  // numpy mode asks for exactly the target shape, which Expand gives when the data broadcasts
  // to it (the only case numpy mode allows).
  r.set_output(l, 0,
               r.node(l, "Expand", {r.input(l, 0), as_int64(r, l, r.input(l, 1))})->outputs[0]);
}

void rule_split(Reader& r, const LayerDesc& l) {
  int64_t axis = static_cast<int64_t>(r.const_scalar(l, 1, "axis"));
  const auto& dims = r.in_dims(l, 0);
  size_t a = static_cast<size_t>(axis < 0 ? axis + static_cast<int64_t>(dims.size()) : axis);
  std::vector<int64_t> sizes;
  if (l.type == "VariadicSplit") {
    sizes = r.const_ints(l, 2, "split_lengths");
    auto minus = std::find(sizes.begin(), sizes.end(), -1);
    if (minus != sizes.end()) {
      if (a >= dims.size() || dims[a] < 0) throw r.unsupported(l, "-1 length on a dynamic axis");
      int64_t rest = dims[a];
      for (int64_t s : sizes)
        if (s != -1) rest -= s;
      *minus = rest;
    }
  } else {
    int64_t parts = r.int_attr(l, "num_splits", 1);
    if (a < dims.size() && dims[a] >= 0) sizes.assign(static_cast<size_t>(parts), dims[a] / parts);
  }
  std::map<std::string, ir::Attribute> attrs = {{"axis", axis}};
  if (!sizes.empty()) attrs["split"] = sizes;
  ir::Node* n = r.node(l, "Split", {r.input(l, 0)}, attrs, l.outputs.size());
  for (size_t k = 0; k < l.outputs.size(); ++k) r.set_output(l, k, n->outputs[k]);
}

void rule_pad(Reader& r, const LayerDesc& l) {
  std::string mode = r.required(l, "pad_mode");
  if (mode != "constant" && mode != "edge" && mode != "reflect")
    throw r.unsupported(l, "pad_mode " + mode);
  std::map<std::string, ir::Attribute> attrs = {
      {"pads", concat(r.const_ints(l, 1, "pads_begin"), r.const_ints(l, 2, "pads_end"))},
      {"mode", mode}};
  if (mode == "constant" && r.input_count(l) > 3)
    attrs["value"] = r.const_scalar(l, 3, "pad_value");
  r.set_output(l, 0, r.node(l, "Pad", {r.input(l, 0)}, attrs)->outputs[0]);
}

void rule_tile(Reader& r, const LayerDesc& l) {
  r.set_output(l, 0, r.node(l, "Tile", {r.input(l, 0), as_int64(r, l, r.input(l, 1))})->outputs[0]);
}

// GatherND-8 is ONNX GatherND (batch dims kept); GatherND-5 folds the batch dims into one.
void rule_gather_nd(Reader& r, const LayerDesc& l) {
  const int64_t batch_dims = r.int_attr(l, "batch_dims", 0);
  if (l.version == "opset5" && batch_dims > 1)
    throw r.unsupported(l, "GatherND-5 with batch_dims > 1");
  ir::Value* idx = as_int64(r, l, r.input(l, 1));
  r.set_output(
      l, 0, r.node(l, "GatherND", {r.input(l, 0), idx}, {{"batch_dims", batch_dims}})->outputs[0]);
}

// DepthToSpace-1: blocks_first is ONNX's DCR, depth_first its CRD.
void rule_depth_to_space(Reader& r, const LayerDesc& l) {
  const std::string mode = r.required(l, "mode");
  if (mode != "blocks_first" && mode != "depth_first") throw r.unsupported(l, "mode " + mode);
  std::map<std::string, ir::Attribute> attrs = {
      {"blocksize", r.int_attr(l, "block_size", 1)},
      {"mode", std::string(mode == "depth_first" ? "CRD" : "DCR")}};
  r.set_output(l, 0, r.node(l, "DepthToSpace", {r.input(l, 0)}, attrs)->outputs[0]);
}

void rule_range(Reader& r, const LayerDesc& l) {
  ir::DType t = r.port_dtype(l.outputs[0]);
  std::vector<ir::Value*> ins;
  for (size_t k = 0; k < 3; ++k) {
    ir::Value* v = r.input(l, k);
    if (v->dtype != t) v = r.helper(l, "Cast", {v}, t, v->shape, {{"to", static_cast<int64_t>(t)}});
    ins.push_back(v);
  }
  r.set_output(l, 0, r.node(l, "Range", ins)->outputs[0]);
}

// TopK with k = 1 whose order does not matter reads as ReduceMax/ArgMax (what the emitter makes
// of ArgMax); any other TopK as ONNX TopK.
void rule_topk_general(Reader& r, const LayerDesc& l, int64_t axis, bool max) {
  const std::string sort = r.attr(l, "sort", "none");
  if (sort == "index") throw r.unsupported(l, "sort=index");
  ir::Value* k = r.input(l, 1);
  if (k->dtype != ir::DType::Int64)
    k = r.helper(l, "Cast", {k}, ir::DType::Int64, k->shape,
                 {{"to", static_cast<int64_t>(ir::DType::Int64)}});
  k = r.helper(l, "Reshape", {k, r.constant(ir::Tensor::vector_int64({1}), "topk_k_shape")},
               ir::DType::Int64, ir::fixed_shape({1}));
  ir::Node* n = r.node(l, "TopK", {r.input(l, 0), k},
                       {{"axis", axis},
                        {"largest", int64_t{max ? 1 : 0}},
                        {"sorted", int64_t{sort == "value" ? 1 : 0}}},
                       2);
  r.set_output(l, 0, n->outputs[0]);
  ir::Value* idx = n->outputs[1];
  idx->dtype = ir::DType::Int64;
  ir::DType want = r.port_dtype(l.outputs[1]);
  if (want != ir::DType::Int64)
    idx = r.helper(l, "Cast", {idx}, want, idx->shape, {{"to", static_cast<int64_t>(want)}});
  r.set_output(l, 1, idx);
}

void rule_topk(Reader& r, const LayerDesc& l) {
  int64_t axis = r.required_int(l, "axis");
  bool max = r.required(l, "mode") == "max";
  const ir::Tensor* k = r.const_input(l, 1);
  if (!k || k->numel() != 1 || r.const_scalar(l, 1, "k") != 1.0 ||
      (r.output_used(l, 0) && r.output_used(l, 1)))
    return rule_topk_general(r, l, axis, max);
  if (r.output_used(l, 0)) {
    ir::Node* v = r.node(l, max ? "ReduceMax" : "ReduceMin", {r.input(l, 0)},
                         {{"axes", std::vector<int64_t>{axis}}, {"keepdims", int64_t{1}}});
    r.set_output(l, 0, v->outputs[0]);
  }
  if (r.output_used(l, 1)) {
    ir::Node* n = r.g.add_node(max ? "ArgMax" : "ArgMin", {r.input(l, 0)}, 1,
                               {{"axis", axis}, {"keepdims", int64_t{1}}});
    n->source = l.name;
    n->outputs[0]->dtype = ir::DType::Int64;
    n->outputs[0]->shape = r.port_shape(l.outputs[1]);
    ir::Value* idx = n->outputs[0];
    ir::DType want = r.port_dtype(l.outputs[1]);
    if (want != ir::DType::Int64)
      idx = r.helper(l, "Cast", {idx}, want, idx->shape, {{"to", static_cast<int64_t>(want)}});
    r.set_output(l, 1, idx);
  }
}

void rule_cumsum(Reader& r, const LayerDesc& l) {
  ir::Value* axis =
      r.input_count(l) > 1 ? r.input(l, 1) : r.constant(ir::Tensor::scalar_int64(0), "cumsum_axis");
  r.set_output(l, 0,
               r.node(l, "CumSum", {r.input(l, 0), axis},
                      {{"exclusive", int64_t{r.bool_attr(l, "exclusive", false)}},
                       {"reverse", int64_t{r.bool_attr(l, "reverse", false)}}})
                   ->outputs[0]);
}

void rule_einsum(Reader& r, const LayerDesc& l) {
  std::vector<ir::Value*> ins;
  for (size_t k = 0; k < r.input_count(l); ++k) ins.push_back(r.input(l, k));
  r.set_output(l, 0,
               r.node(l, "Einsum", ins, {{"equation", r.required(l, "equation")}})->outputs[0]);
}

}  // namespace mlexport::frontend::openvino_ir

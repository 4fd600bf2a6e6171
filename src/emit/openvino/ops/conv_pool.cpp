// Convolutions and pooling: ONNX's flat `pads` become pads_begin/pads_end, groups move into the
// weights' shape, the bias becomes an Add.
#include "emit/openvino/ops/ops.h"

namespace mlexport::emit::openvino {

namespace {

struct Window {
  std::vector<int64_t> strides, dilations, pads_begin, pads_end;
  std::string auto_pad;
};

Window window_of(const ir::Node& n, size_t spatial) {
  Window w;
  w.strides = n.ints("strides", std::vector<int64_t>(spatial, 1));
  w.dilations = n.ints("dilations", std::vector<int64_t>(spatial, 1));
  auto pads = n.ints("pads", std::vector<int64_t>(2 * spatial, 0));
  if (w.strides.size() != spatial || w.dilations.size() != spatial || pads.size() != 2 * spatial)
    throw unsupported_variant(n, "with strides/dilations/pads that do not match its rank");
  w.pads_begin.assign(pads.begin(), pads.begin() + static_cast<std::ptrdiff_t>(spatial));
  w.pads_end.assign(pads.begin() + static_cast<std::ptrdiff_t>(spatial), pads.end());
  std::string ap = n.s("auto_pad", "NOTSET");
  if (ap == "NOTSET")
    w.auto_pad = "explicit";
  else if (ap == "VALID")
    w.auto_pad = "valid";
  else if (ap == "SAME_UPPER")
    w.auto_pad = "same_upper";
  else if (ap == "SAME_LOWER")
    w.auto_pad = "same_lower";
  else
    throw unsupported_variant(n, "with auto_pad " + ap);
  return w;
}

size_t spatial_rank(const ir::Node& n, Context& ctx) {
  size_t rank = ctx.rank(n.input(0));
  if (rank < 3) throw unsupported_variant(n, "on a tensor of rank " + std::to_string(rank));
  return rank - 2;
}

const Dims& out_dims(const ir::Node& n, Context& ctx, size_t k = 0) {
  return ctx.dims(n.outputs.at(k));
}

// Weights reshaped to `shape`: a new Const when they are constant, a Reshape layer otherwise.
OutRef reshaped_weights(const ir::Node& n, Context& ctx, size_t k,
                        const std::vector<int64_t>& shape, const std::string& suffix) {
  const ir::Value* w = n.input(k);
  if (w->is_constant()) {
    ir::Tensor t = *w->constant;
    t.shape = shape;
    return ctx.weight(t, w->name + suffix);
  }
  return ctx.reshape(ctx.value(w), shape, n.name + suffix);
}

// Adds the bias (input 2) as [1, C, 1, ...] to `y`.
OutRef add_bias(const ir::Node& n, Context& ctx, OutRef y) {
  if (!n.input(2)) return y;
  std::vector<int64_t> shape(ctx.dims(y).size(), 1);
  shape[1] = -1;
  const Dims& bd = ctx.dims(n.input(2));
  if (bd.size() == 1 && bd[0] >= 0) shape[1] = bd[0];
  OutRef bias = reshaped_weights(n, ctx, 2, shape, "/bias");
  return ctx.binary("Add", n.name, y, bias);
}

std::string rounding_type(const ir::Node& n, const Dims& in, const Window& w,
                          const std::vector<int64_t>& kernel, bool* torch_rule) {
  *torch_rule = false;
  if (!n.i("ceil_mode", 0)) return "floor";
  // OpenVINO's "ceil" keeps a last window that starts inside the end padding; ONNX (as
  // PyTorch) drops it. Where that changes a size, opset14's "ceil_torch" is the same rule.
  for (size_t k = 0; k < kernel.size(); ++k) {
    int64_t x = in[k + 2];
    if (x < 0) {
      *torch_rule = true;
      continue;
    }
    int64_t span = x + w.pads_begin[k] + w.pads_end[k] - w.dilations[k] * (kernel[k] - 1) - 1;
    int64_t out = (span + w.strides[k] - 1) / w.strides[k] + 1;
    if ((out - 1) * w.strides[k] >= x + w.pads_begin[k]) *torch_rule = true;
  }
  return *torch_rule ? "ceil_torch" : "ceil";
}

}  // namespace

void translate_conv(const ir::Node& n, Context& ctx) {
  size_t spatial = spatial_rank(n, ctx);
  Window w = window_of(n, spatial);
  int64_t group = n.i("group", 1);
  OutRef x = ctx.in(n, 0);
  Attrs attrs = {{"strides", ints_attr(w.strides)},
                 {"dilations", ints_attr(w.dilations)},
                 {"pads_begin", ints_attr(w.pads_begin)},
                 {"pads_end", ints_attr(w.pads_end)},
                 {"auto_pad", w.auto_pad}};
  const std::string conv_name = n.input(2) ? n.name + "/conv" : n.name;
  OutRef y;
  if (group == 1) {
    y = ctx.b.add1("Convolution", "opset1", conv_name, {x, ctx.in(n, 1)}, attrs, ctx.dtype(x),
                   out_dims(n, ctx));
  } else {
    // GroupConvolution wants [G, O/G, I/G, k...] where ONNX has [O, I/G, k...].
    const Dims& wd = ctx.dims(n.input(1));
    if (wd[0] < 0 || wd[0] % group != 0)
      throw unsupported_variant(
          n, "whose weights do not split into " + std::to_string(group) + " groups");
    std::vector<int64_t> shape = {group, wd[0] / group};
    shape.insert(shape.end(), wd.begin() + 1, wd.end());
    OutRef weights = reshaped_weights(n, ctx, 1, shape, "/grouped");
    y = ctx.b.add1("GroupConvolution", "opset1", conv_name, {x, weights}, attrs, ctx.dtype(x),
                   out_dims(n, ctx));
  }
  ctx.bind_output(n, add_bias(n, ctx, y));
}

void translate_conv_transpose(const ir::Node& n, Context& ctx) {
  size_t spatial = spatial_rank(n, ctx);
  if (n.has("output_shape")) throw unsupported_variant(n, "with output_shape");
  Window w = window_of(n, spatial);
  int64_t group = n.i("group", 1);
  auto outpad = n.ints("output_padding", std::vector<int64_t>(spatial, 0));
  OutRef x = ctx.in(n, 0);
  Attrs attrs = {{"strides", ints_attr(w.strides)},
                 {"dilations", ints_attr(w.dilations)},
                 {"pads_begin", ints_attr(w.pads_begin)},
                 {"pads_end", ints_attr(w.pads_end)},
                 {"auto_pad", w.auto_pad},
                 {"output_padding", ints_attr(outpad)}};
  const std::string conv_name = n.input(2) ? n.name + "/conv" : n.name;
  OutRef y;
  if (group == 1) {
    y = ctx.b.add1("ConvolutionBackpropData", "opset1", conv_name, {x, ctx.in(n, 1)}, attrs,
                   ctx.dtype(x), out_dims(n, ctx));
  } else {
    // [C_in, C_out/G, k...] -> [G, C_in/G, C_out/G, k...]
    const Dims& wd = ctx.dims(n.input(1));
    if (wd[0] < 0 || wd[0] % group != 0)
      throw unsupported_variant(n, "whose weights do not split into groups");
    std::vector<int64_t> shape = {group, wd[0] / group};
    shape.insert(shape.end(), wd.begin() + 1, wd.end());
    OutRef weights = reshaped_weights(n, ctx, 1, shape, "/grouped");
    y = ctx.b.add1("GroupConvolutionBackpropData", "opset1", conv_name, {x, weights}, attrs,
                   ctx.dtype(x), out_dims(n, ctx));
  }
  ctx.bind_output(n, add_bias(n, ctx, y));
}

void translate_max_pool(const ir::Node& n, Context& ctx) {
  size_t spatial = spatial_rank(n, ctx);
  if (n.i("storage_order", 0) != 0) throw unsupported_variant(n, "with storage_order=1");
  Window w = window_of(n, spatial);
  auto kernel = n.ints("kernel_shape");
  if (kernel.size() != spatial) throw unsupported_variant(n, "without a kernel_shape");
  OutRef x = ctx.in(n, 0);
  bool torch_rule = false;
  std::string rounding = rounding_type(n, ctx.dims(x), w, kernel, &torch_rule);
  const Dims& out = out_dims(n, ctx);
  auto refs = ctx.b.add("MaxPool", torch_rule ? "opset14" : "opset8", n.name, {x},
                        {{"strides", ints_attr(w.strides)},
                         {"dilations", ints_attr(w.dilations)},
                         {"pads_begin", ints_attr(w.pads_begin)},
                         {"pads_end", ints_attr(w.pads_end)},
                         {"kernel", ints_attr(kernel)},
                         {"rounding_type", rounding},
                         {"auto_pad", w.auto_pad},
                         {"index_element_type", "i64"},
                         {"axis", "0"}},
                        {{ctx.dtype(x), out, ""}, {ir::DType::Int64, out, ""}});
  ctx.bind_output(n, refs[0]);
  if (n.outputs.size() > 1) ctx.bind_output(n, refs[1], 1);
}

void translate_average_pool(const ir::Node& n, Context& ctx) {
  size_t spatial = spatial_rank(n, ctx);
  Window w = window_of(n, spatial);
  for (int64_t d : w.dilations)
    if (d != 1) throw unsupported_variant(n, "with dilations");
  auto kernel = n.ints("kernel_shape");
  if (kernel.size() != spatial) throw unsupported_variant(n, "without a kernel_shape");
  OutRef x = ctx.in(n, 0);
  bool torch_rule = false;
  std::string rounding = rounding_type(n, ctx.dims(x), w, kernel, &torch_rule);
  ctx.bind_output(n, ctx.b.add1("AvgPool", torch_rule ? "opset14" : "opset1", n.name, {x},
                                {{"strides", ints_attr(w.strides)},
                                 {"pads_begin", ints_attr(w.pads_begin)},
                                 {"pads_end", ints_attr(w.pads_end)},
                                 {"kernel", ints_attr(kernel)},
                                 {"exclude-pad", bool_attr(n.i("count_include_pad", 0) == 0)},
                                 {"rounding_type", rounding},
                                 {"auto_pad", w.auto_pad}},
                                ctx.dtype(x), out_dims(n, ctx)));
}

void translate_global_pool(const ir::Node& n, Context& ctx) {
  size_t spatial = spatial_rank(n, ctx);
  std::vector<int64_t> axes;
  for (size_t k = 0; k < spatial; ++k) axes.push_back(static_cast<int64_t>(k + 2));
  OutRef x = ctx.in(n, 0);
  Dims out = ctx.dims(x);
  for (size_t k = 2; k < out.size(); ++k) out[k] = 1;
  OutRef axes_ref = ctx.i64s(axes, n.name + "/axes");
  const char* type = n.op == "GlobalMaxPool" ? "ReduceMax" : "ReduceMean";
  ctx.bind_output(n, ctx.b.add1(type, "opset1", n.name, {x, axes_ref},
                                {{"keep_dims", bool_attr(true)}}, ctx.dtype(x), out));
}

}  // namespace mlexport::emit::openvino

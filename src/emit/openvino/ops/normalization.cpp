// Normalizations: BatchNormInference, and MVN followed by the affine part for the others.
#include "emit/openvino/ops/ops.h"

namespace mlexport::emit::openvino {

namespace {

// MVN-6 over `axes`, with eps added inside the square root as ONNX does.
OutRef mvn(const ir::Node& n, Context& ctx, OutRef x, const std::vector<int64_t>& axes,
           const std::string& name) {
  OutRef axes_ref = ctx.i64s(axes, n.name + "/axes");
  return ctx.b.add1("MVN", "opset6", name, {x, axes_ref},
                    {{"eps", float_attr(n.f("epsilon", 1e-5))},
                     {"normalize_variance", bool_attr(true)},
                     {"eps_mode", "inside_sqrt"}},
                    ctx.dtype(x), ctx.dims(x));
}

// A per-channel vector as [1, C, 1, ...] for broadcasting against NC... data.
OutRef channel_vector(const ir::Node& n, Context& ctx, size_t k, size_t rank,
                      const std::string& suffix) {
  const ir::Value* v = n.input(k);
  std::vector<int64_t> shape(rank, 1);
  shape[1] = -1;
  if (v->is_constant()) {
    ir::Tensor t = *v->constant;
    shape[1] = t.numel();
    t.shape = shape;
    return ctx.weight(t, v->name + suffix);
  }
  return ctx.reshape(ctx.value(v), shape, n.name + suffix);
}

}  // namespace

void translate_batch_norm(const ir::Node& n, Context& ctx) {
  if (n.i("training_mode", 0) != 0 || n.outputs.size() > 1)
    throw unsupported_variant(n, "in training mode");
  OutRef x = ctx.in(n, 0);
  // BatchNormInference-5 takes data, gamma, beta, mean, variance: the ONNX order.
  ctx.bind_output(
      n, ctx.b.add1("BatchNormInference", "opset5", n.name,
                    {x, ctx.in(n, 1), ctx.in(n, 2), ctx.in(n, 3), ctx.in(n, 4)},
                    {{"epsilon", float_attr(n.f("epsilon", 1e-5))}}, ctx.dtype(x), ctx.dims(x)));
}

void translate_layer_norm(const ir::Node& n, Context& ctx) {
  if (n.outputs.size() > 1) throw unsupported_variant(n, "with Mean/InvStdDev outputs");
  OutRef x = ctx.in(n, 0);
  size_t rank = ctx.rank(n.input(0));
  int64_t axis = normalize_axis(n.i("axis", -1), rank);
  std::vector<int64_t> axes;
  for (int64_t k = axis; k < static_cast<int64_t>(rank); ++k) axes.push_back(k);
  bool has_bias = n.input(2) != nullptr;
  OutRef y = mvn(n, ctx, x, axes, n.name + "/mvn");
  y = ctx.binary("Multiply", has_bias ? n.name + "/scale" : n.name, y, ctx.in(n, 1));
  if (has_bias) y = ctx.binary("Add", n.name, y, ctx.in(n, 2));
  ctx.bind_output(n, y);
}

void translate_instance_norm(const ir::Node& n, Context& ctx) {
  OutRef x = ctx.in(n, 0);
  size_t rank = ctx.rank(n.input(0));
  if (rank < 3) throw unsupported_variant(n, "on a tensor of rank " + std::to_string(rank));
  std::vector<int64_t> axes;
  for (size_t k = 2; k < rank; ++k) axes.push_back(static_cast<int64_t>(k));
  OutRef y = mvn(n, ctx, x, axes, n.name + "/mvn");
  y = ctx.binary("Multiply", n.name + "/scale", y, channel_vector(n, ctx, 1, rank, "/scale_c"));
  y = ctx.binary("Add", n.name, y, channel_vector(n, ctx, 2, rank, "/bias_c"));
  ctx.bind_output(n, y);
}

}  // namespace mlexport::emit::openvino

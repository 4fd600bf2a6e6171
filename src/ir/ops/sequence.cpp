// Recurrent layers, control flow and integer quantisation.
#include "ir/ops/dims.h"
#include "ir/ops/families.h"

namespace mlexport::ir::ops {
namespace {

// ONNX LSTM / GRU / RNN (layout 0): Y [seq, dirs, batch, hidden], Y_h (Y_c) [dirs, batch, hidden].
ShapeResult recurrent_rule(const Node& n, const ShapeEnv& env) {
  const Shape* x = env.shape(n.input(0));
  if (!x || x->size() != 3 || n.i("layout", 0) != 0) return std::nullopt;
  const Dim dirs = Dim::fixed(n.s("direction", "forward") == "bidirectional" ? 2 : 1);
  const Dim hidden = dim_of(n.i("hidden_size", -1));
  std::vector<Shape> outs = {{(*x)[0], dirs, (*x)[1], hidden}, {dirs, (*x)[1], hidden}};
  if (n.op == "LSTM") outs.push_back(outs[1]);
  outs.resize(std::min(outs.size(), n.outputs.size()));
  return outs;
}

OpDef recurrent(std::string_view name, int max_inputs, std::vector<AttrSpec> extra) {
  std::vector<AttrSpec> attrs = {{"activation_alpha", AttrKind::Floats},
                                 {"activation_beta", AttrKind::Floats},
                                 {"activations", AttrKind::Strings},
                                 {"clip", kFloat},
                                 {"direction", kString},
                                 {"hidden_size", kInt},
                                 {"layout", kInt, 14}};
  attrs.insert(attrs.end(), extra.begin(), extra.end());
  OpDef d{.name = name,
          .min_inputs = 3,
          .max_inputs = max_inputs,
          .max_outputs = name == "LSTM" ? 3 : 2,
          .attrs = std::move(attrs)};
  d.later_outputs = TypeRule::Input0;
  d.shape = recurrent_rule;
  return d;
}

}  // namespace

std::vector<OpDef> sequence_ops() {
  std::vector<OpDef> ops = {
      recurrent("LSTM", 8, {{"input_forget", kInt}}),
      recurrent("GRU", 6, {{"linear_before_reset", kInt}}),
      recurrent("RNN", 6, {}),
  };
  OpDef if_op{.name = "If",
              .max_inputs = kVariadic,
              .max_outputs = kVariadic,
              .traits = kHasSubgraphs,
              .attrs = {{"then_branch", AttrKind::Graph},
                        {"else_branch", AttrKind::Graph},
                        {"captures", kInt, kIrOnly}}};
  if_op.type = TypeRule::Unknown;
  OpDef loop{.name = "Loop",
             .min_inputs = 2,
             .max_inputs = kVariadic,
             .max_outputs = kVariadic,
             .traits = kHasSubgraphs,
             .attrs = {{"body", AttrKind::Graph}, {"captures", kInt, kIrOnly}}};
  loop.type = TypeRule::Unknown;
  ops.push_back(if_op);
  ops.push_back(loop);
  // Quantisation: output types are set by the pass that builds these nodes.
  OpDef dynamic_quantize{.name = "DynamicQuantizeLinear", .min_outputs = 3, .max_outputs = 3};
  dynamic_quantize.onnx_since = 11;
  dynamic_quantize.type = TypeRule::Unknown;
  dynamic_quantize.shape = same_shape;
  OpDef quantize{
      .name = "QuantizeLinear", .min_inputs = 2, .max_inputs = 3, .attrs = {{"axis", kInt, 13}}};
  quantize.onnx_since = 10;
  quantize.type = TypeRule::Unknown;
  quantize.shape = same_shape;
  OpDef dequantize = quantize;
  dequantize.name = "DequantizeLinear";
  OpDef matmul_int{.name = "MatMulInteger", .min_inputs = 2, .max_inputs = 4};
  matmul_int.onnx_since = 10;
  matmul_int.type = TypeRule::Unknown;
  OpDef conv_int{.name = "ConvInteger",
                 .min_inputs = 2,
                 .max_inputs = 4,
                 .attrs = {{"auto_pad", kString},
                           {"dilations", AttrKind::Ints},
                           {"group", kInt},
                           {"kernel_shape", AttrKind::Ints},
                           {"pads", AttrKind::Ints},
                           {"strides", AttrKind::Ints}}};
  conv_int.onnx_since = 10;
  conv_int.type = TypeRule::Unknown;
  for (OpDef* d : {&dynamic_quantize, &quantize, &dequantize, &matmul_int, &conv_int}) {
    d->traits |= kQuantized;
    d->no_openvino = "int8 dynamic quantisation is a precision mode of the ONNX format only";
    ops.push_back(*d);
  }
  return ops;
}

}  // namespace mlexport::ir::ops

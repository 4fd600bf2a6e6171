// Internal to the registry: each family file contributes its ops' definitions.
#pragma once

#include <vector>

#include "ir/ops/op_def.h"

namespace mlexport::ir::ops {

std::vector<OpDef> elementwise_ops();  // elementwise.cpp: math, activations, comparisons, Cast
std::vector<OpDef> tensor_ops();       // tensor.cpp: shape, indexing, scatter, creation
std::vector<OpDef> nn_ops();           // nn.cpp: convolution, pooling, normalisation, linear
std::vector<OpDef> reduce_ops();       // reduce.cpp: reductions, arg/top-k, cumulative sums
std::vector<OpDef> vision_ops();       // vision.cpp: resize, sampling, detection, spectral
std::vector<OpDef> sequence_ops();     // sequence.cpp: recurrent layers, control flow, quantisation

// Sets OpDef::shape_value of the ops that carry shapes as data (shape_values.cpp).
void attach_value_rules(std::vector<OpDef>& defs);

// Shorthands for the family tables.
using ShapeResult = std::optional<std::vector<Shape>>;
constexpr AttrKind kInt = AttrKind::Int;
constexpr AttrKind kInts = AttrKind::Ints;
constexpr AttrKind kFloat = AttrKind::Float;
constexpr AttrKind kString = AttrKind::String;

// An op with `in_min`..`in_max` inputs, one output, these attributes and shape rule, in ONNX
// since opset `since`.
OpDef make_op(std::string_view name, int in_min, int in_max, std::vector<AttrSpec> attrs,
              ShapeRule shape, int since = 1);

// Rules shared by several families.
std::optional<std::vector<Shape>> same_shape(const Node& n, const ShapeEnv& env);
std::optional<std::vector<Shape>> broadcast_inputs(const Node& n, const ShapeEnv& env);

// Constant evaluators (evaluate.cpp).
std::optional<Tensor> eval_identity(const Node& n, const std::vector<Tensor>& in);
std::optional<Tensor> eval_cast(const Node& n, const std::vector<Tensor>& in);
std::optional<Tensor> eval_arithmetic(const Node& n, const std::vector<Tensor>& in);
std::optional<Tensor> eval_unary_float(const Node& n, const std::vector<Tensor>& in);
std::optional<Tensor> eval_transpose(const Node& n, const std::vector<Tensor>& in);
std::optional<Tensor> eval_reshape(const Node& n, const std::vector<Tensor>& in);
std::optional<Tensor> eval_flatten(const Node& n, const std::vector<Tensor>& in);
std::optional<Tensor> eval_squeeze(const Node& n, const std::vector<Tensor>& in);
std::optional<Tensor> eval_concat(const Node& n, const std::vector<Tensor>& in);
std::optional<Tensor> eval_gather(const Node& n, const std::vector<Tensor>& in);

}  // namespace mlexport::ir::ops

#include "frontend/torchscript/op/helpers.h"

#include "torchmodel/tensor_convert.h"

namespace mlexport::frontend::torchscript {

void add_with_inplace(std::vector<OpRule>& rows, const char* kind, const char* inplace_kind,
                      Translator translate, const char* becomes) {
  rows.push_back({kind, translate, becomes});
  if (inplace_kind) rows.push_back({inplace_kind, translate, becomes});
}

namespace {
c10::Scalar as_scalar(const c10::IValue& v) {
  if (v.isInt()) return v.toInt();
  if (v.isDouble()) return v.toDouble();
  if (v.isBool()) return v.toBool();
  return v.toScalar();
}
}  // namespace

ir::DType promoted_dtype(TranslateContext& ctx, const JitValue* a, const JitValue* b) {
  const c10::IValue& ra = ctx.recorded(a);
  const c10::IValue& rb = ctx.recorded(b);
  c10::ScalarType type;
  if (ra.isTensor() && rb.isTensor()) {
    type = at::result_type(ra.toTensor(), rb.toTensor());
  } else if (ra.isTensor()) {
    type = at::result_type(ra.toTensor(), as_scalar(rb));
  } else if (rb.isTensor()) {
    type = at::result_type(rb.toTensor(), as_scalar(ra));
  } else {
    type = at::result_type(at::scalar_tensor(as_scalar(ra)), at::scalar_tensor(as_scalar(rb)));
  }
  return torchmodel::to_ir_dtype(type);
}

std::vector<int64_t> expand_ints(TranslateContext& ctx, const JitValue* v, size_t n) {
  std::vector<int64_t> values = ctx.const_ints(v);
  if (values.size() == 1 && n > 1) values.assign(n, values[0]);
  return values;
}

std::vector<int64_t> symmetric_pads(const std::vector<int64_t>& padding) {
  std::vector<int64_t> pads(padding);
  pads.insert(pads.end(), padding.begin(), padding.end());
  return pads;
}

ir::Value* float_vector(TranslateContext& ctx, const std::vector<double>& values, ir::DType dtype) {
  ir::Tensor t(ir::DType::Float64, {static_cast<int64_t>(values.size())});
  for (size_t k = 0; k < values.size(); ++k) t.data<double>()[k] = values[k];
  return ctx.constant(t.cast(dtype));
}

const JitValue* arg(const JitNode* node, std::string_view name) {
  const c10::FunctionSchema* schema = node->maybeSchema();
  if (!schema) return nullptr;
  const auto& args = schema->arguments();
  for (size_t k = 0; k < args.size() && k < node->inputs().size(); ++k)
    if (args[k].name() == name) return node->input(k);
  return nullptr;
}

std::vector<ir::Value*> split_last(TranslateContext& ctx, ir::Value* x, int64_t parts,
                                   int64_t size) {
  ir::Node* n =
      ctx.emit("Split", {x}, {{"axis", int64_t{-1}}, {"split", std::vector<int64_t>(parts, size)}},
               static_cast<size_t>(parts));
  for (ir::Value* v : n->outputs) v->dtype = x->dtype;
  return n->outputs;
}

}  // namespace mlexport::frontend::torchscript

// prim:: list/tuple plumbing, sizes and scalar conversions.
#include "frontend/torchscript/op/helpers.h"
#include "mlexport/diagnostics.h"

namespace mlexport::frontend::torchscript {
namespace {

bool is_sequence(const c10::IValue& v) {
  return v.isTuple() || v.isList();
}

// Appends the tensors of a (possibly nested) tuple/list value, depth first.
void flatten_ivalue(const c10::IValue& v, std::vector<c10::IValue>& out) {
  if (v.isTuple()) {
    for (const c10::IValue& e : v.toTupleRef().elements()) flatten_ivalue(e, out);
  } else if (v.isList()) {
    for (const c10::IValue& e : v.toListRef()) flatten_ivalue(e, out);
  } else {
    out.push_back(v);
  }
}

// Whether the only consumer of `v` is the graph's return.
bool only_returned(const JitValue* v) {
  for (const torch::jit::Use& use : v->uses())
    if (use.user->kind() != c10::prim::Return) return false;
  return true;
}

// prim::ListConstruct(...) -> list ; prim::TupleConstruct(...) -> tuple
// None items (Tensor?[] lists such as aten::index's) become nullptr; their consumers read the
// list's producer. Nested tuples/lists (a module returning (y, (a, b)) or a tuple of chunks) are
// flattened when the graph returns them, as the outputs are flattened anyway.
void translate_construct(TranslateContext& ctx, const JitNode* node) {
  bool nested = false;
  for (const JitValue* in : node->inputs()) nested = nested || is_sequence(ctx.recorded(in));
  std::vector<ir::Value*> items;
  if (!nested) {
    for (const JitValue* in : node->inputs())
      items.push_back(ctx.is_none(in) ? nullptr : ctx.tensor(in));
    return ctx.bind_list(node->output(), std::move(items));
  }
  if (node->kind() != c10::prim::TupleConstruct || !only_returned(node->output()))
    throw Error(ExitCode::kUnsupportedOps,
                std::string(node->kind().toQualString()) +
                    " of nested lists/tuples that is used inside the graph");
  std::vector<c10::IValue> flat_recorded;
  for (const JitValue* in : node->inputs()) {
    if (is_sequence(ctx.recorded(in))) {
      for (ir::Value* item : ctx.tensor_list(in)) items.push_back(item);
    } else {
      items.push_back(ctx.tensor(in));
    }
    flatten_ivalue(ctx.recorded(in), flat_recorded);
  }
  if (items.size() != flat_recorded.size())
    throw Error(ExitCode::kUnsupportedOps, "prim::TupleConstruct of lists nested more than once");
  // The graph's outputs are read from this tuple: record it flat, like its items.
  ctx.record(node->output(), c10::ivalue::Tuple::create(std::move(flat_recorded)), false);
  ctx.bind_list(node->output(), std::move(items));
}

// prim::ListUnpack(list) -> (a, b, ...) ; prim::TupleUnpack
void translate_unpack(TranslateContext& ctx, const JitNode* node) {
  std::vector<ir::Value*> items = ctx.tensor_list(node->input(0));
  for (size_t k = 0; k < node->outputs().size(); ++k) ctx.bind(node->output(k), items.at(k));
}

// aten::__getitem__.t(t[](a) list, int idx) -> t ; prim::TupleIndex(Any tup, int i) -> Any
void translate_getitem(TranslateContext& ctx, const JitNode* node) {
  std::vector<ir::Value*> items = ctx.tensor_list(node->input(0));
  int64_t index = ctx.const_int(node->input(1));
  if (index < 0) index += static_cast<int64_t>(items.size());
  ctx.bind(node->output(), items.at(static_cast<size_t>(index)));
}

// aten::size(Tensor self, int dim) -> int ; aten::size(Tensor self) -> int[]
// Kept as Shape/Gather so a dynamic axis stays dynamic in the exported graph, and so does a size
// the data decides (the boxes NMS keeps) or one read inside a computed loop's body. Otherwise
// every size is what was recorded: folding it lets shape arithmetic, and masks built from it
// (Swin's shifted-window mask), become constants at export time.
void translate_size(TranslateContext& ctx, const JitNode* node) {
  if (!ctx.dynamic_batch && ctx.loop_depth == 0 && !ctx.is_data_dependent(node->input(0)))
    return ctx.bind_static(node->output());
  ir::Value* shape = ctx.op("Shape", {ctx.tensor(node->input(0))});
  shape->dtype = ir::DType::Int64;
  shape->shape = ir::fixed_shape({ctx.rank(node->input(0))});
  if (node->inputs().size() == 1) return ctx.bind(node->output(), shape);
  int64_t dim = ctx.dim_arg(node->input(1), ctx.rank(node->input(0)));
  ir::Value* index = ctx.constant(ir::Tensor::scalar_int64(dim), "dim");
  ctx.bind(node->output(), ctx.op("Gather", {shape, index}, {{"axis", int64_t{0}}}));
}

// prim::NumToTensor(Scalar a) -> Tensor ; aten::Int/Float/ScalarImplicit(...) -> Scalar
void translate_scalar_cast(TranslateContext& ctx, const JitNode* node) {
  ctx.bind(node->output(), ctx.tensor_as(node->input(0), ctx.dtype(node->output())));
}

// Ops that return their input unchanged at inference: contiguous, detach, clone, dropout...
void translate_passthrough(TranslateContext& ctx, const JitNode* node) {
  ctx.bind(node->output(), ctx.tensor(node->input(0)));
}

// Values fixed by the graph's structure (rank, dtype, list length): folded to constants.
void translate_structural(TranslateContext& ctx, const JitNode* node) {
  for (const JitValue* out : node->outputs()) ctx.bind_static(out);
}

// aten::to(Tensor, dtype|Device|Tensor, ...) -> Tensor ; aten::type_as(Tensor, Tensor other)
void translate_to(TranslateContext& ctx, const JitNode* node) {
  ctx.bind(node->output(), ctx.tensor_as(node->input(0), ctx.dtype(node->output())));
}

}  // namespace

std::vector<OpRule> plumbing_rules() {
  return {
      {"prim::ListConstruct", translate_construct, "(list of values)"},
      {"prim::TupleConstruct", translate_construct, "(tuple of values)"},
      {"prim::ListUnpack", translate_unpack, "(list items)"},
      {"prim::TupleUnpack", translate_unpack, "(tuple items)"},
      {"prim::TupleIndex", translate_getitem, "(tuple item)"},
      {"aten::__getitem__", translate_getitem, "(list item)"},
      {"aten::size", translate_size, "Shape + Gather"},
      {"prim::NumToTensor", translate_scalar_cast, "(0-d tensor) / Cast"},
      {"aten::Int", translate_scalar_cast, "Cast"},
      {"aten::Float", translate_scalar_cast, "Cast"},
      {"aten::Bool", translate_scalar_cast, "Cast"},
      {"aten::ScalarImplicit", translate_scalar_cast, "Cast"},
      {"aten::IntImplicit", translate_scalar_cast, "Cast"},
      {"aten::FloatImplicit", translate_scalar_cast, "Cast"},
      {"aten::contiguous", translate_passthrough, "(removed)"},
      {"aten::detach", translate_passthrough, "(removed)"},
      {"aten::clone", translate_passthrough, "(removed)"},
      {"aten::lift_fresh", translate_passthrough, "(removed)"},
      {"aten::dropout", translate_passthrough, "(removed at inference)"},
      {"aten::dropout_", translate_passthrough, "(removed at inference)"},
      {"aten::feature_dropout", translate_passthrough, "(removed at inference)"},
      {"aten::alpha_dropout", translate_passthrough, "(removed at inference)"},
      {"aten::feature_alpha_dropout", translate_passthrough, "(removed at inference)"},
      {"aten::dim", translate_structural, "(constant)"},
      {"aten::len", translate_structural, "(constant)"},
      {"prim::dtype", translate_structural, "(constant)"},
      {"prim::device", translate_structural, "(constant)"},
      {"aten::is_floating_point", translate_structural, "(constant)"},
      {"aten::to", translate_to, "Cast (or nothing)"},
      {"aten::type_as", translate_to, "Cast (or nothing)"},
  };
}

}  // namespace mlexport::frontend::torchscript

// Sorting and selection: topk, sort, argsort, kthvalue, masked_select, diag, tensor_split,
// repeat_interleave, meshgrid.
#include <cstdlib>

#include "frontend/torchscript/op/helpers.h"
#include "mlexport/diagnostics.h"
#include "torchmodel/tensor_convert.h"

namespace mlexport::frontend::torchscript {
namespace {

using ir::DType;

void describe_like(ir::Value* v, const at::Tensor& t) {
  v->dtype = torchmodel::to_ir_dtype(t.scalar_type());
  v->shape = ir::fixed_shape(t.sizes().vec());
}

// The size of x along `axis` as a 1-element int64 vector, read at run time (the axis may be the
// dynamic batch).
ir::Value* size_along(TranslateContext& ctx, ir::Value* x, int64_t axis) {
  ir::Value* shape = typed(ctx.op("Shape", {x}), DType::Int64);
  return typed(ctx.op("Gather", {shape, ctx.int64_vector({axis})}, {{"axis", int64_t{0}}}),
               DType::Int64);
}

// ONNX TopK: (values, int64 indices); equal values keep their input order, as a stable sort.
ir::Node* top_k(TranslateContext& ctx, ir::Value* x, ir::Value* k, int64_t axis, bool largest) {
  ir::Node* n = ctx.emit(
      "TopK", {x, k}, {{"axis", axis}, {"largest", int64_t{largest}}, {"sorted", int64_t{1}}}, 2);
  n->outputs[0]->dtype = x->dtype;
  n->outputs[1]->dtype = DType::Int64;
  return n;
}

// aten::topk(Tensor self, int k, int dim=-1, bool largest=True, bool sorted=True)
//   -> (Tensor values, Tensor indices)
// sorted=False leaves the order to the implementation; sorted output is one valid answer.
void translate_topk(TranslateContext& ctx, const JitNode* node) {
  const int64_t axis = ctx.dim_arg(node->input(2), ctx.rank(node->input(0)));
  ir::Value* k = ctx.is_static(node->input(1))
                     ? ctx.int64_vector({ctx.const_int(node->input(1))})
                     : typed(ctx.op("Reshape", {ctx.tensor_as(node->input(1), DType::Int64),
                                                ctx.int64_vector({1})}),
                             DType::Int64);
  ir::Node* n = top_k(ctx, ctx.tensor(node->input(0)), k, axis, ctx.const_bool(node->input(3)));
  ctx.bind(node->output(0), n->outputs[0]);
  ctx.bind(node->output(1), n->outputs[1]);
}

// aten::sort(Tensor self, int dim=-1, bool descending=False) -> (Tensor values, Tensor indices)
// aten::sort.stable(Tensor self, *, bool? stable, int dim=-1, bool descending=False)
// aten::argsort(Tensor self, int dim=-1, bool descending=False) -> Tensor
// A TopK over the whole axis (its ties keep input order, so stable=True holds too).
void translate_sort(TranslateContext& ctx, const JitNode* node) {
  const JitValue* dim = arg(node, "dim");
  const JitValue* descending = arg(node, "descending");
  const int64_t rank = ctx.rank(node->input(0));
  const int64_t axis = dim ? ctx.dim_arg(dim, rank) : rank - 1;
  const bool largest = descending ? ctx.const_bool(descending) : false;
  ir::Value* x = ctx.tensor(node->input(0));
  if (rank == 0) x = ctx.op("Reshape", {x, ctx.int64_vector({1})});
  ir::Node* n =
      top_k(ctx, x, size_along(ctx, x, rank == 0 ? 0 : axis), rank == 0 ? 0 : axis, largest);
  if (node->kind().toQualString() == std::string("aten::argsort"))
    return ctx.bind(node->output(), n->outputs[1]);
  ctx.bind(node->output(0), n->outputs[0]);
  ctx.bind(node->output(1), n->outputs[1]);
}

// aten::kthvalue(Tensor self, int k, int dim=-1, bool keepdim=False)
//   -> (Tensor values, Tensor indices): the k-th smallest, the last of an ascending TopK(k).
void translate_kthvalue(TranslateContext& ctx, const JitNode* node) {
  const int64_t k = ctx.const_int(node->input(1));
  const int64_t axis = ctx.dim_arg(node->input(2), ctx.rank(node->input(0)));
  const bool keepdim = ctx.const_bool(node->input(3));
  ir::Node* n = top_k(ctx, ctx.tensor(node->input(0)), ctx.int64_vector({k}), axis, false);
  ir::Value* place =
      keepdim ? ctx.int64_vector({k - 1}) : ctx.constant(ir::Tensor::scalar_int64(k - 1));
  for (size_t j = 0; j < 2; ++j)
    ctx.bind(node->output(j), ctx.op("Gather", {n->outputs[j], place}, {{"axis", axis}}));
}

// aten::masked_select(Tensor self, Tensor mask) -> Tensor: the elements where the (broadcast)
// mask is true, in row-major order. The output length depends on the data: its dim is unknown.
void translate_masked_select(TranslateContext& ctx, const JitNode* node) {
  ir::Value* x = ctx.tensor(node->input(0));
  ir::Value* mask = ctx.tensor_as(node->input(1), DType::Bool);
  // Where(mask, x, x) is x broadcast against the mask.
  ir::Value* wide = typed(ctx.op("Where", {mask, x, x}), x->dtype);
  ir::Value* wide_mask =
      typed(ctx.op("Expand", {mask, typed(ctx.op("Shape", {wide}), DType::Int64)}), DType::Bool);
  ir::Value* flat = typed(ctx.op("Reshape", {wide, ctx.int64_vector({-1})}), x->dtype);
  ir::Value* flat_mask = typed(ctx.op("Reshape", {wide_mask, ctx.int64_vector({-1})}), DType::Bool);
  ir::Value* positions = typed(ctx.op("NonZero", {flat_mask}), DType::Int64);  // [1, K]
  ir::Value* row =
      typed(ctx.op("Squeeze", {positions}, {{"axes", std::vector<int64_t>{0}}}), DType::Int64);
  ir::Value* out = ctx.op("Gather", {flat, row}, {{"axis", int64_t{0}}});
  ctx.bind(node->output(), out);
  out->shape = ir::Shape{ir::Dim{}};
}

// aten::diag(Tensor self, int diagonal=0): a vector becomes a square matrix with it on the
// diagonal; a matrix gives its diagonal. Shapes are static (sizes fix the diagonal's place).
void translate_diag(TranslateContext& ctx, const JitNode* node) {
  const int64_t d = node->inputs().size() > 1 ? ctx.const_int(node->input(1)) : 0;
  const std::vector<int64_t> sizes = ctx.sizes(node->input(0));
  const DType dt = ctx.dtype(node->output());
  ir::Value* x = ctx.tensor_as(node->input(0), dt);
  if (sizes.size() == 1) {
    const int64_t n = sizes[0] + std::abs(d);
    // Row r of the result holds v_padded[r] in column r + d.
    std::vector<int64_t> pads = d >= 0 ? std::vector<int64_t>{0, d} : std::vector<int64_t>{-d, 0};
    ir::Value* column = x;
    if (d != 0)
      column = typed(
          ctx.op("Pad", {x}, {{"mode", std::string("constant")}, {"pads", pads}, {"value", 0.0}}),
          dt);
    column = typed(ctx.op("Unsqueeze", {column}, {{"axes", std::vector<int64_t>{1}}}), dt);
    ir::Tensor on_diagonal(DType::Bool, {n, n});
    for (int64_t r = 0; r < n; ++r)
      for (int64_t c = 0; c < n; ++c) on_diagonal.data<bool>()[r * n + c] = c - r == d;
    return bind_output(
        ctx, node,
        ctx.op("Where", {ctx.constant(on_diagonal, "diagonal"), column, ctx.scalar(0.0, dt)}));
  }
  const int64_t rows = sizes[0], cols = sizes[1];
  std::vector<int64_t> flat_index;
  for (int64_t i = 0; i < rows; ++i)
    if (i + d >= 0 && i + d < cols) flat_index.push_back(i * cols + i + d);
  ir::Value* flat = typed(ctx.op("Reshape", {x, ctx.int64_vector({-1})}), dt);
  bind_output(ctx, node,
              ctx.op("Gather", {flat, ctx.int64_vector(flat_index)}, {{"axis", int64_t{0}}}));
}

// aten::tensor_split.sections(Tensor self, int sections, int dim=0) -> Tensor[]
// aten::tensor_split.indices(Tensor self, int[] indices, int dim=0) -> Tensor[]
// aten::tensor_split.tensor_indices_or_sections(Tensor self, Tensor tensor_indices_or_sections,
//                                               int dim=0) -> Tensor[]
// One Slice per piece, with the bounds PyTorch chose (pieces may be empty).
void translate_tensor_split(TranslateContext& ctx, const JitNode* node) {
  const int64_t axis = ctx.dim_arg(node->input(2), ctx.rank(node->input(0)));
  ir::Value* x = ctx.tensor(node->input(0));
  const std::vector<at::Tensor> pieces = ctx.recorded(node->output()).toTensorVector();
  std::vector<ir::Value*> items;
  int64_t start = 0;
  for (const at::Tensor& p : pieces) {
    const int64_t end = start + p.size(axis);
    ir::Value* item = ctx.op(
        "Slice", {x, ctx.int64_vector({start}), ctx.int64_vector({end}), ctx.int64_vector({axis})});
    describe_like(item, p);
    items.push_back(item);
    start = end;
  }
  ctx.bind_list(node->output(), std::move(items));
}

// aten::repeat_interleave.self_int(Tensor self, SymInt repeats, int? dim=None, *,
//                                  int? output_size=None)
// aten::repeat_interleave.self_Tensor(Tensor self, Tensor repeats, int? dim=None, *,
//                                     int? output_size=None)
// An int count: Unsqueeze + Tile + Reshape. A constant per-element count tensor: a Gather with
// the index list computed at export time. A count tensor computed from the input makes the
// output size data-dependent: refused.
void translate_repeat_interleave(TranslateContext& ctx, const JitNode* node) {
  if (node->inputs().size() < 3)
    throw Error(ExitCode::kUnsupportedOps,
                "aten::repeat_interleave(repeats) of a computed tensor: its output size depends on "
                "the data");
  const JitValue* repeats = node->input(1);
  ir::Value* x = ctx.tensor(node->input(0));
  std::vector<int64_t> sizes = ctx.sizes(node->input(0));
  int64_t axis = 0;
  if (ctx.is_none(node->input(2))) {
    x = typed(ctx.op("Reshape", {x, ctx.int64_vector({-1})}), x->dtype);
    int64_t numel = 1;
    for (int64_t s : sizes) numel *= s;
    sizes = {numel};
  } else {
    axis = ctx.dim_arg(node->input(2), static_cast<int64_t>(sizes.size()));
  }
  const c10::IValue& r = ctx.recorded(repeats);
  if (!ctx.is_static(repeats))
    throw Error(ExitCode::kUnsupportedOps,
                "aten::repeat_interleave with repeats computed from the input: the output size "
                "depends on the data");
  if (r.isTensor() && r.toTensor().numel() != 1) {
    at::Tensor order = at::repeat_interleave(
        at::arange(sizes[static_cast<size_t>(axis)], at::kLong), r.toTensor().to(at::kLong));
    return bind_output(ctx, node,
                       ctx.op("Gather", {x, ctx.constant(torchmodel::to_ir_tensor(order), "index")},
                              {{"axis", axis}}));
  }
  const int64_t count = r.isTensor() ? r.toTensor().item<int64_t>() : r.toInt();
  const int64_t rank = static_cast<int64_t>(sizes.size());
  ir::Value* u =
      typed(ctx.op("Unsqueeze", {x}, {{"axes", std::vector<int64_t>{axis + 1}}}), x->dtype);
  std::vector<int64_t> reps(static_cast<size_t>(rank + 1), 1);
  reps[static_cast<size_t>(axis + 1)] = count;
  ir::Value* tiled = typed(ctx.op("Tile", {u, ctx.int64_vector(reps)}), x->dtype);
  // Dims before the axis are copied (0), the axis merges with the repeats (-1), later dims are
  // the recorded sizes (the batch, dim 0, is never after the axis).
  std::vector<int64_t> shape(static_cast<size_t>(axis), 0);
  shape.push_back(-1);
  for (int64_t k = axis + 1; k < rank; ++k) shape.push_back(sizes[static_cast<size_t>(k)]);
  bind_output(ctx, node, ctx.op("Reshape", {tiled, ctx.int64_vector(shape)}));
}

// aten::meshgrid(Tensor[] tensors) ; aten::meshgrid.indexing(Tensor[] tensors, *, str indexing)
// Item k is tensor k reshaped onto its own axis and expanded to the grid; 'xy' indexing swaps
// the first two axes of the grid.
void translate_meshgrid(TranslateContext& ctx, const JitNode* node) {
  std::vector<ir::Value*> inputs = ctx.tensor_list(node->input(0));
  const std::vector<at::Tensor> recorded = ctx.recorded(node->output()).toTensorVector();
  const bool xy = node->inputs().size() > 1 && ctx.const_string(node->input(1)) == "xy";
  const size_t m = inputs.size();
  auto grid_axis = [&](size_t k) -> size_t {
    if (xy && m >= 2 && k < 2) return 1 - k;
    return k;
  };
  // The grid's sizes are the inputs' lengths, computed (an anchor grid follows the feature map).
  std::vector<ir::Value*> flat(m), grid(m);
  for (size_t k = 0; k < m; ++k) {
    flat[k] = typed(ctx.op("Reshape", {inputs[k], ctx.int64_vector({-1})}), inputs[k]->dtype);
    grid[grid_axis(k)] = typed(ctx.op("Shape", {flat[k]}), DType::Int64);
  }
  ir::Value* grid_shape = typed(ctx.op("Concat", grid, {{"axis", int64_t{0}}}), DType::Int64);
  std::vector<ir::Value*> items;
  for (size_t k = 0; k < m; ++k) {
    std::vector<int64_t> own(m, 1);
    own[grid_axis(k)] = -1;
    ir::Value* line = typed(ctx.op("Reshape", {flat[k], ctx.int64_vector(own)}), flat[k]->dtype);
    ir::Value* item = ctx.op("Expand", {line, grid_shape});
    describe_like(item, recorded[k]);
    items.push_back(item);
  }
  ctx.bind_list(node->output(), std::move(items));
}

}  // namespace

std::vector<OpRule> selection_rules() {
  std::vector<OpRule> rows;
  rows.push_back({"aten::topk", translate_topk, "TopK"});
  rows.push_back({"aten::sort", translate_sort, "TopK over the whole axis"});
  rows.push_back({"aten::argsort", translate_sort, "TopK over the whole axis (indices)"});
  rows.push_back({"aten::kthvalue", translate_kthvalue, "TopK(smallest) + Gather"});
  rows.push_back({"aten::masked_select", translate_masked_select,
                  "Where/Expand + Reshape + NonZero + Gather (output length unknown); OpenVINO "
                  "NonZero-3"});
  rows.push_back(
      {"aten::diag", translate_diag, "Pad + Where (vector) / Reshape + Gather (matrix)"});
  rows.push_back({"aten::tensor_split", translate_tensor_split, "Slice per piece"});
  rows.push_back({"aten::repeat_interleave", translate_repeat_interleave,
                  "Unsqueeze + Tile + Reshape / Gather (constant repeats)"});
  rows.push_back({"aten::meshgrid", translate_meshgrid, "Reshape + Expand per item"});
  return rows;
}

}  // namespace mlexport::frontend::torchscript

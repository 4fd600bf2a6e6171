// Shape manipulation: views, permutations, joins and splits, slicing and indexing.
//
// Sizes the model computes from its input stay computed in the graph (Shape / Slice / Concat),
// so a dynamic batch axis stays dynamic; recorded sizes are only used along the axis an op
// splits or rolls, which the op itself fixes.
#include <algorithm>
#include <limits>
#include <optional>

#include "frontend/torchscript/op/helpers.h"
#include "mlexport/diagnostics.h"
#include "torchmodel/tensor_convert.h"

namespace mlexport::frontend::torchscript {
namespace {

using ir::DType;

constexpr int64_t kToEnd = std::numeric_limits<int64_t>::max();
constexpr int64_t kBeforeFirst = std::numeric_limits<int64_t>::min();

// Intermediate values carry their dtype (and shape when known): later casts compare dtypes and
// the emitter annotates types. Values bound to TorchScript outputs get both from the record.
ir::Value* typed(ir::Value* v, DType dtype, std::optional<ir::Shape> shape = std::nullopt) {
  v->dtype = dtype;
  if (shape) v->shape = std::move(shape);
  return v;
}

void describe_like(ir::Value* v, const at::Tensor& t) {
  v->dtype = torchmodel::to_ir_dtype(t.scalar_type());
  v->shape = ir::fixed_shape(t.sizes().vec());
}

std::vector<int64_t> iota(int64_t from, int64_t to) {
  std::vector<int64_t> out;
  for (int64_t k = from; k < to; ++k) out.push_back(k);
  return out;
}

ir::Value* shape_of(TranslateContext& ctx, ir::Value* x, int64_t rank) {
  return typed(ctx.op("Shape", {x}), DType::Int64, ir::fixed_shape({rank}));
}

ir::Value* unsqueeze(TranslateContext& ctx, ir::Value* x, std::vector<int64_t> axes) {
  return typed(ctx.op("Unsqueeze", {x}, {{"axes", std::move(axes)}}), x->dtype);
}

// A static int argument, or a dynamic 0-d int, as a 1-element int64 vector.
ir::Value* int_as_vector(TranslateContext& ctx, const JitValue* v) {
  if (ctx.is_static(v)) return ctx.int64_vector({ctx.const_int(v)});
  ir::Value* s = ctx.tensor_as(v, DType::Int64);
  return typed(ctx.op("Unsqueeze", {s}, {{"axes", std::vector<int64_t>{0}}}), DType::Int64,
               ir::fixed_shape({1}));
}

// Concatenates 1-D int64 pieces, merging neighbouring constants into one constant.
ir::Value* concat_ints(TranslateContext& ctx, const std::vector<ir::Value*>& pieces) {
  std::vector<ir::Value*> merged;
  std::vector<int64_t> pending;
  bool has_pending = false;
  auto flush = [&] {
    if (has_pending) merged.push_back(ctx.int64_vector(pending));
    pending.clear();
    has_pending = false;
  };
  for (ir::Value* p : pieces) {
    if (p->is_constant()) {
      auto values = p->constant->to_int_vector();
      pending.insert(pending.end(), values.begin(), values.end());
      has_pending = true;
      continue;
    }
    flush();
    merged.push_back(p);
  }
  flush();
  if (merged.size() == 1) return merged[0];
  return typed(ctx.op("Concat", merged, {{"axis", int64_t{0}}}), DType::Int64);
}

// x[start:end:step] along one axis; start and end are 1-element int64 vectors.
ir::Value* slice_axis(TranslateContext& ctx, ir::Value* x, int64_t axis, ir::Value* start,
                      ir::Value* end, int64_t step) {
  return typed(ctx.op("Slice", {x, start, end, ctx.int64_vector({axis}), ctx.int64_vector({step})}),
               x->dtype);
}

ir::Value* slice_static(TranslateContext& ctx, ir::Value* x, int64_t axis, int64_t start,
                        int64_t end, int64_t step = 1) {
  return slice_axis(ctx, x, axis, ctx.int64_vector({start}), ctx.int64_vector({end}), step);
}

// Dims [from, to) of x's shape as a 1-D int64 value (empty range: nullptr).
ir::Value* shape_range(TranslateContext& ctx, ir::Value* x, int64_t rank, int64_t from,
                       int64_t to) {
  if (from >= to) return nullptr;
  return typed(slice_static(ctx, shape_of(ctx, x, rank), 0, from, to), DType::Int64,
               ir::fixed_shape({to - from}));
}

// The items of an int list: recorded items, or elements of a dynamic 1-D shape tensor.
std::vector<ir::Value*> list_items(TranslateContext& ctx, const JitValue* v) {
  try {
    return ctx.tensor_list(v);
  } catch (const PoisonedValue&) {
    // Not a list of items: a whole shape (aten::size(x)) bound as one tensor, or poisoned,
    // in which case ctx.tensor throws again.
  }
  ir::Value* t = ctx.tensor(v);
  const size_t n = ctx.recorded(v).toListRef().size();
  std::vector<ir::Value*> items;
  for (size_t k = 0; k < n; ++k) {
    ir::Value* index = ctx.constant(ir::Tensor::scalar_int64(static_cast<int64_t>(k)), "index");
    items.push_back(
        typed(ctx.op("Gather", {t, index}, {{"axis", int64_t{0}}}), DType::Int64, ir::Shape{}));
  }
  return items;
}

// Splits x along `axis` into pieces of the given sizes.
std::vector<ir::Value*> split_into(TranslateContext& ctx, ir::Value* x, int64_t axis,
                                   const std::vector<int64_t>& sizes) {
  if (sizes.size() == 1) return {x};
  ir::Node* n = ctx.emit("Split", {x}, {{"axis", axis}, {"split", sizes}}, sizes.size());
  for (ir::Value* out : n->outputs) out->dtype = x->dtype;
  return n->outputs;
}

// aten::view(Tensor(a) self, SymInt[] size) -> Tensor(a)
// aten::reshape(Tensor(a) self, SymInt[] shape) -> Tensor(a)
void translate_view(TranslateContext& ctx, const JitNode* node) {
  if (ctx.recorded(node->input(1)).isInt())
    throw Error(ExitCode::kUnsupportedOps,
                "aten::view(Tensor, ScalarType) reinterprets bits; ONNX has no such op");
  ir::Value* x = ctx.tensor(node->input(0));
  ir::Value* shape = ctx.int_list_tensor(node->input(1));
  std::map<std::string, ir::Attribute> attrs;
  // A literal 0 is an empty dim in torch but "copy the input dim" in ONNX unless allowzero.
  if (shape->is_constant()) {
    auto dims = shape->constant->to_int_vector();
    if (std::find(dims.begin(), dims.end(), 0) != dims.end()) attrs["allowzero"] = int64_t{1};
  }
  ctx.bind(node->output(), ctx.op("Reshape", {x, shape}, std::move(attrs)));
}

// aten::view_as(Tensor(a) self, Tensor other) ; aten::reshape_as(Tensor(a) self, Tensor other)
void translate_view_as(TranslateContext& ctx, const JitNode* node) {
  ir::Value* x = ctx.tensor(node->input(0));
  ir::Value* shape = shape_of(ctx, ctx.tensor(node->input(1)), ctx.rank(node->input(1)));
  ctx.bind(node->output(), ctx.op("Reshape", {x, shape}));
}

// aten::flatten.using_ints(Tensor(a) self, int start_dim=0, int end_dim=-1) -> Tensor(a)
void translate_flatten(TranslateContext& ctx, const JitNode* node) {
  ir::Value* x = ctx.tensor(node->input(0));
  const int64_t rank = ctx.rank(node->input(0));
  if (rank == 0) return ctx.bind(node->output(), ctx.op("Reshape", {x, ctx.int64_vector({1})}));
  const int64_t start = ctx.dim_arg(node->input(1), rank);
  const int64_t end = ctx.dim_arg(node->input(2), rank);
  if (start == end) return ctx.bind(node->output(), x);
  if (start == 1 && end == rank - 1)
    return ctx.bind(node->output(), ctx.op("Flatten", {x}, {{"axis", int64_t{1}}}));
  // Leading dims are copied (Reshape's 0), trailing dims read from the input's shape.
  std::vector<int64_t> head(static_cast<size_t>(start), 0);
  head.push_back(-1);
  std::vector<ir::Value*> pieces = {ctx.int64_vector(head)};
  if (ir::Value* tail = shape_range(ctx, x, rank, end + 1, rank)) pieces.push_back(tail);
  ctx.bind(node->output(), ctx.op("Reshape", {x, concat_ints(ctx, pieces)}));
}

// aten::unflatten.int(Tensor(a) self, int dim, int[] sizes) -> Tensor(a)
void translate_unflatten(TranslateContext& ctx, const JitNode* node) {
  ir::Value* x = ctx.tensor(node->input(0));
  const int64_t rank = ctx.rank(node->input(0));
  const int64_t dim = ctx.dim_arg(node->input(1), rank);
  std::vector<ir::Value*> pieces;
  if (ir::Value* head = shape_range(ctx, x, rank, 0, dim)) pieces.push_back(head);
  pieces.push_back(ctx.int_list_tensor(node->input(2)));
  if (ir::Value* tail = shape_range(ctx, x, rank, dim + 1, rank)) pieces.push_back(tail);
  ctx.bind(node->output(), ctx.op("Reshape", {x, concat_ints(ctx, pieces)}));
}

void bind_transpose(TranslateContext& ctx, const JitNode* node, std::vector<int64_t> perm) {
  ir::Value* x = ctx.tensor(node->input(0));
  if (perm == iota(0, static_cast<int64_t>(perm.size()))) return ctx.bind(node->output(), x);
  ctx.bind(node->output(), ctx.op("Transpose", {x}, {{"perm", std::move(perm)}}));
}

// aten::permute(Tensor(a) self, int[] dims) -> Tensor(a)
void translate_permute(TranslateContext& ctx, const JitNode* node) {
  const int64_t rank = ctx.rank(node->input(0));
  std::vector<int64_t> perm = ctx.const_ints(node->input(1));
  for (int64_t& d : perm) d = d < 0 ? d + rank : d;
  bind_transpose(ctx, node, std::move(perm));
}

// aten::transpose.int(Tensor(a) self, int dim0, int dim1) ; aten::swapaxes(self, axis0, axis1)
void translate_transpose(TranslateContext& ctx, const JitNode* node) {
  const int64_t rank = ctx.rank(node->input(0));
  std::vector<int64_t> perm = iota(0, rank);
  if (rank > 0)
    std::swap(perm[ctx.dim_arg(node->input(1), rank)], perm[ctx.dim_arg(node->input(2), rank)]);
  bind_transpose(ctx, node, std::move(perm));
}

// aten::t(Tensor(a) self) -> Tensor(a)
void translate_t(TranslateContext& ctx, const JitNode* node) {
  const int64_t rank = ctx.rank(node->input(0));
  bind_transpose(ctx, node, rank < 2 ? iota(0, rank) : std::vector<int64_t>{1, 0});
}

// aten::numpy_T(Tensor(a) self) -> Tensor(a): every dim reversed (x.T)
void translate_numpy_t(TranslateContext& ctx, const JitNode* node) {
  std::vector<int64_t> perm = iota(0, ctx.rank(node->input(0)));
  std::reverse(perm.begin(), perm.end());
  bind_transpose(ctx, node, std::move(perm));
}

// aten::mT(Tensor(a) self) -> Tensor(a): the last two dims swapped (also matrix_H for reals)
void translate_matrix_t(TranslateContext& ctx, const JitNode* node) {
  const int64_t rank = ctx.rank(node->input(0));
  std::vector<int64_t> perm = iota(0, rank);
  if (rank >= 2) std::swap(perm[rank - 1], perm[rank - 2]);
  bind_transpose(ctx, node, std::move(perm));
}

// aten::movedim.int(Tensor(a) self, int source, int destination) ; movedim.intlist(...)
void translate_movedim(TranslateContext& ctx, const JitNode* node) {
  const int64_t rank = ctx.rank(node->input(0));
  std::vector<int64_t> src = ctx.const_ints(node->input(1));
  std::vector<int64_t> dst = ctx.const_ints(node->input(2));
  for (int64_t& d : src) d = d < 0 ? d + rank : d;
  for (int64_t& d : dst) d = d < 0 ? d + rank : d;
  std::vector<int64_t> perm(static_cast<size_t>(rank), -1);
  for (size_t k = 0; k < src.size(); ++k) perm[dst[k]] = src[k];
  std::vector<int64_t> rest;
  for (int64_t d = 0; d < rank; ++d)
    if (std::find(src.begin(), src.end(), d) == src.end()) rest.push_back(d);
  auto next = rest.begin();
  for (int64_t& p : perm)
    if (p < 0) p = *next++;
  bind_transpose(ctx, node, std::move(perm));
}

// aten::squeeze(Tensor(a) self) ; aten::squeeze.dim(Tensor(a) self, int dim)
void translate_squeeze(TranslateContext& ctx, const JitNode* node) {
  ir::Value* x = ctx.tensor(node->input(0));
  const int64_t rank = ctx.rank(node->input(0));
  const std::vector<int64_t> sizes = ctx.sizes(node->input(0));
  std::vector<int64_t> axes;
  if (node->inputs().size() == 1) {
    // Explicit axes keep the rank static (dims that were 1 at the example inputs).
    for (int64_t d = 0; d < rank; ++d)
      if (sizes[d] == 1) axes.push_back(d);
  } else if (rank > 0) {
    const int64_t d = ctx.dim_arg(node->input(1), rank);
    if (sizes[d] == 1) axes.push_back(d);
  }
  if (axes.empty()) return ctx.bind(node->output(), x);
  ctx.bind(node->output(), ctx.op("Squeeze", {x}, {{"axes", axes}}));
}

// aten::unsqueeze(Tensor(a) self, int dim) -> Tensor(a)
void translate_unsqueeze(TranslateContext& ctx, const JitNode* node) {
  const int64_t d = ctx.dim_arg(node->input(1), ctx.rank(node->input(0)) + 1);
  ctx.bind(node->output(), unsqueeze(ctx, ctx.tensor(node->input(0)), {d}));
}

// aten::expand(Tensor(a) self, SymInt[] size, *, bool implicit=False) -> Tensor(a)
// A -1 keeps the input's dim: it is read from the input's shape, never frozen.
void translate_expand(TranslateContext& ctx, const JitNode* node) {
  ir::Value* x = ctx.tensor(node->input(0));
  const int64_t rank = ctx.rank(node->input(0));
  const JitValue* list = node->input(1);
  const std::vector<int64_t> wanted = ctx.recorded(list).toIntVector();
  ir::Value* shape = nullptr;
  if (std::find(wanted.begin(), wanted.end(), -1) == wanted.end()) {
    shape = ctx.int_list_tensor(list);
  } else {
    const int64_t lead = static_cast<int64_t>(wanted.size()) - rank;
    std::vector<ir::Value*> items;
    if (!ctx.is_static(list)) items = list_items(ctx, list);
    ir::Value* xs = shape_of(ctx, x, rank);
    std::vector<ir::Value*> pieces;
    for (size_t j = 0; j < wanted.size();) {
      if (wanted[j] == -1) {
        size_t e = j;
        while (e < wanted.size() && wanted[e] == -1) ++e;
        pieces.push_back(typed(slice_static(ctx, xs, 0, static_cast<int64_t>(j) - lead,
                                            static_cast<int64_t>(e) - lead),
                               DType::Int64));
        j = e;
        continue;
      }
      if (items.empty() || items[j]->is_constant()) {
        pieces.push_back(ctx.int64_vector({wanted[j]}));
      } else {
        pieces.push_back(typed(unsqueeze(ctx, ctx.cast(items[j], DType::Int64), {0}), DType::Int64,
                               ir::fixed_shape({1})));
      }
      ++j;
    }
    shape = concat_ints(ctx, pieces);
  }
  ctx.bind(node->output(), ctx.op("Expand", {x, shape}));
}

// aten::expand_as(Tensor(a) self, Tensor other) -> Tensor(a)
void translate_expand_as(TranslateContext& ctx, const JitNode* node) {
  ir::Value* other = ctx.tensor(node->input(1));
  ir::Value* shape = shape_of(ctx, other, ctx.rank(node->input(1)));
  ctx.bind(node->output(), ctx.op("Expand", {ctx.tensor(node->input(0)), shape}));
}

// aten::repeat(Tensor self, SymInt[] repeats) -> Tensor ; aten::tile(Tensor self, int[] dims)
void translate_repeat(TranslateContext& ctx, const JitNode* node) {
  ir::Value* x = ctx.tensor(node->input(0));
  const int64_t rank = ctx.rank(node->input(0));
  const int64_t n = static_cast<int64_t>(ctx.recorded(node->input(1)).toIntVector().size());
  ir::Value* reps = ctx.int_list_tensor(node->input(1));
  if (n > rank) x = unsqueeze(ctx, x, iota(0, n - rank));  // repeat adds leading dims
  if (n < rank)  // tile pads the repeats with leading ones
    reps = concat_ints(ctx, {ctx.int64_vector(std::vector<int64_t>(rank - n, 1)), reps});
  ctx.bind(node->output(), ctx.op("Tile", {x, reps}));
}

// aten::cat(Tensor[] tensors, int dim=0) -> Tensor
void translate_cat(TranslateContext& ctx, const JitNode* node) {
  const DType out = ctx.dtype(node->output());
  const int64_t out_rank = ctx.rank(node->output());
  const int64_t axis = ctx.dim_arg(node->input(1), out_rank);
  std::vector<at::Tensor> recorded = ctx.recorded(node->input(0)).toTensorVector();
  std::vector<ir::Value*> items = ctx.tensor_list(node->input(0));
  std::vector<ir::Value*> parts;
  for (size_t k = 0; k < items.size(); ++k) {
    // torch still accepts legacy empty 1-D tensors of any rank mismatch: they add nothing.
    if (k < recorded.size() && recorded[k].dim() == 1 && recorded[k].numel() == 0 && out_rank != 1)
      continue;
    parts.push_back(ctx.cast(items[k], out));
  }
  if (parts.size() == 1) return ctx.bind(node->output(), parts[0]);
  ctx.bind(node->output(), ctx.op("Concat", parts, {{"axis", axis}}));
}

// aten::stack(Tensor[] tensors, int dim=0) -> Tensor
void translate_stack(TranslateContext& ctx, const JitNode* node) {
  const DType out = ctx.dtype(node->output());
  const int64_t axis = ctx.dim_arg(node->input(1), ctx.rank(node->output()));
  std::vector<ir::Value*> parts;
  for (ir::Value* item : ctx.tensor_list(node->input(0)))
    parts.push_back(unsqueeze(ctx, ctx.cast(item, out), {axis}));
  if (parts.size() == 1) return ctx.bind(node->output(), parts[0]);
  ctx.bind(node->output(), ctx.op("Concat", parts, {{"axis", axis}}));
}

// aten::split.Tensor(Tensor(a -> *) self, int split_size, int dim=0) -> Tensor(a)[]
// aten::split(Tensor(a -> *) self, int[] split_sizes, int dim=0) -> Tensor(a)[]
// aten::split_with_sizes(Tensor(a -> *) self, int[] split_sizes, int dim=0) -> Tensor(a)[]
// aten::chunk(Tensor(a -> *) self, int chunks, int dim=0) -> Tensor(a)[]
// The piece sizes are the recorded ones when the op fixes them (a static list of sizes, or a
// model without dynamic axes); otherwise each piece is a Slice whose bounds are computed from
// the size of the split axis (chunk) or from the computed list of sizes.
void translate_split(TranslateContext& ctx, const JitNode* node) {
  ir::Value* x = ctx.tensor(node->input(0));
  const int64_t axis = ctx.dim_arg(node->input(2), ctx.rank(node->input(0)));
  const std::vector<at::Tensor> pieces = ctx.recorded(node->output()).toTensorVector();
  const std::string_view kind = node->kind().toQualString();
  const bool sizes_given = ctx.recorded(node->input(1)).isIntList();
  if (pieces.size() > 1 && (sizes_given ? !ctx.is_static(node->input(1)) : ctx.dynamic_batch)) {
    const int64_t n = static_cast<int64_t>(pieces.size());
    std::vector<ir::Value*> items;
    if (sizes_given) {
      // Piece k runs from the sum of the sizes before it to the sum up to it.
      ir::Value* sizes = ctx.int_list_tensor(node->input(1));
      ir::Value* ends = typed(ctx.op("CumSum", {sizes, ctx.scalar(0, DType::Int64)}), DType::Int64);
      ir::Value* starts = typed(ctx.op("Sub", {ends, sizes}), DType::Int64);
      for (int64_t k = 0; k < n; ++k)
        items.push_back(slice_axis(ctx, x, axis, slice_static(ctx, starts, 0, k, k + 1),
                                   slice_static(ctx, ends, 0, k, k + 1), 1));
    } else {
      // chunk(c): pieces of ceil(size / c); split(s): pieces of s; the last one takes the rest.
      ir::Value* step = nullptr;
      if (kind.find("chunk") != std::string_view::npos) {
        const int64_t chunks = ctx.const_int(node->input(1));
        ir::Value* size =
            slice_static(ctx, shape_of(ctx, x, ctx.rank(node->input(0))), 0, axis, axis + 1);
        ir::Value* up = typed(ctx.op("Add", {size, ctx.int64_vector({chunks - 1})}), DType::Int64);
        step = typed(ctx.op("Div", {up, ctx.int64_vector({chunks})}), DType::Int64);
      } else {
        step = ctx.int64_vector({ctx.const_int(node->input(1))});
      }
      for (int64_t k = 0; k < n; ++k) {
        ir::Value* start = typed(ctx.op("Mul", {step, ctx.int64_vector({k})}), DType::Int64);
        ir::Value* end =
            k + 1 == n ? ctx.int64_vector({kToEnd})
                       : typed(ctx.op("Mul", {step, ctx.int64_vector({k + 1})}), DType::Int64);
        items.push_back(slice_axis(ctx, x, axis, start, end, 1));
      }
    }
    for (size_t k = 0; k < items.size(); ++k) describe_like(items[k], pieces[k]);
    return ctx.bind_list(node->output(), std::move(items));
  }
  std::vector<int64_t> sizes;
  for (const at::Tensor& p : pieces) sizes.push_back(p.size(axis));
  std::vector<ir::Value*> items = split_into(ctx, x, axis, sizes);
  for (size_t k = 0; k < items.size() && items.size() > 1; ++k) describe_like(items[k], pieces[k]);
  ctx.bind_list(node->output(), std::move(items));
}

// aten::unbind.int(Tensor(a -> *) self, int dim=0) -> Tensor(a)[]
void translate_unbind(TranslateContext& ctx, const JitNode* node) {
  ir::Value* x = ctx.tensor(node->input(0));
  const int64_t axis = ctx.dim_arg(node->input(1), ctx.rank(node->input(0)));
  const std::vector<at::Tensor> pieces = ctx.recorded(node->output()).toTensorVector();
  std::vector<ir::Value*> parts =
      split_into(ctx, x, axis, std::vector<int64_t>(pieces.size(), int64_t{1}));
  std::vector<ir::Value*> items;
  for (size_t k = 0; k < parts.size(); ++k) {
    ir::Value* item = ctx.op("Squeeze", {parts[k]}, {{"axes", std::vector<int64_t>{axis}}});
    describe_like(item, pieces[k]);
    items.push_back(item);
  }
  ctx.bind_list(node->output(), std::move(items));
}

// aten::slice.Tensor(Tensor(a) self, int dim=0, SymInt? start=None, SymInt? end=None,
//                    SymInt step=1) -> Tensor(a)
// aten::slice.t(t[] l, int? start=None, int? end=None, int step=1) -> t[]
void translate_slice(TranslateContext& ctx, const JitNode* node) {
  if (!ctx.recorded(node->input(0)).isTensor()) {
    // A list slice (x.shape[2:]): static bounds over the list's items.
    std::vector<ir::Value*> items = list_items(ctx, node->input(0));
    const int64_t n = static_cast<int64_t>(items.size());
    const int64_t step = ctx.const_int(node->input(3));
    auto bound = [&](const JitValue* v, int64_t fallback) {
      if (ctx.is_none(v)) return fallback;
      int64_t b = ctx.const_int(v);
      if (b < 0) b += n;
      return std::clamp<int64_t>(b, 0, n);
    };
    std::vector<ir::Value*> out;
    for (int64_t k = bound(node->input(1), 0); k < bound(node->input(2), n); k += step)
      out.push_back(items[static_cast<size_t>(k)]);
    return ctx.bind_list(node->output(), std::move(out));
  }
  ir::Value* x = ctx.tensor(node->input(0));
  const int64_t axis = ctx.dim_arg(node->input(1), ctx.rank(node->input(0)));
  const JitValue* start = node->input(2);
  const JitValue* end = node->input(3);
  const int64_t step = ctx.const_int(node->input(4));
  const bool static_start = ctx.is_none(start) || ctx.is_static(start);
  const bool static_end = ctx.is_none(end) || ctx.is_static(end);
  const int64_t s = static_start && !ctx.is_none(start) ? ctx.const_int(start) : 0;
  const int64_t e = static_end && !ctx.is_none(end) ? ctx.const_int(end) : kToEnd;
  if (static_start && static_end && s == 0 && e == kToEnd && step == 1)
    return ctx.bind(node->output(), x);  // x[:] along this axis
  ir::Value* starts = static_start ? ctx.int64_vector({s}) : int_as_vector(ctx, start);
  ir::Value* ends = static_end ? ctx.int64_vector({e}) : int_as_vector(ctx, end);
  ctx.bind(node->output(), slice_axis(ctx, x, axis, starts, ends, step));
}

// aten::select.int(Tensor(a) self, int dim, int index) -> Tensor(a)
// aten::select.t(t[](a) list, int idx) -> t(*)
void translate_select(TranslateContext& ctx, const JitNode* node) {
  if (!ctx.recorded(node->input(0)).isTensor()) {
    std::vector<ir::Value*> items = list_items(ctx, node->input(0));
    int64_t k = ctx.const_int(node->input(1));
    if (k < 0) k += static_cast<int64_t>(items.size());
    return ctx.bind(node->output(), items.at(static_cast<size_t>(k)));
  }
  ir::Value* x = ctx.tensor(node->input(0));
  const int64_t axis = ctx.dim_arg(node->input(1), ctx.rank(node->input(0)));
  // Gather takes negative indices as torch does.
  ir::Value* index = ctx.tensor_as(node->input(2), DType::Int64);
  ctx.bind(node->output(), ctx.op("Gather", {x, index}, {{"axis", axis}}));
}

// aten::narrow(Tensor(a) self, int dim, int start, int length) -> Tensor(a)
// aten::narrow.Tensor(Tensor(a) self, int dim, Tensor start, int length) -> Tensor(a)
void translate_narrow(TranslateContext& ctx, const JitNode* node) {
  ir::Value* x = ctx.tensor(node->input(0));
  const int64_t axis = ctx.dim_arg(node->input(1), ctx.rank(node->input(0)));
  const JitValue* start = node->input(2);
  const JitValue* length = node->input(3);
  if (ctx.is_static(start) && ctx.is_static(length)) {
    const int64_t s = ctx.const_int(start);
    int64_t e = s + ctx.const_int(length);
    if (s < 0 && e == 0) e = kToEnd;  // narrow(x, d, -2, 2): up to the end, not to index 0
    return ctx.bind(node->output(), slice_static(ctx, x, axis, s, e));
  }
  ir::Value* starts = int_as_vector(ctx, start);
  ir::Value* ends = typed(ctx.op("Add", {starts, int_as_vector(ctx, length)}), DType::Int64,
                          ir::fixed_shape({1}));
  ctx.bind(node->output(), slice_axis(ctx, x, axis, starts, ends, 1));
}

// aten::index_select(Tensor self, int dim, Tensor index) -> Tensor
void translate_index_select(TranslateContext& ctx, const JitNode* node) {
  ir::Value* x = ctx.tensor(node->input(0));
  const int64_t axis = ctx.dim_arg(node->input(1), ctx.rank(node->input(0)));
  ir::Value* index = ctx.tensor_as(node->input(2), DType::Int64);
  if (ctx.rank(node->input(2)) == 0) index = unsqueeze(ctx, index, {0});  // keeps the dim
  ctx.bind(node->output(), ctx.op("Gather", {x, index}, {{"axis", axis}}));
}

// aten::gather(Tensor self, int dim, Tensor index, *, bool sparse_grad=False) -> Tensor
void translate_gather(TranslateContext& ctx, const JitNode* node) {
  ir::Value* x = ctx.tensor(node->input(0));
  const int64_t axis = ctx.dim_arg(node->input(1), ctx.rank(node->input(0)));
  ir::Value* index = ctx.tensor_as(node->input(2), DType::Int64);
  ctx.bind(node->output(), ctx.op("GatherElements", {x, index}, {{"axis", axis}}));
}

// aten::flip(Tensor self, int[] dims) -> Tensor
void translate_flip(TranslateContext& ctx, const JitNode* node) {
  ir::Value* x = ctx.tensor(node->input(0));
  const int64_t rank = ctx.rank(node->input(0));
  std::vector<int64_t> axes = ctx.const_ints(node->input(1));
  if (axes.empty() || rank == 0) return ctx.bind(node->output(), x);
  for (int64_t& d : axes) d = d < 0 ? d + rank : d;
  const auto n = axes.size();
  ir::Value* starts = ctx.int64_vector(std::vector<int64_t>(n, -1));
  ir::Value* ends = ctx.int64_vector(std::vector<int64_t>(n, kBeforeFirst));
  ir::Value* steps = ctx.int64_vector(std::vector<int64_t>(n, -1));
  ctx.bind(node->output(), ctx.op("Slice", {x, starts, ends, ctx.int64_vector(axes), steps}));
}

// aten::roll(Tensor self, int[1] shifts, int[1] dims=[]) -> Tensor
// Each roll is two slices swapped by a Concat; the shift is reduced modulo the recorded size.
void translate_roll(TranslateContext& ctx, const JitNode* node) {
  ir::Value* x = ctx.tensor(node->input(0));
  const int64_t rank = ctx.rank(node->input(0));
  std::vector<int64_t> shifts = ctx.const_ints(node->input(1));
  std::vector<int64_t> dims = ctx.const_ints(node->input(2));
  std::vector<int64_t> sizes = ctx.sizes(node->input(0));
  const bool flat = dims.empty();
  ir::Value* shape = nullptr;
  if (flat) {  // roll the flattened tensor, then restore the shape
    shape = shape_of(ctx, x, rank);
    x = typed(ctx.op("Reshape", {x, ctx.int64_vector({-1})}), x->dtype);
    dims = {0};
    sizes = {ctx.recorded(node->input(0)).toTensor().numel()};
  }
  for (size_t k = 0; k < dims.size(); ++k) {
    const int64_t d = flat ? 0 : (dims[k] < 0 ? dims[k] + rank : dims[k]);
    const int64_t n = sizes[static_cast<size_t>(d)];
    if (n == 0) continue;
    const int64_t s = ((shifts[k] % n) + n) % n;
    if (s == 0) continue;
    // Counted from the end, so the slices stay right when this dim is the dynamic one.
    ir::Value* tail = slice_static(ctx, x, d, -s, kToEnd);
    ir::Value* head = slice_static(ctx, x, d, 0, -s);
    x = typed(ctx.op("Concat", {tail, head}, {{"axis", d}}), x->dtype);
  }
  if (flat) x = ctx.op("Reshape", {x, shape});
  ctx.bind(node->output(), x);
}

// aten::index.Tensor(Tensor self, Tensor?[] indices) -> Tensor
// Advanced indexing: one index tensor is a Gather; several (broadcast together) a GatherND
// over the indexed dims moved to the front; boolean masks become NonZero coordinates.
void translate_index(TranslateContext& ctx, const JitNode* node) {
  ir::Value* x = ctx.tensor(node->input(0));
  const int64_t rank = ctx.rank(node->input(0));
  const int64_t out_rank = ctx.rank(node->output());
  const JitValue* list = node->input(1);

  // The entries of the Tensor?[] list: (IR value or nullptr for None, recorded tensor).
  std::vector<std::pair<ir::Value*, at::Tensor>> entries;
  if (list->node()->kind() == c10::prim::ListConstruct) {
    for (const JitValue* item : list->node()->inputs()) {
      if (ctx.is_none(item))
        entries.emplace_back(nullptr, at::Tensor());
      else
        entries.emplace_back(ctx.tensor(item), ctx.recorded(item).toTensor());
    }
  } else {
    if (!ctx.is_static(list))
      throw Error(ExitCode::kUnsupportedOps, "aten::index with a computed list of indices");
    for (const c10::IValue& e : ctx.recorded(list).toListRef()) {
      if (e.isNone()) {
        entries.emplace_back(nullptr, at::Tensor());
      } else {
        at::Tensor t = e.toTensor();
        entries.emplace_back(ctx.constant(torchmodel::to_ir_tensor(t), "index"), t);
      }
    }
  }

  struct Index {
    int64_t dim;
    ir::Value* value;  // int64 positions along `dim`
  };
  std::vector<Index> indices;
  int64_t d = 0;
  for (auto& [value, recorded] : entries) {
    if (!value) {
      ++d;
      continue;
    }
    const auto type = recorded.scalar_type();
    if (type == at::kBool || type == at::kByte) {
      // A mask over dims [d, d + m): its true positions, one coordinate row per dim.
      const int64_t m = recorded.dim();
      ir::Value* nz = typed(ctx.op("NonZero", {ctx.cast(value, DType::Bool)}), DType::Int64);
      for (int64_t j = 0; j < m; ++j) {
        ir::Value* row = ctx.constant(ir::Tensor::scalar_int64(j), "index");
        indices.push_back(
            {d + j, typed(ctx.op("Gather", {nz, row}, {{"axis", int64_t{0}}}), DType::Int64)});
      }
      d += m;
      continue;
    }
    indices.push_back({d, ctx.cast(value, DType::Int64)});
    ++d;
  }
  if (indices.empty()) return ctx.bind(node->output(), x);
  if (indices.size() == 1) {
    return ctx.bind(node->output(),
                    ctx.op("Gather", {x, indices[0].value}, {{"axis", indices[0].dim}}));
  }

  // Indexed dims first, in order, then the others.
  std::vector<int64_t> perm;
  bool adjacent = true;
  for (size_t k = 0; k < indices.size(); ++k) {
    perm.push_back(indices[k].dim);
    if (k > 0 && indices[k].dim != indices[k - 1].dim + 1) adjacent = false;
  }
  for (int64_t k = 0; k < rank; ++k)
    if (std::find(perm.begin(), perm.end(), k) == perm.end()) perm.push_back(k);
  if (perm != iota(0, rank)) x = typed(ctx.op("Transpose", {x}, {{"perm", perm}}), x->dtype);

  // Broadcast the index tensors together, then stack them on a new last axis.
  ir::Value* common = indices[0].value;
  for (size_t k = 1; k < indices.size(); ++k)
    common = typed(ctx.op("Add", {common, indices[k].value}), DType::Int64);
  ir::Value* bshape = typed(ctx.op("Shape", {common}), DType::Int64);
  std::vector<ir::Value*> columns;
  for (const Index& index : indices) {
    ir::Value* full = typed(ctx.op("Expand", {index.value, bshape}), DType::Int64);
    columns.push_back(unsqueeze(ctx, full, {-1}));
  }
  ir::Value* coords = typed(ctx.op("Concat", columns, {{"axis", int64_t{-1}}}), DType::Int64);
  ir::Value* result = ctx.op("GatherND", {x, coords});

  // Adjacent indices put the result dims where the indexed dims were, not first.
  const int64_t first = indices[0].dim;
  if (adjacent && first > 0) {
    result->dtype = x->dtype;
    const int64_t nb = out_rank - (rank - static_cast<int64_t>(indices.size()));
    std::vector<int64_t> back = iota(nb, nb + first);
    for (int64_t k = 0; k < nb; ++k) back.push_back(k);
    for (int64_t k = nb + first; k < out_rank; ++k) back.push_back(k);
    result = ctx.op("Transpose", {result}, {{"perm", back}});
  }
  ctx.bind(node->output(), result);
}

// aten::numel(Tensor self) -> int
void translate_numel(TranslateContext& ctx, const JitNode* node) {
  ctx.bind(node->output(), ctx.op("Size", {ctx.tensor(node->input(0))}));
}

}  // namespace

std::vector<OpRule> shape_rules() {
  std::vector<OpRule> rows;
  rows.push_back({"aten::view", translate_view, "Reshape"});
  rows.push_back({"aten::reshape", translate_view, "Reshape"});
  rows.push_back({"aten::view_as", translate_view_as, "Reshape(Shape)"});
  rows.push_back({"aten::reshape_as", translate_view_as, "Reshape(Shape)"});
  rows.push_back({"aten::flatten", translate_flatten, "Flatten / Reshape"});
  rows.push_back({"aten::unflatten", translate_unflatten, "Reshape"});
  rows.push_back({"aten::permute", translate_permute, "Transpose"});
  add_with_inplace(rows, "aten::transpose", "aten::transpose_", translate_transpose, "Transpose");
  rows.push_back({"aten::swapaxes", translate_transpose, "Transpose"});
  rows.push_back({"aten::swapdims", translate_transpose, "Transpose"});
  add_with_inplace(rows, "aten::t", "aten::t_", translate_t, "Transpose");
  rows.push_back({"aten::numpy_T", translate_numpy_t, "Transpose"});
  rows.push_back({"aten::mT", translate_matrix_t, "Transpose"});
  rows.push_back({"aten::movedim", translate_movedim, "Transpose"});
  rows.push_back({"aten::moveaxis", translate_movedim, "Transpose"});
  add_with_inplace(rows, "aten::squeeze", "aten::squeeze_", translate_squeeze, "Squeeze");
  add_with_inplace(rows, "aten::unsqueeze", "aten::unsqueeze_", translate_unsqueeze, "Unsqueeze");
  rows.push_back({"aten::expand", translate_expand, "Expand (Shape/Slice/Concat for -1)"});
  rows.push_back({"aten::expand_as", translate_expand_as, "Expand(Shape)"});
  rows.push_back({"aten::repeat", translate_repeat, "Tile (Unsqueeze)"});
  rows.push_back({"aten::tile", translate_repeat, "Tile"});
  rows.push_back({"aten::cat", translate_cat, "Concat"});
  rows.push_back({"aten::concat", translate_cat, "Concat"});
  rows.push_back({"aten::stack", translate_stack, "Unsqueeze + Concat"});
  rows.push_back({"aten::split", translate_split, "Split"});
  rows.push_back({"aten::split_with_sizes", translate_split, "Split"});
  rows.push_back({"aten::unsafe_split", translate_split, "Split"});
  rows.push_back({"aten::unsafe_split_with_sizes", translate_split, "Split"});
  rows.push_back({"aten::chunk", translate_split, "Split"});
  rows.push_back({"aten::unsafe_chunk", translate_split, "Split"});
  rows.push_back({"aten::unbind", translate_unbind, "Split + Squeeze"});
  rows.push_back({"aten::slice", translate_slice, "Slice (list slice: items)"});
  rows.push_back({"aten::select", translate_select, "Gather (list item)"});
  rows.push_back({"aten::narrow", translate_narrow, "Slice"});
  rows.push_back({"aten::index_select", translate_index_select, "Gather"});
  rows.push_back({"aten::gather", translate_gather, "GatherElements"});
  rows.push_back({"aten::flip", translate_flip, "Slice (step -1)"});
  rows.push_back({"aten::roll", translate_roll, "Slice + Concat"});
  rows.push_back({"aten::index", translate_index, "Gather / GatherND (NonZero for masks)"});
  rows.push_back({"aten::numel", translate_numel, "Size"});
  return rows;
}

}  // namespace mlexport::frontend::torchscript

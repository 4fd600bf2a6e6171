// Ops that move, select or reshape data. Values ONNX keeps in attributes become i64 Const inputs.
#include <algorithm>

#include "emit/openvino/ops/ops.h"

namespace mlexport::emit::openvino {

namespace {

const Dims& out_dims(const ir::Node& n, Context& ctx, size_t k = 0) {
  return ctx.dims(n.outputs.at(k));
}

// The i64 input k (a Const for constants), converted from i32 where needed.
OutRef i64_input(const ir::Node& n, Context& ctx, size_t k) {
  OutRef r = ctx.in(n, k);
  if (ctx.dtype(r) != ir::DType::Int64)
    r = ctx.convert(r, ir::DType::Int64, n.name + "/i64_" + std::to_string(k));
  return r;
}

OutRef slice1d(Context& ctx, OutRef x, int64_t start, int64_t stop, const std::string& name) {
  OutRef s = ctx.i64s({start}, name + "/start");
  OutRef e = ctx.i64s({stop}, name + "/stop");
  OutRef st = ctx.i64s({1}, name + "/step");
  OutRef ax = ctx.i64s({0}, name + "/axis");
  int64_t len = ctx.dims(x)[0];
  int64_t size = -1;
  if (len >= 0) {
    int64_t a = std::clamp<int64_t>(start < 0 ? start + len : start, 0, len);
    int64_t b = std::clamp<int64_t>(stop < 0 ? stop + len : stop, 0, len);
    size = std::max<int64_t>(0, b - a);
  }
  return ctx.b.add1("Slice", "opset8", name, {x, s, e, st, ax}, {}, ctx.dtype(x), {size});
}

}  // namespace

void translate_reshape(const ir::Node& n, Context& ctx) {
  // ONNX's 0 copies the input dim unless allowzero=1: OpenVINO's special_zero.
  bool special_zero = n.i("allowzero", 0) == 0;
  OutRef x = ctx.in(n, 0);
  OutRef shape = i64_input(n, ctx, 1);
  ctx.bind_output(
      n, ctx.b.add1("Reshape", "opset1", n.name, {x, shape},
                    {{"special_zero", bool_attr(special_zero)}}, ctx.dtype(x), out_dims(n, ctx)));
}

void translate_flatten(const ir::Node& n, Context& ctx) {
  OutRef x = ctx.in(n, 0);
  const Dims& in = ctx.dims(x);
  const int64_t rank = static_cast<int64_t>(in.size());
  int64_t axis = normalize_axis(n.i("axis", 1), in.size());
  auto product = [&](int64_t from, int64_t to) {
    int64_t p = 1;
    for (int64_t k = from; k < to; ++k) {
      if (in[static_cast<size_t>(k)] < 0) return int64_t{-1};
      p *= in[static_cast<size_t>(k)];
    }
    return p;
  };
  int64_t head = product(0, axis), tail = product(axis, rank);
  std::vector<int64_t> target;
  bool special_zero = false;
  if (axis == 1 && head < 0) {
    target = {0, -1};
    special_zero = true;
  } else if (head >= 0) {
    target = {head, -1};
  } else if (tail >= 0) {
    target = {-1, tail};
  }
  if (!target.empty()) {
    if (head == 0 || tail == 0) target = {head, tail};  // -1 cannot be inferred from 0
    OutRef shape = ctx.i64s(target, n.name + "/shape");
    ctx.bind_output(
        n, ctx.b.add1("Reshape", "opset1", n.name, {x, shape},
                      {{"special_zero", bool_attr(special_zero)}}, ctx.dtype(x), out_dims(n, ctx)));
    return;
  }
  // Both halves dynamic: the leading size is computed from ShapeOf at run time.
  OutRef shape = ctx.b.add1("ShapeOf", "opset3", n.name + "/shape_of", {x},
                            {{"output_type", "i64"}}, ir::DType::Int64, {rank});
  OutRef lead = slice1d(ctx, shape, 0, axis, n.name + "/lead");
  OutRef axis0 = ctx.i64s({0}, n.name + "/prod_axis");
  OutRef prod = ctx.b.add1("ReduceProd", "opset1", n.name + "/prod", {lead, axis0},
                           {{"keep_dims", bool_attr(true)}}, ir::DType::Int64, {1});
  OutRef rest = ctx.i64s({-1}, n.name + "/rest");
  OutRef target_ref = ctx.b.add1("Concat", "opset1", n.name + "/target", {prod, rest},
                                 {{"axis", "0"}}, ir::DType::Int64, {2});
  ctx.bind_output(n,
                  ctx.b.add1("Reshape", "opset1", n.name, {x, target_ref},
                             {{"special_zero", bool_attr(false)}}, ctx.dtype(x), out_dims(n, ctx)));
}

void translate_concat(const ir::Node& n, Context& ctx) {
  std::vector<OutRef> ins;
  for (size_t k = 0; k < n.inputs.size(); ++k) ins.push_back(ctx.in(n, k));
  int64_t axis = normalize_axis(n.i("axis", 0), ctx.rank(n.input(0)));
  ctx.bind_output(n, ctx.b.add1("Concat", "opset1", n.name, ins, {{"axis", std::to_string(axis)}},
                                ctx.dtype(ins[0]), out_dims(n, ctx)));
}

void translate_transpose(const ir::Node& n, Context& ctx) {
  OutRef x = ctx.in(n, 0);
  auto perm = n.ints("perm");
  if (perm.empty())
    for (size_t k = ctx.rank(n.input(0)); k-- > 0;) perm.push_back(static_cast<int64_t>(k));
  OutRef order = ctx.i64s(perm, n.name + "/order");
  ctx.bind_output(
      n, ctx.b.add1("Transpose", "opset1", n.name, {x, order}, {}, ctx.dtype(x), out_dims(n, ctx)));
}

void translate_squeeze(const ir::Node& n, Context& ctx) {
  OutRef x = ctx.in(n, 0);
  std::vector<OutRef> ins = {x};
  if (n.input(1)) {
    ins.push_back(i64_input(n, ctx, 1));
  } else if (!n.ints("axes").empty()) {
    ins.push_back(ctx.i64s(n.ints("axes"), n.name + "/axes"));
  }
  ctx.bind_output(n,
                  ctx.b.add1("Squeeze", "opset1", n.name, ins, {}, ctx.dtype(x), out_dims(n, ctx)));
}

void translate_unsqueeze(const ir::Node& n, Context& ctx) {
  OutRef x = ctx.in(n, 0);
  OutRef axes = n.input(1) ? i64_input(n, ctx, 1) : ctx.i64s(n.ints("axes"), n.name + "/axes");
  ctx.bind_output(
      n, ctx.b.add1("Unsqueeze", "opset1", n.name, {x, axes}, {}, ctx.dtype(x), out_dims(n, ctx)));
}

void translate_shape(const ir::Node& n, Context& ctx) {
  OutRef x = ctx.in(n, 0);
  const int64_t rank = static_cast<int64_t>(ctx.rank(n.input(0)));
  int64_t start = n.i("start", 0), end = n.i("end", rank);
  bool whole = (start == 0 || start <= -rank) && end >= rank;
  OutRef shape = ctx.b.add1("ShapeOf", "opset3", whole ? n.name : n.name + "/all", {x},
                            {{"output_type", "i64"}}, ir::DType::Int64, {rank});
  if (!whole) shape = slice1d(ctx, shape, start, std::min(end, rank), n.name);
  ctx.bind_output(n, shape);
}

// The number of elements: ReduceProd over the shape, a 0-d i64.
void translate_size(const ir::Node& n, Context& ctx) {
  OutRef x = ctx.in(n, 0);
  const int64_t rank = static_cast<int64_t>(ctx.rank(n.input(0)));
  OutRef shape = ctx.b.add1("ShapeOf", "opset3", n.name + "/shape", {x}, {{"output_type", "i64"}},
                            ir::DType::Int64, {rank});
  ctx.bind_output(
      n, ctx.b.add1("ReduceProd", "opset1", n.name, {shape, ctx.i64s({0}, n.name + "/axes")},
                    {{"keep_dims", "false"}}, ir::DType::Int64, {}));
}

void translate_gather(const ir::Node& n, Context& ctx) {
  OutRef data = ctx.in(n, 0), idx = ctx.in(n, 1);
  int64_t axis = normalize_axis(n.i("axis", 0), ctx.rank(n.input(0)));
  OutRef axis_ref = ctx.i64_scalar(axis, n.name + "/axis");
  ctx.bind_output(n, ctx.b.add1("Gather", "opset8", n.name, {data, idx, axis_ref},
                                {{"batch_dims", "0"}}, ctx.dtype(data), out_dims(n, ctx)));
}

void translate_gather_elements(const ir::Node& n, Context& ctx) {
  OutRef data = ctx.in(n, 0), idx = ctx.in(n, 1);
  int64_t axis = normalize_axis(n.i("axis", 0), ctx.rank(n.input(0)));
  ctx.bind_output(n,
                  ctx.b.add1("GatherElements", "opset6", n.name, {data, idx},
                             {{"axis", std::to_string(axis)}}, ctx.dtype(data), out_dims(n, ctx)));
}

void translate_slice(const ir::Node& n, Context& ctx) {
  // Slice-8 has ONNX's inputs and clamping rules: data, start, stop, step, axes.
  OutRef x = ctx.in(n, 0);
  OutRef start = i64_input(n, ctx, 1), stop = i64_input(n, ctx, 2);
  OutRef step;
  if (n.input(4)) {
    step = i64_input(n, ctx, 4);
  } else {
    int64_t count = ctx.dims(start).at(0);
    if (count < 0) throw unsupported_variant(n, "with a run-time number of axes");
    step = ctx.i64s(std::vector<int64_t>(static_cast<size_t>(count), 1), n.name + "/step");
  }
  std::vector<OutRef> ins = {x, start, stop, step};
  if (n.input(3)) ins.push_back(i64_input(n, ctx, 3));
  ctx.bind_output(n,
                  ctx.b.add1("Slice", "opset8", n.name, ins, {}, ctx.dtype(x), out_dims(n, ctx)));
}

void translate_expand(const ir::Node& n, Context& ctx) {
  OutRef x = ctx.in(n, 0);
  OutRef shape = i64_input(n, ctx, 1);
  ctx.bind_output(n, ctx.b.add1("Broadcast", "opset3", n.name, {x, shape},
                                {{"mode", "bidirectional"}}, ctx.dtype(x), out_dims(n, ctx)));
}

void translate_split(const ir::Node& n, Context& ctx) {
  OutRef x = ctx.in(n, 0);
  int64_t axis = normalize_axis(n.i("axis", 0), ctx.rank(n.input(0)));
  std::vector<int64_t> sizes = ints_from(n, "split", 1);
  OutRef axis_ref = ctx.i64_scalar(axis, n.name + "/axis");
  std::vector<PortInfo> outs;
  for (size_t k = 0; k < n.outputs.size(); ++k) outs.push_back({ctx.dtype(x), out_dims(n, ctx, k)});
  std::vector<OutRef> refs;
  if (sizes.empty()) {
    refs = ctx.b.add("Split", "opset1", n.name, {x, axis_ref},
                     {{"num_splits", std::to_string(n.outputs.size())}}, outs);
  } else {
    if (sizes.size() != n.outputs.size())
      throw unsupported_variant(n, "whose split sizes do not match its outputs");
    OutRef lengths = ctx.i64s(sizes, n.name + "/lengths");
    refs = ctx.b.add("VariadicSplit", "opset1", n.name, {x, axis_ref, lengths}, {}, outs);
  }
  for (size_t k = 0; k < n.outputs.size(); ++k) ctx.bind_output(n, refs[k], k);
}

void translate_pad(const ir::Node& n, Context& ctx) {
  OutRef x = ctx.in(n, 0);
  const int64_t rank = static_cast<int64_t>(ctx.rank(n.input(0)));
  std::string mode = n.s("mode", "constant");
  if (mode != "constant" && mode != "reflect" && mode != "edge")
    throw unsupported_variant(n, "with mode " + mode);
  OutRef begin, end;
  bool negative = true;  // unknown pads may be negative: Pad-12 allows that
  const ir::Value* pv = n.input(1);
  if (!pv || pv->is_constant()) {
    std::vector<int64_t> pads = ints_from(n, "pads", 1);
    if (static_cast<int64_t>(pads.size()) != 2 * rank)
      throw unsupported_variant(n, "whose pads do not match its rank");
    std::vector<int64_t> b(pads.begin(), pads.begin() + rank), e(pads.begin() + rank, pads.end());
    negative = std::any_of(pads.begin(), pads.end(), [](int64_t p) { return p < 0; });
    begin = ctx.i64s(b, n.name + "/pads_begin");
    end = ctx.i64s(e, n.name + "/pads_end");
  } else {
    OutRef pads = i64_input(n, ctx, 1);
    begin = slice1d(ctx, pads, 0, rank, n.name + "/pads_begin");
    end = slice1d(ctx, pads, rank, 2 * rank, n.name + "/pads_end");
  }
  std::vector<OutRef> ins = {x, begin, end};
  if (mode == "constant") {
    if (n.input(2))
      ins.push_back(ctx.in(n, 2));
    else
      ins.push_back(ctx.scalar(ctx.dtype(x), n.f("value", 0.0), n.name + "/value"));
  }
  ctx.bind_output(n, ctx.b.add1("Pad", negative ? "opset12" : "opset1", n.name, ins,
                                {{"pad_mode", mode}}, ctx.dtype(x), out_dims(n, ctx)));
}

void translate_tile(const ir::Node& n, Context& ctx) {
  OutRef x = ctx.in(n, 0);
  OutRef reps = i64_input(n, ctx, 1);
  ctx.bind_output(
      n, ctx.b.add1("Tile", "opset1", n.name, {x, reps}, {}, ctx.dtype(x), out_dims(n, ctx)));
}

// GatherND-8 keeps the batch dims in the output as ONNX GatherND does (GatherND-5 folds them).
void translate_gather_nd(const ir::Node& n, Context& ctx) {
  OutRef data = ctx.in(n, 0);
  OutRef idx = i64_input(n, ctx, 1);
  ctx.bind_output(n, ctx.b.add1("GatherND", "opset8", n.name, {data, idx},
                                {{"batch_dims", std::to_string(n.i("batch_dims", 0))}},
                                ctx.dtype(data), out_dims(n, ctx)));
}

// ONNX's DCR is OpenVINO's blocks_first, CRD its depth_first.
void translate_depth_to_space(const ir::Node& n, Context& ctx) {
  OutRef x = ctx.in(n, 0);
  const std::string mode = n.s("mode", "DCR") == "CRD" ? "depth_first" : "blocks_first";
  ctx.bind_output(n,
                  ctx.b.add1("DepthToSpace", "opset1", n.name, {x},
                             {{"block_size", std::to_string(n.i("blocksize", 1))}, {"mode", mode}},
                             ctx.dtype(x), out_dims(n, ctx)));
}

void translate_constant_of_shape(const ir::Node& n, Context& ctx) {
  ir::Tensor value = ir::Tensor::scalar_of(ir::DType::Float32, 0.0);
  auto it = n.attrs.find("value");
  if (it != n.attrs.end()) {
    if (auto* t = std::get_if<ir::Tensor>(&it->second)) value = *t;
  }
  value.shape = {};
  OutRef v = ctx.b.constant(value, n.name + "/value");
  OutRef shape = i64_input(n, ctx, 0);
  ctx.bind_output(n, ctx.b.add1("Broadcast", "opset3", n.name, {v, shape}, {{"mode", "numpy"}},
                                value.dtype, out_dims(n, ctx)));
}

void translate_range(const ir::Node& n, Context& ctx) {
  OutRef start = ctx.in(n, 0), limit = ctx.in(n, 1), delta = ctx.in(n, 2);
  ir::DType t = ctx.dtype(start);
  ctx.bind_output(n, ctx.b.add1("Range", "opset4", n.name, {start, limit, delta},
                                {{"output_type", element_type_name(t)}}, t,
                                ctx.has_dims(n.outputs[0]) ? out_dims(n, ctx) : Dims{-1}));
}

}  // namespace mlexport::emit::openvino

// ONNX-semantics LSTM / GRU / RNN as OpenVINO LSTMSequence-5 / GRUSequence-5 / RNNSequence-5.
//
// ONNX is sequence-major (X [seq, batch, in], Y [seq, dirs, batch, hidden], states
// [dirs, batch, hidden]); OpenVINO is batch-major (X [batch, seq, in], Y [batch, dirs, seq,
// hidden], states [batch, dirs, hidden]): Transposes on the way in and out. The weights must be
// constants: they are regrouped once into OpenVINO's gate order (LSTM f,i,c,o; GRU z,r,h as in
// ONNX) and bias layout (one bias per gate, Wb + Rb; GRU with linear_before_reset keeps Rb_h
// apart as a fourth block).
#include "emit/openvino/ops/ops.h"

namespace mlexport::emit::openvino {

namespace {

int64_t gates_of(const std::string& op) {
  return op == "LSTM" ? 4 : op == "GRU" ? 3 : 1;
}

const ir::Tensor& constant_input(const ir::Node& n, size_t k, const std::string& what) {
  const ir::Value* v = n.input(k);
  if (!v || !v->is_constant()) throw unsupported_variant(n, "with run-time " + what);
  return *v->constant;
}

// Rows [nd, blocks * hidden, cols] of `t` as doubles, one vector per direction.
std::vector<std::vector<double>> per_direction(const ir::Tensor& t, int64_t nd) {
  std::vector<double> all = t.to_double_vector();
  const size_t each = all.size() / static_cast<size_t>(nd);
  std::vector<std::vector<double>> out;
  for (int64_t d = 0; d < nd; ++d)
    out.emplace_back(all.begin() + static_cast<std::ptrdiff_t>(d * each),
                     all.begin() + static_cast<std::ptrdiff_t>((d + 1) * each));
  return out;
}

// Gate blocks of a [nd, gates * hidden, cols] weight put in `order` (indices of ONNX blocks).
ir::Tensor regroup_weight(const ir::Tensor& w, const std::vector<int64_t>& order) {
  const int64_t nd = w.shape[0], rows = w.shape[1], cols = w.shape[2];
  const int64_t block = rows / static_cast<int64_t>(order.size()) * cols;
  ir::Tensor out(ir::DType::Float64, w.shape);
  double* dst = out.data<double>();
  auto dirs = per_direction(w, nd);
  for (int64_t d = 0; d < nd; ++d)
    for (size_t g = 0; g < order.size(); ++g)
      for (int64_t k = 0; k < block; ++k)
        *dst++ = dirs[static_cast<size_t>(d)][static_cast<size_t>(order[g] * block + k)];
  return out.cast(w.dtype);
}

// OpenVINO's B from ONNX's [nd, 2 * gates * hidden] (Wb then Rb; zeros when omitted).
ir::Tensor sequence_bias(const ir::Node& n, int64_t nd, int64_t hidden, ir::DType dtype) {
  const int64_t gates = gates_of(n.op);
  std::vector<std::vector<double>> b(static_cast<size_t>(nd),
                                     std::vector<double>(static_cast<size_t>(2 * gates * hidden)));
  if (n.input(3)) b = per_direction(constant_input(n, 3, "biases"), nd);
  const bool lbr = n.op == "GRU" && n.i("linear_before_reset", 0) != 0;
  std::vector<int64_t> order = {0};
  if (n.op == "LSTM") order = {2, 0, 3, 1};  // ONNX i,o,f,c -> f,i,c,o
  if (n.op == "GRU") order = {0, 1, 2};
  const int64_t blocks = lbr ? 4 : gates;
  ir::Tensor out(ir::DType::Float64, {nd, blocks * hidden});
  double* dst = out.data<double>();
  const size_t rb = static_cast<size_t>(gates * hidden);
  for (const auto& dir : b) {
    for (int64_t g = 0; g < gates; ++g) {
      const size_t src = static_cast<size_t>(order[static_cast<size_t>(g)] * hidden);
      for (int64_t k = 0; k < hidden; ++k) {
        const size_t i = src + static_cast<size_t>(k);
        const bool keep_apart = lbr && g == 2;  // Wb_h alone; Rb_h is the fourth block
        *dst++ = dir[i] + (keep_apart ? 0.0 : dir[rb + i]);
      }
    }
    if (lbr)
      for (int64_t k = 0; k < hidden; ++k) *dst++ = dir[rb + static_cast<size_t>(2 * hidden + k)];
  }
  return out.cast(dtype);
}

OutRef transpose(Context& ctx, OutRef x, const std::vector<int64_t>& perm,
                 const std::string& name) {
  const Dims& in = ctx.dims(x);
  Dims out;
  for (int64_t p : perm) out.push_back(in[static_cast<size_t>(p)]);
  return ctx.b.add1("Transpose", "opset1", name, {x, ctx.i64s(perm, name + "/perm")}, {},
                    ctx.dtype(x), out);
}

// [batch] filled with the sequence length, from the batch-major input's run-time shape.
OutRef full_lengths(Context& ctx, OutRef x_bsi, const std::string& name) {
  OutRef shape = ctx.b.add1("ShapeOf", "opset3", name + "/shape", {x_bsi}, {{"output_type", "i64"}},
                            ir::DType::Int64, {3});
  auto pick = [&](int64_t axis, const std::string& what) {
    return ctx.b.add1("Gather", "opset8", name + "/" + what,
                      {shape, ctx.i64s({axis}, name + "/" + what + "_index"),
                       ctx.i64_scalar(0, name + "/" + what + "_axis")},
                      {{"batch_dims", "0"}}, ir::DType::Int64, {1});
  };
  OutRef batch = pick(0, "batch");
  OutRef seq = pick(1, "seq");
  return ctx.b.add1("Broadcast", "opset3", name, {seq, batch}, {{"mode", "numpy"}},
                    ir::DType::Int64, {ctx.dims(x_bsi)[0]});
}

std::string activations(const ir::Node& n) {
  auto it = n.attrs.find("activations");
  if (n.op == "LSTM" || n.op == "GRU") {
    if (it != n.attrs.end()) throw unsupported_variant(n, "with non-default activations");
    return n.op == "LSTM" ? "sigmoid,tanh,tanh" : "sigmoid,tanh";
  }
  if (it == n.attrs.end()) return "tanh";
  const auto* names = std::get_if<std::vector<std::string>>(&it->second);
  if (!names || names->empty()) throw unsupported_variant(n, "with malformed activations");
  for (const std::string& a : *names)
    if (a != names->front())
      throw unsupported_variant(n, "with different activations per direction");
  if (names->front() == "Tanh") return "tanh";
  if (names->front() == "Relu") return "relu";
  if (names->front() == "Sigmoid") return "sigmoid";
  throw unsupported_variant(n, "with activation " + names->front());
}

}  // namespace

void translate_recurrent_sequence(const ir::Node& n, Context& ctx) {
  for (const char* attr : {"clip", "activation_alpha", "activation_beta", "input_forget"})
    if (n.has(attr)) throw unsupported_variant(n, std::string("with ") + attr);
  if (n.i("layout", 0) != 0) throw unsupported_variant(n, "with layout=1");
  if (n.input(4)) throw unsupported_variant(n, "with sequence_lens");
  if (!n.input(5)) throw unsupported_variant(n, "without initial_h");
  if (n.op == "LSTM" && (!n.input(6) || n.input(7)))
    throw unsupported_variant(n, "without initial_c or with peepholes");
  const std::string direction = n.s("direction", "forward");
  const int64_t nd = direction == "bidirectional" ? 2 : 1;
  const int64_t hidden = n.i("hidden_size", -1);
  const std::string acts = activations(n);

  const ir::Tensor& w = constant_input(n, 1, "weights");
  const ir::Tensor& r = constant_input(n, 2, "recurrent weights");
  std::vector<int64_t> order(static_cast<size_t>(gates_of(n.op)));
  for (size_t k = 0; k < order.size(); ++k) order[k] = static_cast<int64_t>(k);
  if (n.op == "LSTM") order = {2, 0, 3, 1};  // ONNX i,o,f,c -> f,i,c,o
  OutRef w_ref = ctx.weight(regroup_weight(w, order), n.name + "/W");
  OutRef r_ref = ctx.weight(regroup_weight(r, order), n.name + "/R");
  OutRef b_ref = ctx.weight(sequence_bias(n, nd, hidden, w.dtype), n.name + "/B");

  OutRef x = transpose(ctx, ctx.in(n, 0), {1, 0, 2}, n.name + "/x_batch_major");
  const std::vector<int64_t> swap01 = {1, 0, 2};
  OutRef h0 = transpose(ctx, ctx.in(n, 5), swap01, n.name + "/h0_batch_major");
  std::vector<OutRef> inputs = {x, h0};
  if (n.op == "LSTM")
    inputs.push_back(transpose(ctx, ctx.in(n, 6), swap01, n.name + "/c0_batch_major"));
  inputs.push_back(full_lengths(ctx, x, n.name + "/lengths"));
  inputs.insert(inputs.end(), {w_ref, r_ref, b_ref});

  Attrs attrs = {{"hidden_size", std::to_string(hidden)},
                 {"direction", direction},
                 {"activations", acts},
                 {"clip", "0"}};
  if (n.op == "GRU")
    attrs.push_back({"linear_before_reset", bool_attr(n.i("linear_before_reset", 0) != 0)});

  const Dims xd = ctx.dims(x);  // [batch, seq, in] (a copy: adding layers moves port infos)
  const ir::DType dt = ctx.dtype(x);
  const Dims y_dims = {xd[0], nd, xd[1], hidden};
  const Dims state_dims = {xd[0], nd, hidden};
  std::vector<PortInfo> outs = {{dt, y_dims}, {dt, state_dims}};
  if (n.op == "LSTM") outs.push_back({dt, state_dims});
  const std::string type = n.op == "LSTM"  ? "LSTMSequence"
                           : n.op == "GRU" ? "GRUSequence"
                                           : "RNNSequence";
  auto seq = ctx.b.add(type, "opset5", n.name + "/sequence", inputs, attrs, outs);

  // Back to ONNX's layouts, for the outputs the graph uses.
  if (n.outputs.size() > 0 && n.outputs[0])
    ctx.bind_output(n, transpose(ctx, seq[0], {2, 1, 0, 3}, n.name), 0);
  for (size_t k = 1; k < n.outputs.size() && k < seq.size(); ++k)
    if (n.outputs[k])
      ctx.bind_output(n, transpose(ctx, seq[k], swap01, n.name + "/state" + std::to_string(k)), k);
}

}  // namespace mlexport::emit::openvino

// Recurrent layers. aten::lstm / gru / rnn_tanh / rnn_relu become one ONNX LSTM / GRU / RNN node
// per layer, with the frozen weights reordered at export time into ONNX's gate order. An LSTM
// with proj_size (no ONNX equivalent) and the single-step *_cell ops are unrolled into
// MatMul / Add / Sigmoid / Tanh steps; the sequence length is fixed at export time there.
#include "frontend/torchscript/op/helpers.h"
#include "mlexport/diagnostics.h"
#include "torchmodel/tensor_convert.h"

namespace mlexport::frontend::torchscript {
namespace {

using ir::DType;

enum class CellKind { kLstm, kGru, kRnnTanh, kRnnRelu };

int64_t gate_count(CellKind kind) {
  switch (kind) {
    case CellKind::kLstm:
      return 4;
    case CellKind::kGru:
      return 3;
    default:
      return 1;
  }
}

// PyTorch gate blocks, as indices into ONNX's order: LSTM i,f,g,o -> i,o,f,c; GRU r,z,n -> z,r,h.
std::vector<int64_t> onnx_gate_order(CellKind kind) {
  switch (kind) {
    case CellKind::kLstm:
      return {0, 3, 1, 2};
    case CellKind::kGru:
      return {1, 0, 2};
    default:
      return {0};
  }
}

// Rows of a [gates * hidden, ...] weight (or bias) regrouped into `order`.
at::Tensor reorder_gates(const at::Tensor& w, const std::vector<int64_t>& order) {
  auto blocks = w.chunk(static_cast<int64_t>(order.size()), 0);
  std::vector<at::Tensor> picked;
  for (int64_t k : order) picked.push_back(blocks[k]);
  return at::cat(picked, 0);
}

ir::Value* const_tensor(TranslateContext& ctx, const at::Tensor& t, DType dt,
                        const std::string& hint) {
  return ctx.constant(torchmodel::to_ir_tensor(t.contiguous()).cast(dt), hint);
}

ir::Value* slice0(TranslateContext& ctx, ir::Value* x, int64_t begin, int64_t end) {
  return typed(ctx.op("Slice", {x, ctx.int64_vector({begin}), ctx.int64_vector({end}),
                                ctx.int64_vector({0})}),
               x->dtype);
}

// --- one time step, shared by the unrolled layers and the cell ops -----------------------------

// Projected input (x W_ih^T + biases) plus h W_hh^T.
ir::Value* add_recurrent(TranslateContext& ctx, ir::Value* xw, ir::Value* h, ir::Value* w_hh_t) {
  ir::Value* hw = typed(ctx.op("MatMul", {h, w_hh_t}), xw->dtype);
  return typed(ctx.op("Add", {xw, hw}), xw->dtype);
}

ir::Value* unary(TranslateContext& ctx, const char* op, ir::Value* x) {
  return typed(ctx.op(op, {x}), x->dtype);
}
ir::Value* binary(TranslateContext& ctx, const char* op, ir::Value* a, ir::Value* b) {
  return typed(ctx.op(op, {a, b}), a->dtype);
}

struct LstmState {
  ir::Value* h;
  ir::Value* c;
};

// xw: x W_ih^T + b_ih + b_hh, PyTorch gate order i,f,g,o. w_hr_t (proj_size) may be null.
LstmState lstm_step(TranslateContext& ctx, ir::Value* xw, LstmState s, ir::Value* w_hh_t,
                    ir::Value* w_hr_t, int64_t hidden) {
  auto g = split_last(ctx, add_recurrent(ctx, xw, s.h, w_hh_t), 4, hidden);
  ir::Value* i = unary(ctx, "Sigmoid", g[0]);
  ir::Value* f = unary(ctx, "Sigmoid", g[1]);
  ir::Value* cand = unary(ctx, "Tanh", g[2]);
  ir::Value* o = unary(ctx, "Sigmoid", g[3]);
  ir::Value* c = binary(ctx, "Add", binary(ctx, "Mul", f, s.c), binary(ctx, "Mul", i, cand));
  ir::Value* h = binary(ctx, "Mul", o, unary(ctx, "Tanh", c));
  if (w_hr_t) h = binary(ctx, "MatMul", h, w_hr_t);
  return {h, c};
}

// xw: x W_ih^T + b_ih (gate order r,z,n); b_hh may be null. n uses r * (h W_hn^T + b_hn).
ir::Value* gru_step(TranslateContext& ctx, ir::Value* xw, ir::Value* h, ir::Value* w_hh_t,
                    ir::Value* b_hh, int64_t hidden) {
  ir::Value* hw = binary(ctx, "MatMul", h, w_hh_t);
  if (b_hh) hw = binary(ctx, "Add", hw, b_hh);
  auto xg = split_last(ctx, xw, 3, hidden);
  auto hg = split_last(ctx, hw, 3, hidden);
  ir::Value* r = unary(ctx, "Sigmoid", binary(ctx, "Add", xg[0], hg[0]));
  ir::Value* z = unary(ctx, "Sigmoid", binary(ctx, "Add", xg[1], hg[1]));
  ir::Value* n = unary(ctx, "Tanh", binary(ctx, "Add", xg[2], binary(ctx, "Mul", r, hg[2])));
  // (1 - z) * n + z * h  ==  n + z * (h - n)
  return binary(ctx, "Add", n, binary(ctx, "Mul", z, binary(ctx, "Sub", h, n)));
}

// xw: x W_ih^T + b_ih + b_hh.
ir::Value* rnn_step(TranslateContext& ctx, ir::Value* xw, ir::Value* h, ir::Value* w_hh_t,
                    bool relu) {
  return unary(ctx, relu ? "Relu" : "Tanh", add_recurrent(ctx, xw, h, w_hh_t));
}

// --- full layers ------------------------------------------------------------------------------

struct LayerConfig {
  CellKind kind;
  bool has_biases;
  int64_t num_layers;
  bool bidirectional;
  bool batch_first;
  int64_t hidden;
  int64_t proj;  // LSTM proj_size, 0 when absent
  int64_t num_dirs() const { return bidirectional ? 2 : 1; }
  int64_t state_size() const { return proj > 0 ? proj : hidden; }
};

// The weights of one layer and direction, from the flat list PyTorch passes:
// per layer, per direction: w_ih, w_hh, [b_ih, b_hh], [w_hr].
struct DirectionWeights {
  at::Tensor w_ih, w_hh, b_ih, b_hh, w_hr;  // undefined when absent
};

DirectionWeights direction_weights(const std::vector<at::Tensor>& params, const LayerConfig& cfg,
                                   int64_t layer, int64_t dir) {
  const int64_t stride = 2 + (cfg.has_biases ? 2 : 0) + (cfg.proj > 0 ? 1 : 0);
  const int64_t base = (layer * cfg.num_dirs() + dir) * stride;
  if (base + stride > static_cast<int64_t>(params.size()))
    throw Error(ExitCode::kUnsupportedOps,
                "recurrent layer: the weight list is shorter than "
                "its layers, directions and biases need");
  DirectionWeights w;
  w.w_ih = params[base];
  w.w_hh = params[base + 1];
  if (cfg.has_biases) {
    w.b_ih = params[base + 2];
    w.b_hh = params[base + 3];
  }
  if (cfg.proj > 0) w.w_hr = params[base + stride - 1];
  return w;
}

// One ONNX LSTM / GRU / RNN node for `layer`, on X [seq, batch, input]. Returns Y as
// [seq, batch, dirs * hidden] and the final states [dirs, batch, hidden].
struct LayerOutputs {
  ir::Value* y;
  ir::Value* h;
  ir::Value* c = nullptr;
};

LayerOutputs onnx_layer(TranslateContext& ctx, const LayerConfig& cfg,
                        const std::vector<at::Tensor>& params, int64_t layer, ir::Value* x,
                        ir::Value* h0, ir::Value* c0, DType dt) {
  const auto order = onnx_gate_order(cfg.kind);
  const int64_t gates = gate_count(cfg.kind);
  std::vector<at::Tensor> w, r, b;
  for (int64_t dir = 0; dir < cfg.num_dirs(); ++dir) {
    DirectionWeights dw = direction_weights(params, cfg, layer, dir);
    w.push_back(reorder_gates(dw.w_ih, order));
    r.push_back(reorder_gates(dw.w_hh, order));
    if (cfg.has_biases) {
      b.push_back(at::cat({reorder_gates(dw.b_ih, order), reorder_gates(dw.b_hh, order)}));
    } else {
      b.push_back(at::zeros({2 * gates * cfg.hidden}, dw.w_ih.options()));
    }
  }
  std::vector<ir::Value*> inputs = {x,
                                    const_tensor(ctx, at::stack(w), dt, "rnn_w"),
                                    const_tensor(ctx, at::stack(r), dt, "rnn_r"),
                                    const_tensor(ctx, at::stack(b), dt, "rnn_b"),
                                    nullptr,
                                    h0};
  if (cfg.kind == CellKind::kLstm) inputs.push_back(c0);

  std::map<std::string, ir::Attribute> attrs = {
      {"hidden_size", cfg.hidden},
      {"direction", std::string(cfg.bidirectional ? "bidirectional" : "forward")}};
  const char* op = "RNN";
  if (cfg.kind == CellKind::kLstm) op = "LSTM";
  if (cfg.kind == CellKind::kGru) {
    op = "GRU";
    attrs["linear_before_reset"] = int64_t{1};
  }
  if (cfg.kind == CellKind::kRnnRelu)
    attrs["activations"] = std::vector<std::string>(cfg.num_dirs(), "Relu");
  ir::Node* n = ctx.emit(op, inputs, attrs, cfg.kind == CellKind::kLstm ? 3 : 2);
  for (ir::Value* v : n->outputs) v->dtype = dt;

  // Y [seq, dirs, batch, hidden] -> [seq, batch, dirs * hidden]
  ir::Value* y =
      typed(ctx.op("Transpose", {n->outputs[0]}, {{"perm", std::vector<int64_t>{0, 2, 1, 3}}}), dt);
  y = typed(ctx.op("Reshape", {y, ctx.int64_vector({0, 0, cfg.num_dirs() * cfg.hidden})}), dt);
  LayerOutputs out{y, n->outputs[1]};
  if (cfg.kind == CellKind::kLstm) out.c = n->outputs[2];
  return out;
}

ir::Value* transposed_const(TranslateContext& ctx, const at::Tensor& w, DType dt,
                            const std::string& hint) {
  return const_tensor(ctx, w.t(), dt, hint);
}

// An LSTM layer unrolled over the (export-time) sequence length: for LSTMs with proj_size.
LayerOutputs unrolled_lstm_layer(TranslateContext& ctx, const LayerConfig& cfg,
                                 const std::vector<at::Tensor>& params, int64_t layer, ir::Value* x,
                                 int64_t seq_len, ir::Value* h0, ir::Value* c0, DType dt) {
  std::vector<ir::Value*> ys, hs, cs;
  for (int64_t dir = 0; dir < cfg.num_dirs(); ++dir) {
    DirectionWeights dw = direction_weights(params, cfg, layer, dir);
    ir::Value* xw = binary(ctx, "MatMul", x, transposed_const(ctx, dw.w_ih, dt, "w_ih_t"));
    if (cfg.has_biases) xw = binary(ctx, "Add", xw, const_tensor(ctx, dw.b_ih + dw.b_hh, dt, "b"));
    ir::Value* w_hh_t = transposed_const(ctx, dw.w_hh, dt, "w_hh_t");
    ir::Value* w_hr_t = transposed_const(ctx, dw.w_hr, dt, "w_hr_t");
    auto squeeze0 = [&](ir::Value* v) {
      return typed(ctx.op("Squeeze", {v}, {{"axes", std::vector<int64_t>{0}}}), dt);
    };
    LstmState s{squeeze0(slice0(ctx, h0, dir, dir + 1)), squeeze0(slice0(ctx, c0, dir, dir + 1))};
    std::vector<ir::Value*> steps(seq_len);
    for (int64_t k = 0; k < seq_len; ++k) {
      const int64_t t = dir == 0 ? k : seq_len - 1 - k;
      ir::Value* xw_t =
          typed(ctx.op("Gather", {xw, ctx.constant(ir::Tensor::scalar_of(DType::Int64, double(t)))},
                       {{"axis", int64_t{0}}}),
                dt);
      s = lstm_step(ctx, xw_t, s, w_hh_t, w_hr_t, cfg.hidden);
      steps[t] = typed(ctx.op("Unsqueeze", {s.h}, {{"axes", std::vector<int64_t>{0}}}), dt);
    }
    ys.push_back(typed(ctx.op("Concat", steps, {{"axis", int64_t{0}}}), dt));
    hs.push_back(typed(ctx.op("Unsqueeze", {s.h}, {{"axes", std::vector<int64_t>{0}}}), dt));
    cs.push_back(typed(ctx.op("Unsqueeze", {s.c}, {{"axes", std::vector<int64_t>{0}}}), dt));
  }
  auto cat = [&](const std::vector<ir::Value*>& parts, int64_t axis) {
    return parts.size() == 1 ? parts[0] : typed(ctx.op("Concat", parts, {{"axis", axis}}), dt);
  };
  return {cat(ys, -1), cat(hs, 0), cat(cs, 0)};
}

std::vector<at::Tensor> static_params(TranslateContext& ctx, const JitValue* params) {
  if (!ctx.is_static(params))
    throw Error(ExitCode::kUnsupportedOps,
                "recurrent layer whose weights are computed from the inputs (only constant "
                "weights can be exported)");
  return ctx.recorded(params).toTensorVector();
}

void check_not_packed(const JitNode* node) {
  const c10::FunctionSchema* schema = node->maybeSchema();
  if (schema && schema->overload_name() == "data")
    throw Error(ExitCode::kUnsupportedOps,
                std::string(node->kind().toQualString()) +
                    " on a PackedSequence (pack_padded_sequence) is not supported; pass a padded "
                    "tensor instead");
}

// Shared body of the sequence ops. `hx` is h0 [layers * dirs, batch, state], for LSTM the list
// (h0, c0).
void translate_sequence(TranslateContext& ctx, const JitNode* node, CellKind kind) {
  check_not_packed(node);
  const DType dt = ctx.dtype(node->output(0));
  if (dt != DType::Float32 && dt != DType::Float64)
    throw Error(ExitCode::kUnsupportedOps, std::string(node->kind().toQualString()) +
                                               " in a dtype other than float32 / float64");
  // (input, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first)
  LayerConfig cfg{kind,
                  ctx.const_bool(node->input(3)),
                  ctx.const_int(node->input(4)),
                  ctx.const_bool(node->input(7)),
                  ctx.const_bool(node->input(8)),
                  0,
                  0};
  if (ctx.const_bool(node->input(6)) && ctx.const_double(node->input(5)) > 0)
    throw Error(ExitCode::kUnsupportedOps,
                "recurrent layer traced in training mode with dropout; export the eval model");
  const std::vector<at::Tensor> params = static_params(ctx, node->input(2));
  if (params.empty()) throw Error(ExitCode::kUnsupportedOps, "recurrent layer without weights");
  const int64_t gates = gate_count(kind);
  cfg.hidden = params[0].size(0) / gates;
  const at::Tensor& w_hh0 = params[1];
  if (w_hh0.size(1) != cfg.hidden) cfg.proj = w_hh0.size(1);
  if (cfg.proj > 0 && kind != CellKind::kLstm)
    throw Error(ExitCode::kUnsupportedOps, "proj_size on a recurrent layer other than LSTM");

  ir::Value* x = ctx.tensor_as(node->input(0), dt);
  if (cfg.batch_first)
    x = typed(ctx.op("Transpose", {x}, {{"perm", std::vector<int64_t>{1, 0, 2}}}), dt);
  const int64_t seq_len = ctx.sizes(node->input(0))[cfg.batch_first ? 1 : 0];

  std::vector<ir::Value*> states;
  if (kind == CellKind::kLstm) {
    for (ir::Value* v : ctx.tensor_list(node->input(1))) states.push_back(ctx.cast(v, dt));
    if (states.size() != 2)
      throw Error(ExitCode::kUnsupportedOps, "aten::lstm whose hx is not the pair (h0, c0)");
  } else {
    states.push_back(ctx.tensor_as(node->input(1), dt));
  }
  std::vector<ir::Value*> final_h, final_c;
  const int64_t dirs = cfg.num_dirs();
  for (int64_t layer = 0; layer < cfg.num_layers; ++layer) {
    ir::Value* h0 = slice0(ctx, states[0], layer * dirs, (layer + 1) * dirs);
    ir::Value* c0 = kind == CellKind::kLstm
                        ? slice0(ctx, states[1], layer * dirs, (layer + 1) * dirs)
                        : nullptr;
    LayerOutputs out = cfg.proj > 0
                           ? unrolled_lstm_layer(ctx, cfg, params, layer, x, seq_len, h0, c0, dt)
                           : onnx_layer(ctx, cfg, params, layer, x, h0, c0, dt);
    x = out.y;
    final_h.push_back(out.h);
    if (out.c) final_c.push_back(out.c);
  }
  ir::Value* y = x;
  if (cfg.batch_first)
    y = typed(ctx.op("Transpose", {y}, {{"perm", std::vector<int64_t>{1, 0, 2}}}), dt);
  auto stack = [&](const std::vector<ir::Value*>& parts) {
    return parts.size() == 1 ? parts[0]
                             : typed(ctx.op("Concat", parts, {{"axis", int64_t{0}}}), dt);
  };
  ctx.bind(node->output(0), y);
  ctx.bind(node->output(1), stack(final_h));
  if (kind == CellKind::kLstm) ctx.bind(node->output(2), stack(final_c));
}

// aten::lstm.input(Tensor input, Tensor[] hx, Tensor[] params, bool has_biases, int num_layers,
//     float dropout, bool train, bool bidirectional, bool batch_first) -> (Tensor, Tensor, Tensor)
void translate_lstm(TranslateContext& ctx, const JitNode* node) {
  translate_sequence(ctx, node, CellKind::kLstm);
}

// aten::gru.input(Tensor input, Tensor hx, Tensor[] params, bool has_biases, int num_layers,
//     float dropout, bool train, bool bidirectional, bool batch_first) -> (Tensor, Tensor)
void translate_gru(TranslateContext& ctx, const JitNode* node) {
  translate_sequence(ctx, node, CellKind::kGru);
}

// aten::rnn_tanh.input(Tensor input, Tensor hx, Tensor[] params, bool has_biases, int num_layers,
//     float dropout, bool train, bool bidirectional, bool batch_first) -> (Tensor, Tensor)
void translate_rnn_tanh(TranslateContext& ctx, const JitNode* node) {
  translate_sequence(ctx, node, CellKind::kRnnTanh);
}

// aten::rnn_relu.input: as aten::rnn_tanh.input
void translate_rnn_relu(TranslateContext& ctx, const JitNode* node) {
  translate_sequence(ctx, node, CellKind::kRnnRelu);
}

// --- cells -------------------------------------------------------------------------------------

// W^T of a [gates * hidden, in] weight: transposed at export time when constant.
ir::Value* cell_weight_t(TranslateContext& ctx, const JitValue* w, DType dt) {
  if (ctx.is_static(w)) return transposed_const(ctx, ctx.recorded(w).toTensor(), dt, "w_t");
  return typed(ctx.op("Transpose", {ctx.tensor_as(w, dt)}, {{"perm", std::vector<int64_t>{1, 0}}}),
               dt);
}

ir::Value* optional_bias(TranslateContext& ctx, const JitValue* b, DType dt) {
  return ctx.is_none(b) ? nullptr : ctx.tensor_as(b, dt);
}

// x W_ih^T (+ b_ih) (+ b_hh when `with_b_hh`).
ir::Value* cell_input_projection(TranslateContext& ctx, const JitNode* node, DType dt,
                                 bool with_b_hh) {
  ir::Value* xw = binary(ctx, "MatMul", ctx.tensor_as(node->input(0), dt),
                         cell_weight_t(ctx, node->input(2), dt));
  if (ir::Value* b = optional_bias(ctx, node->input(4), dt)) xw = binary(ctx, "Add", xw, b);
  if (with_b_hh)
    if (ir::Value* b = optional_bias(ctx, node->input(5), dt)) xw = binary(ctx, "Add", xw, b);
  return xw;
}

int64_t cell_hidden(TranslateContext& ctx, const JitNode* node) {
  return ctx.sizes(node->input(3))[1];  // w_hh: [gates * hidden, hidden]
}

// aten::lstm_cell(Tensor input, Tensor[] hx, Tensor w_ih, Tensor w_hh, Tensor? b_ih=None,
//     Tensor? b_hh=None) -> (Tensor, Tensor)
void translate_lstm_cell(TranslateContext& ctx, const JitNode* node) {
  const DType dt = ctx.dtype(node->output(0));
  std::vector<ir::Value*> hx = ctx.tensor_list(node->input(1));
  LstmState s{ctx.cast(hx.at(0), dt), ctx.cast(hx.at(1), dt)};
  s = lstm_step(ctx, cell_input_projection(ctx, node, dt, true), s,
                cell_weight_t(ctx, node->input(3), dt), nullptr, cell_hidden(ctx, node));
  ctx.bind(node->output(0), s.h);
  ctx.bind(node->output(1), s.c);
}

// aten::gru_cell(Tensor input, Tensor hx, Tensor w_ih, Tensor w_hh, Tensor? b_ih=None,
//     Tensor? b_hh=None) -> Tensor
void translate_gru_cell(TranslateContext& ctx, const JitNode* node) {
  const DType dt = ctx.dtype(node->output());
  ir::Value* h = gru_step(ctx, cell_input_projection(ctx, node, dt, false),
                          ctx.tensor_as(node->input(1), dt), cell_weight_t(ctx, node->input(3), dt),
                          optional_bias(ctx, node->input(5), dt), cell_hidden(ctx, node));
  bind_output(ctx, node, h);
}

void rnn_cell(TranslateContext& ctx, const JitNode* node, bool relu) {
  const DType dt = ctx.dtype(node->output());
  bind_output(
      ctx, node,
      rnn_step(ctx, cell_input_projection(ctx, node, dt, true), ctx.tensor_as(node->input(1), dt),
               cell_weight_t(ctx, node->input(3), dt), relu));
}

// aten::rnn_tanh_cell(Tensor input, Tensor hx, Tensor w_ih, Tensor w_hh, Tensor? b_ih=None,
//     Tensor? b_hh=None) -> Tensor
void translate_rnn_tanh_cell(TranslateContext& ctx, const JitNode* node) {
  rnn_cell(ctx, node, false);
}

// aten::rnn_relu_cell: as aten::rnn_tanh_cell
void translate_rnn_relu_cell(TranslateContext& ctx, const JitNode* node) {
  rnn_cell(ctx, node, true);
}

}  // namespace

std::vector<OpRule> recurrent_rules() {
  return {
      {"aten::lstm", translate_lstm,
       "LSTM per layer, gates reordered at export (OpenVINO: LSTMSequence-5); with proj_size: "
       "unrolled MatMul/Sigmoid/Tanh steps, sequence length fixed at export"},
      {"aten::gru", translate_gru,
       "GRU per layer, linear_before_reset=1 (OpenVINO: GRUSequence-5)"},
      {"aten::rnn_tanh", translate_rnn_tanh, "RNN per layer, Tanh (OpenVINO: RNNSequence-5)"},
      {"aten::rnn_relu", translate_rnn_relu, "RNN per layer, Relu (OpenVINO: RNNSequence-5)"},
      {"aten::lstm_cell", translate_lstm_cell, "MatMul + Add + Split + Sigmoid/Tanh + Mul"},
      {"aten::gru_cell", translate_gru_cell, "MatMul + Add + Split + Sigmoid/Tanh + Mul + Sub"},
      {"aten::rnn_tanh_cell", translate_rnn_tanh_cell, "MatMul + Add + Tanh"},
      {"aten::rnn_relu_cell", translate_rnn_relu_cell, "MatMul + Add + Relu"},
  };
}

}  // namespace mlexport::frontend::torchscript

// LSTMSequence-5 / GRUSequence-5 / RNNSequence-5 -> ONNX LSTM / GRU / RNN, from the OpenVINO
// opset specification. OpenVINO is batch-major (X [batch, seq, in], states [batch, dirs, hidden],
// Y [batch, dirs, seq, hidden]), ONNX sequence-major: Transposes in and out. Gate blocks are
// regrouped with Split + Concat rather than on constants, because weights may arrive computed
// (fp16-compressed weights are a Convert of a Const).
#include "frontend/openvino_ir/rules.h"

namespace mlexport::frontend::openvino_ir {

namespace {

ir::Value* transpose(Reader& r, const LayerDesc& l, ir::Value* x, std::vector<int64_t> perm,
                     std::optional<ir::Shape> shape = std::nullopt) {
  return r.helper(l, "Transpose", {x}, x->dtype, std::move(shape), {{"perm", std::move(perm)}});
}

// The `parts` equal blocks of x along axis 1 (x: [dirs, parts * hidden, ...]).
std::vector<ir::Value*> blocks(Reader& r, const LayerDesc& l, ir::Value* x, int64_t parts,
                               int64_t hidden) {
  ir::Node* n =
      r.g.add_node("Split", {x}, static_cast<size_t>(parts),
                   {{"axis", int64_t{1}}, {"split", std::vector<int64_t>(parts, hidden)}});
  n->source = l.name;
  for (ir::Value* v : n->outputs) v->dtype = x->dtype;
  return n->outputs;
}

ir::Value* concat1(Reader& r, const LayerDesc& l, std::vector<ir::Value*> parts) {
  const ir::DType dt = parts.front()->dtype;
  return r.helper(l, "Concat", std::move(parts), dt, std::nullopt, {{"axis", int64_t{1}}});
}

// Weights [dirs, gates * hidden, k] with OpenVINO's blocks picked into ONNX's order.
ir::Value* regroup(Reader& r, const LayerDesc& l, ir::Value* w, const std::vector<int64_t>& order,
                   int64_t hidden) {
  if (order.size() == 1) return w;
  auto parts = blocks(r, l, w, static_cast<int64_t>(order.size()), hidden);
  std::vector<ir::Value*> picked;
  for (int64_t k : order) picked.push_back(parts[static_cast<size_t>(k)]);
  return concat1(r, l, picked);
}

std::vector<std::string> onnx_activations(Reader& r, const LayerDesc& l,
                                          const std::string& fallback, int64_t dirs) {
  std::string text = r.attr(l, "activations", fallback);
  if (text.empty()) text = fallback;
  std::vector<std::string> one_dir;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    std::string a = text.substr(start, end - start);
    a.erase(0, a.find_first_not_of(' '));
    a.erase(a.find_last_not_of(' ') + 1);
    if (a == "sigmoid")
      one_dir.push_back("Sigmoid");
    else if (a == "tanh")
      one_dir.push_back("Tanh");
    else if (a == "relu")
      one_dir.push_back("Relu");
    else
      throw r.unsupported(l, "activation '" + a + "'");
    start = end + 1;
  }
  std::vector<std::string> all;
  for (int64_t d = 0; d < dirs; ++d) all.insert(all.end(), one_dir.begin(), one_dir.end());
  return all;
}

}  // namespace

void rule_recurrent_sequence(Reader& r, const LayerDesc& l) {
  const bool lstm = l.type == "LSTMSequence";
  const bool gru = l.type == "GRUSequence";
  const int64_t hidden = r.required_int(l, "hidden_size");
  const std::string direction = r.required(l, "direction");
  if (direction != "forward" && direction != "reverse" && direction != "bidirectional")
    throw r.malformed(l, "direction '" + direction + "'");
  const int64_t dirs = direction == "bidirectional" ? 2 : 1;
  if (r.float_attr(l, "clip", 0.0) != 0.0) throw r.unsupported(l, "clip");
  if (!r.attr(l, "activations_alpha", "").empty() || !r.attr(l, "activations_beta", "").empty())
    throw r.unsupported(l, "activations_alpha / activations_beta");
  const bool lbr = gru && r.bool_attr(l, "linear_before_reset", false);
  const int64_t gates = lstm ? 4 : gru ? 3 : 1;

  // Inputs: X, H0, [C0], sequence_lengths, W, R, B.
  const size_t base = lstm ? 3 : 2;
  ir::Value* x = transpose(r, l, r.input(l, 0), {1, 0, 2});
  ir::Value* h0 = transpose(r, l, r.input(l, 1), {1, 0, 2});
  ir::Value* c0 = lstm ? transpose(r, l, r.input(l, 2), {1, 0, 2}) : nullptr;
  ir::Value* lengths = r.input(l, base);
  lengths = r.helper(l, "Cast", {lengths}, ir::DType::Int32, lengths->shape,
                     {{"to", static_cast<int64_t>(ir::DType::Int32)}});

  // OpenVINO f,i,c,o -> ONNX i,o,f,c; GRU and RNN share ONNX's order.
  std::vector<int64_t> order(static_cast<size_t>(gates));
  for (size_t k = 0; k < order.size(); ++k) order[k] = static_cast<int64_t>(k);
  if (lstm) order = {1, 3, 0, 2};
  ir::Value* w = regroup(r, l, r.input(l, base + 1), order, hidden);
  ir::Value* rw = regroup(r, l, r.input(l, base + 2), order, hidden);

  // B: one bias per gate (Wb + Rb), so ONNX's Rb half is zero; GRU with linear_before_reset
  // carries Rb_h as a fourth block, which goes to Rb's h block.
  ir::Value* b = r.input(l, base + 3);
  const ir::DType dt = b->dtype;
  auto zeros = [&](int64_t n_blocks) {
    return r.constant(ir::Tensor(dt, {dirs, n_blocks * hidden}), l.name + "/zero_bias");
  };
  ir::Value* onnx_b;
  if (lbr) {
    auto parts = blocks(r, l, b, 4, hidden);
    onnx_b = concat1(r, l, {parts[0], parts[1], parts[2], zeros(2), parts[3]});
  } else {
    onnx_b = concat1(r, l, {regroup(r, l, b, order, hidden), zeros(gates)});
  }

  std::map<std::string, ir::Attribute> attrs = {{"hidden_size", hidden}, {"direction", direction}};
  if (lstm) {
    attrs["activations"] = onnx_activations(r, l, "sigmoid,tanh,tanh", dirs);
  } else if (gru) {
    attrs["activations"] = onnx_activations(r, l, "sigmoid,tanh", dirs);
    attrs["linear_before_reset"] = int64_t{lbr ? 1 : 0};
  } else {
    attrs["activations"] = onnx_activations(r, l, "tanh", dirs);
  }
  std::vector<ir::Value*> inputs = {x, w, rw, onnx_b, lengths, h0};
  if (lstm) inputs.push_back(c0);
  const char* op = lstm ? "LSTM" : gru ? "GRU" : "RNN";
  ir::Node* n = r.g.add_node(op, inputs, lstm ? 3 : 2, attrs);
  n->source = l.name;
  for (ir::Value* v : n->outputs) v->dtype = x->dtype;

  // Y [seq, dirs, batch, hidden] -> [batch, dirs, seq, hidden]; states [dirs, batch, hidden] ->
  // [batch, dirs, hidden].
  r.set_output(l, 0, transpose(r, l, n->outputs[0], {2, 1, 0, 3}, r.port_shape(l.outputs.at(0))));
  for (size_t k = 1; k < n->outputs.size() && k < l.outputs.size(); ++k)
    r.set_output(l, k, transpose(r, l, n->outputs[k], {1, 0, 2}, r.port_shape(l.outputs[k])));
}

}  // namespace mlexport::frontend::openvino_ir

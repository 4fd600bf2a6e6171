#include "frontend/onnx/shape_inference.h"

#include <onnx/defs/schema.h>
#include <onnx/shape_inference/implementation.h>

#include <algorithm>
#include <cstring>
#include <mutex>
#include <optional>
#include <set>
#include <string_view>

#include "frontend/onnx/model_file.h"

namespace mlexport::frontend::onnx {

namespace {

constexpr int kMaxRounds = 8;  // each round unlocks the values after one more such op
// No real model comes near this rank; a shape operand of 100 000 elements in a hostile file would
// otherwise make every later value that rank, and each inference round slower.
constexpr int64_t kMaxFallbackRank = 64;

// libonnx 1.12's Conv inference takes the kernel's size from the weight's shape without checking
// that the weight has the input's rank, and reads past it (fuzz_onnx found the crashes). Such a
// node's output is left to the fallbacks below instead.
bool conv_kernel_is_readable(::onnx::InferenceContext& ctx, size_t weight) {
  if (ctx.getAttribute("kernel_shape")) return true;  // libonnx checks its length itself
  const ::onnx::TypeProto* x = ctx.getNumInputs() > 0 ? ctx.getInputType(0) : nullptr;
  const ::onnx::TypeProto* w = ctx.getNumInputs() > weight ? ctx.getInputType(weight) : nullptr;
  if (!x || !x->has_tensor_type() || !x->tensor_type().has_shape()) return true;  // not read
  if (!w || !w->has_tensor_type() || !w->tensor_type().has_shape()) return false;
  const int rank = x->tensor_type().shape().dim_size();
  return rank >= 3 && w->tensor_type().shape().dim_size() == rank;
}

// libonnx 1.12's data propagation dereferences the type of every input, which is null for the
// output of an op it does not know (a Shape of it crashed, found by fuzz_onnx): such a node
// propagates nothing instead.
bool input_types_known(::onnx::DataPropagationContext& ctx) {
  for (size_t k = 0; k < ctx.getNumInputs(); ++k)
    if (!ctx.getInputType(k)) return false;
  return true;
}

// Wraps the functions in libonnx's schema registry once, so the guards hold for every later
// inference in the process (the ONNX emitter's checks too; valid models never trip them).
void guard_libonnx_inference() {
  static std::once_flag once;
  std::call_once(once, [] {
    for (const ::onnx::OpSchema& copy : ::onnx::OpSchemaRegistry::get_all_schemas_with_history()) {
      const ::onnx::OpSchema* schema =
          ::onnx::OpSchemaRegistry::Schema(copy.Name(), copy.SinceVersion(), copy.domain());
      if (!schema) continue;
      auto* editable = const_cast<::onnx::OpSchema*>(schema);
      auto original = editable->GetDataPropagationFunction();
      editable->PartialDataPropagationFunction([original](::onnx::DataPropagationContext& ctx) {
        if (input_types_known(ctx)) original(ctx);
      });
    }
    const std::pair<const char*, size_t> ops[] = {
        {"Conv", 1}, {"ConvInteger", 1}, {"ConvTranspose", 1}, {"QLinearConv", 3}};
    for (const auto& [op, weight] : ops) {
      std::set<const ::onnx::OpSchema*> seen;
      for (int version = 1; version <= 17; ++version) {
        const ::onnx::OpSchema* schema = ::onnx::OpSchemaRegistry::Schema(op, version);
        if (!schema || !seen.insert(schema).second) continue;
        auto* editable = const_cast<::onnx::OpSchema*>(schema);
        auto original = editable->GetTypeAndShapeInferenceFunction();
        if (!original) continue;
        const size_t w = weight;
        editable->TypeAndShapeInferenceFunction([original, w](::onnx::InferenceContext& ctx) {
          if (conv_kernel_is_readable(ctx, w)) original(ctx);
        });
      }
    }
  });
}

void run_onnx_inference(::onnx::ModelProto& model) {
  guard_libonnx_inference();
  for (bool propagate : {true, false}) {
    try {
      ::onnx::shape_inference::InferShapes(
          model, ::onnx::OpSchemaRegistry::Instance(),
          ::onnx::ShapeInferenceOptions(/*check_type=*/false, /*error_mode=*/0, propagate));
      return;
    } catch (const std::exception&) {
      // Without data propagation, or with what the file's value_info says.
    }
  }
}

// Ops whose outputs have the rank of input 0 whatever their run-time operands are.
bool keeps_input_rank(std::string_view op) {
  static const std::set<std::string_view> kOps = {"Slice", "Pad",  "Resize", "Upsample",
                                                  "Tile",  "TopK", "Split",  "ReverseSequence"};
  return kOps.count(op) != 0;
}

// Sizes along the axes a Slice leaves alone stay; the others are unknown.
void copy_unsliced_dims(const ::onnx::NodeProto& node, const ::onnx::GraphProto& g,
                        const ::onnx::TensorShapeProto& in, ::onnx::TensorShapeProto* out) {
  if (node.op_type() != "Slice" || node.input_size() < 4) return;
  for (const auto& t : g.initializer()) {
    if (t.name() != node.input(3) || t.data_type() != ::onnx::TensorProto::INT64) continue;
    std::vector<int64_t> axes(t.int64_data().begin(), t.int64_data().end());
    if (axes.empty() && t.raw_data().size() % 8 == 0) {
      axes.resize(t.raw_data().size() / 8);
      std::memcpy(axes.data(), t.raw_data().data(), t.raw_data().size());
    }
    const int rank = in.dim_size();
    std::set<int64_t> sliced;
    for (int64_t a : axes) sliced.insert(a < 0 ? a + rank : a);
    for (int d = 0; d < rank; ++d)
      if (!sliced.count(d)) *out->mutable_dim(d) = in.dim(d);
  }
}

// The static length of a 1-D value (a shape or axes operand), if known.
std::optional<int> static_length(const std::map<std::string, ::onnx::TypeProto*>& known,
                                 const ::onnx::GraphProto& g, const std::string& name) {
  for (const auto& t : g.initializer())
    if (t.name() == name && t.dims_size() == 1) {
      if (t.dims(0) < 0 || t.dims(0) > kMaxFallbackRank) return std::nullopt;
      return static_cast<int>(t.dims(0));
    }
  auto it = known.find(name);
  if (it == known.end() || !it->second->tensor_type().has_shape()) return std::nullopt;
  const auto& shape = it->second->tensor_type().shape();
  if (shape.dim_size() != 1 || !shape.dim(0).has_dim_value()) return std::nullopt;
  const int64_t length = shape.dim(0).dim_value();
  if (length < 0 || length > kMaxFallbackRank) return std::nullopt;
  return static_cast<int>(length);
}

// The rank of output k of `node` when ONNX could not infer it, from its operands' static shapes.
std::optional<int> fallback_rank(const ::onnx::NodeProto& node,
                                 const std::map<std::string, ::onnx::TypeProto*>& known,
                                 const ::onnx::GraphProto& g) {
  const std::string& op = node.op_type();
  auto input_rank = [&](int k) -> std::optional<int> {
    if (k >= node.input_size()) return std::nullopt;
    auto it = known.find(node.input(k));
    if (it == known.end() || !it->second->tensor_type().has_shape()) return std::nullopt;
    return it->second->tensor_type().shape().dim_size();
  };
  auto length = [&](int k) -> std::optional<int> {
    if (k >= node.input_size() || node.input(k).empty()) return std::nullopt;
    return static_length(known, g, node.input(k));
  };
  if (keeps_input_rank(op)) return input_rank(0);
  if (op == "Reshape") return length(1);
  if (op == "ConstantOfShape") return length(0);
  if (op == "Expand") {
    auto r = input_rank(0), n = length(1);
    if (r && n) return std::max(*r, *n);
    return std::nullopt;
  }
  if (op == "Unsqueeze" || op == "Squeeze") {
    auto r = input_rank(0), n = length(1);
    if (r && n) return op == "Unsqueeze" ? *r + *n : *r - *n;
  }
  return std::nullopt;
}

// Rank-only types for outputs ONNX left without a shape. Returns true when any was added.
bool add_fallback_ranks(::onnx::ModelProto& model) {
  ::onnx::GraphProto& g = *model.mutable_graph();
  std::map<std::string, ::onnx::TypeProto*> known;
  for (auto& vi : *g.mutable_input()) known[vi.name()] = vi.mutable_type();
  for (auto& vi : *g.mutable_value_info()) known[vi.name()] = vi.mutable_type();
  for (auto& vi : *g.mutable_output()) known[vi.name()] = vi.mutable_type();
  bool added = false;
  for (const auto& node : g.node()) {
    if (!is_default_domain(node.domain()) || node.input_size() == 0) continue;
    for (int k = 0; k < node.output_size(); ++k) {
      const std::string& name = node.output(k);
      if (name.empty()) continue;
      auto found = known.find(name);
      if (found != known.end() && found->second->tensor_type().has_shape()) continue;
      const std::optional<int> rank = fallback_rank(node, known, g);
      if (!rank || *rank < 0 || *rank > kMaxFallbackRank) continue;
      auto in = known.find(node.input(0));
      const int input_elem = in != known.end() ? in->second->tensor_type().elem_type()
                                               : ::onnx::TensorProto::UNDEFINED;
      ::onnx::TypeProto* type = found != known.end() ? found->second : nullptr;
      if (!type) {
        auto* vi = g.add_value_info();
        vi->set_name(name);
        type = known[name] = vi->mutable_type();
      }
      auto* tensor = type->mutable_tensor_type();
      if (tensor->elem_type() == ::onnx::TensorProto::UNDEFINED) {
        // TopK's indices are int64, ConstantOfShape's dtype is its value's; every other output
        // here has the dtype of input 0.
        if (node.op_type() == "TopK" && k == 1)
          tensor->set_elem_type(::onnx::TensorProto::INT64);
        else if (node.op_type() != "ConstantOfShape")
          tensor->set_elem_type(input_elem);
      }
      auto* shape = tensor->mutable_shape();
      for (int d = 0; d < *rank; ++d) shape->add_dim();
      if (in != known.end() && in->second->tensor_type().has_shape() &&
          in->second->tensor_type().shape().dim_size() == *rank)
        copy_unsliced_dims(node, g, in->second->tensor_type().shape(), shape);
      added = true;
    }
  }
  return added;
}

}  // namespace

TypeMap infer_types(::onnx::ModelProto& model) {
  for (int round = 0; round < kMaxRounds; ++round) {
    run_onnx_inference(model);
    if (!add_fallback_ranks(model)) break;
  }
  TypeMap types;
  const auto& g = model.graph();
  for (const auto& vi : g.input()) types[vi.name()] = value_type(vi.type());
  for (const auto& vi : g.value_info()) types[vi.name()] = value_type(vi.type());
  for (const auto& vi : g.output()) types[vi.name()] = value_type(vi.type());
  return types;
}

}  // namespace mlexport::frontend::onnx

#include "runtime/libtorch/reference_values.h"

#include <torch/csrc/jit/runtime/interpreter.h>

#include <unordered_map>

#include "mlexport/diagnostics.h"
#include "torchmodel/tensor_convert.h"

namespace mlexport::runtime::libtorch {

void flatten_tensors(const c10::IValue& value, std::vector<ir::Tensor>& out) {
  if (value.isTensor()) {
    out.push_back(torchmodel::to_ir_tensor(value.toTensor()));
  } else if (value.isTuple()) {
    for (const auto& e : value.toTupleRef().elements()) flatten_tensors(e, out);
  } else if (value.isList()) {
    for (const auto& e : value.toListRef()) flatten_tensors(e, out);
  } else if (value.isGenericDict()) {
    for (const auto& entry : value.toGenericDict()) flatten_tensors(entry.value(), out);
  } else {
    throw bad_input(std::string("the model returns a ") + value.tagKind() +
                    "; only tensors, tuples, lists and dicts of tensors are supported");
  }
}

std::map<std::string, ir::Tensor> capture_values(const std::shared_ptr<torch::jit::Graph>& graph,
                                                 const c10::IValue& self,
                                                 const std::vector<at::Tensor>& inputs,
                                                 const std::vector<std::string>& names) {
  return run_replaced(graph, self, inputs, names, {}, false).values;
}

CapturedRun run_replaced(const std::shared_ptr<torch::jit::Graph>& graph, const c10::IValue& self,
                         const std::vector<at::Tensor>& inputs,
                         const std::vector<std::string>& names,
                         const std::map<std::string, ir::Tensor>& replaced, bool with_outputs) {
  // Keys are debug names of `graph`; a number-only name is not kept by copy(), so the copy's
  // values are found by position (copy() keeps the order of inputs, nodes and outputs).
  std::shared_ptr<torch::jit::Graph> copy = graph->copy();
  std::unordered_map<std::string, torch::jit::Value*> by_name;
  for (size_t k = 0; k < graph->inputs().size(); ++k)
    by_name[graph->inputs()[k]->debugName()] = copy->inputs()[k];
  auto original = graph->nodes().begin();
  for (torch::jit::Node* node : copy->nodes()) {
    for (size_t k = 0; k < node->outputs().size(); ++k)
      by_name[original->outputs()[k]->debugName()] = node->outputs()[k];
    ++original;
  }
  const size_t kept_outputs = with_outputs ? copy->outputs().size() : 0;
  while (copy->outputs().size() > kept_outputs) copy->eraseOutput(copy->outputs().size() - 1);

  // A replaced value becomes an input of the copy: every use reads the given tensor instead.
  std::vector<at::Tensor> replacements;
  for (const auto& [name, tensor] : replaced) {
    auto it = by_name.find(name);
    if (it == by_name.end() || it->second->type()->kind() != c10::TypeKind::TensorType)
      throw Error(ExitCode::kInternal, "no tensor value '" + name + "' to replace in the model");
    torch::jit::Value* in = copy->addInput()->setType(it->second->type());
    it->second->replaceAllUsesWith(in);
    replacements.push_back(torchmodel::to_torch_tensor(tensor));
  }

  std::vector<std::string> captured;
  for (const std::string& name : names) {
    auto it = by_name.find(name);
    if (it == by_name.end() || it->second->type()->kind() != c10::TypeKind::TensorType) continue;
    torch::jit::Value* v = it->second;
    // A clone right after the value is made: an in-place op later in the graph must not change
    // what is compared.
    torch::jit::Node* after =
        v->node()->kind() == c10::prim::Param ? copy->block()->nodes().front() : v->node()->next();
    torch::jit::WithInsertPoint point(after);
    copy->registerOutput(copy->insert(c10::aten::clone, {v}));
    captured.push_back(name);
  }
  if (captured.empty() && !with_outputs) return {};

  torch::NoGradGuard no_grad;
  torch::jit::Stack stack;
  size_t k = 0;
  for (const torch::jit::Value* in : graph->inputs()) {
    if (in->type()->kind() == c10::TypeKind::ClassType) {
      stack.push_back(self);
    } else {
      if (k >= inputs.size()) throw bad_input("too few inputs for the model");
      stack.emplace_back(inputs[k++]);
    }
  }
  for (const at::Tensor& t : replacements) stack.emplace_back(t);
  torch::jit::Code code(copy, "mlexport_reference_values");
  torch::jit::InterpreterState(code).run(stack);
  if (stack.size() != kept_outputs + captured.size())
    throw Error(ExitCode::kInternal, "the reference run returned " + std::to_string(stack.size()) +
                                         " values for " +
                                         std::to_string(kept_outputs + captured.size()));
  CapturedRun out;
  for (size_t i = 0; i < kept_outputs; ++i) flatten_tensors(stack[i], out.outputs);
  for (size_t i = 0; i < captured.size(); ++i)
    out.values.emplace(captured[i],
                       torchmodel::to_ir_tensor(stack[kept_outputs + i].toTensor().contiguous()));
  return out;
}

}  // namespace mlexport::runtime::libtorch

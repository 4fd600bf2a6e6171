#include "runtime/libtorch/reference_values.h"

#include <torch/csrc/jit/runtime/interpreter.h>

#include <unordered_map>

#include "mlexport/diagnostics.h"
#include "torchmodel/tensor_convert.h"

namespace mlexport::runtime::libtorch {

std::map<std::string, ir::Tensor> capture_values(const std::shared_ptr<torch::jit::Graph>& graph,
                                                 const c10::IValue& self,
                                                 const std::vector<at::Tensor>& inputs,
                                                 const std::vector<std::string>& names) {
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
  while (!copy->outputs().empty()) copy->eraseOutput(0);

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
  if (captured.empty()) return {};

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
  torch::jit::Code code(copy, "mlexport_reference_values");
  torch::jit::InterpreterState(code).run(stack);
  if (stack.size() != captured.size())
    throw Error(ExitCode::kInternal, "the reference run returned " + std::to_string(stack.size()) +
                                         " values for " + std::to_string(captured.size()));
  std::map<std::string, ir::Tensor> out;
  for (size_t i = 0; i < captured.size(); ++i)
    out.emplace(captured[i], torchmodel::to_ir_tensor(stack[i].toTensor().contiguous()));
  return out;
}

}  // namespace mlexport::runtime::libtorch

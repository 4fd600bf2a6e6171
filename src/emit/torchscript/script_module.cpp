#include <torch/csrc/jit/api/compilation_unit.h>
#include <torch/csrc/jit/passes/dead_code_elimination.h>

#include "emit/torchscript/script_module_source.h"

namespace mlexport::emit::torchscript {

::torch::jit::Module module_from_graph(std::shared_ptr<::torch::jit::Graph> graph) {
  auto cu = std::make_shared<::torch::jit::CompilationUnit>();
  ::torch::jit::Module module(::c10::QualifiedName("__torch__.mlexport.ExportedModule"), cu);
  // Python's eval() and train() look for this attribute on every module.
  module.register_attribute("training", ::c10::BoolType::get(), false);
  auto self = graph->insertInput(0, "self");
  self->setType(module._ivalue()->type());
  // A method returns one value: several outputs become a tuple.
  if (graph->outputs().size() != 1) {
    std::vector<::torch::jit::Value*> outputs(graph->outputs().begin(), graph->outputs().end());
    while (!graph->outputs().empty()) graph->eraseOutput(0);
    auto* tuple = graph->insertNode(graph->createTuple(outputs));
    graph->registerOutput(tuple->output());
  }
  // Traced shapes describe one example; the saved code must not promise them.
  for (auto* input : graph->inputs())
    if (input->type()->cast<::c10::TensorType>()) input->setType(::c10::TensorType::get());
  ::torch::jit::EliminateDeadCode(graph);
  auto* fn = cu->create_function(::c10::QualifiedName(*module.type()->name(), "forward"), graph);
  module.type()->addMethod(fn);
  return module;
}

}  // namespace mlexport::emit::torchscript

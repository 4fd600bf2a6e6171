#include "frontend/torchscript/torchscript_save.h"

#include <torch/csrc/jit/api/compilation_unit.h>
#include <torch/csrc/jit/passes/dead_code_elimination.h>

#include <cstring>
#include <sstream>

#include "frontend/torchscript/tensor_convert.h"
#include "io/atomic_file.h"
#include "mlexport/diagnostics.h"

namespace mlexport::frontend::torchscript {

torch::jit::Module module_from_graph(std::shared_ptr<torch::jit::Graph> graph) {
  auto cu = std::make_shared<torch::jit::CompilationUnit>();
  torch::jit::Module module(c10::QualifiedName("__torch__.mlexport.ExportedModule"), cu);
  // Python's eval() and train() look for this attribute on every module.
  module.register_attribute("training", c10::BoolType::get(), false);
  auto self = graph->insertInput(0, "self");
  self->setType(module._ivalue()->type());
  // A method returns one value: several outputs become a tuple.
  if (graph->outputs().size() != 1) {
    std::vector<torch::jit::Value*> outputs(graph->outputs().begin(), graph->outputs().end());
    while (!graph->outputs().empty()) graph->eraseOutput(0);
    auto* tuple = graph->insertNode(graph->createTuple(outputs));
    graph->registerOutput(tuple->output());
  }
  // Traced shapes describe one example; the saved code must not promise them.
  for (auto* input : graph->inputs())
    if (input->type()->cast<c10::TensorType>()) input->setType(c10::TensorType::get());
  torch::jit::EliminateDeadCode(graph);
  auto* fn = cu->create_function(c10::QualifiedName(*module.type()->name(), "forward"), graph);
  module.type()->addMethod(fn);
  return module;
}

void save_module_atomically(const torch::jit::Module& module, const std::string& path,
                            const std::map<std::string, std::string>& extra_files) {
  torch::jit::ExtraFilesMap extra(extra_files.begin(), extra_files.end());
  // Serialized in memory first: when a write to a file fails (a full disk, a file-size limit),
  // LibTorch 1.13's stream writer throws again from its destructor and the process aborts.
  std::ostringstream bytes;
  try {
    module.save(bytes, extra);
  } catch (const std::exception& e) {
    throw Error(ExitCode::kInternal, "saving TorchScript failed: " + first_line(e.what()));
  }
  try {
    io::write_file_atomic(path, bytes.view());
  } catch (const io::AtomicWriteError& e) {
    if (e.step() == io::AtomicStep::kRename)
      throw Error(ExitCode::kBadInput, "cannot write " + path + ": " + std::strerror(e.error()));
    throw Error(ExitCode::kInternal,
                "cannot write " + e.path().string() + ": " + std::strerror(e.error()));
  }
}

namespace {

void collect_state(const torch::jit::Module& module, const std::string& prefix,
                   std::vector<std::pair<std::string, ir::Tensor>>& out) {
  for (const auto& p : module.named_parameters(/*recurse=*/false))
    if (p.value.defined()) out.emplace_back(prefix + p.name, to_ir_tensor(p.value));
  for (const auto& b : module.named_buffers(/*recurse=*/false))
    if (b.value.defined()) out.emplace_back(prefix + b.name, to_ir_tensor(b.value));
  for (const auto& child : module.named_children())
    collect_state(child.value, prefix + child.name + ".", out);
}

}  // namespace

std::vector<std::pair<std::string, ir::Tensor>> module_state(const torch::jit::Module& module) {
  std::vector<std::pair<std::string, ir::Tensor>> out;
  collect_state(module, "", out);
  return out;
}

}  // namespace mlexport::frontend::torchscript

#include "frontend/torchscript/torchscript_save.h"

#include <torch/csrc/jit/api/compilation_unit.h>
#include <torch/csrc/jit/passes/dead_code_elimination.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <random>
#include <sstream>
#include <string_view>

#include "frontend/torchscript/tensor_convert.h"
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

namespace {

// Writes all of `bytes` to a new file; false with errno set when the system refuses.
bool write_whole_file(const std::string& path, std::string_view bytes) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), std::min<size_t>(bytes.size(), size_t{1} << 30));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = n < 0 ? errno : EIO;
      ::close(fd);
      errno = err;
      return false;
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return ::close(fd) == 0;
}

}  // namespace

void save_module_atomically(const torch::jit::Module& module, const std::string& path,
                            const std::map<std::string, std::string>& extra_files) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  const fs::path temp = target.parent_path() / ("." + target.filename().string() + ".tmp" +
                                                std::to_string(std::random_device{}() % 1000000));
  torch::jit::ExtraFilesMap extra(extra_files.begin(), extra_files.end());
  // Serialized in memory first: when a write to a file fails (a full disk, a file-size limit),
  // LibTorch 1.13's stream writer throws again from its destructor and the process aborts.
  std::ostringstream bytes;
  try {
    module.save(bytes, extra);
  } catch (const std::exception& e) {
    throw Error(ExitCode::kInternal, "saving TorchScript failed: " + first_line(e.what()));
  }
  std::error_code ec;
  if (!write_whole_file(temp.string(), bytes.view())) {
    const std::string why = std::strerror(errno);
    fs::remove(temp, ec);
    throw Error(ExitCode::kInternal, "cannot write " + temp.string() + ": " + why);
  }
  fs::rename(temp, target, ec);
  if (ec) {
    fs::remove(temp, ec);
    throw Error(ExitCode::kBadInput, "cannot write " + path + ": " + ec.message());
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

// A TorchScript archive loaded with LibTorch, in eval mode.
#include <torch/csrc/jit/passes/freeze_module.h>
#include <torch/csrc/jit/serialization/import.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "emit/torch/config_value.h"
#include "mlexport/diagnostics.h"
#include "torchmodel/operator_libraries.h"
#include "torchmodel/tensor_convert.h"
#include "torchmodel/torch_model.h"
#include "torchmodel/torch_model_handle.h"

namespace mlexport::torchmodel {
namespace {

// Name of the archive entry where mlexport keeps the export metadata (input shapes, names...).
constexpr const char* kMetadataFile = "mlexport.json";

// LibTorch's load errors may start with an empty line; an op no loaded library registers gets a
// hint about --ops_library.
std::string load_failure(const std::string& what) {
  std::string text = what;
  text.erase(0, text.find_first_not_of(" \n"));
  std::string line = first_line(text);
  if (line.rfind("Unknown builtin op", 0) == 0)
    line += " Its operator library is not loaded: pass it with --ops_library";
  return line;
}

void collect_state(const torch::jit::Module& module, const std::string& prefix,
                   std::vector<std::pair<std::string, ir::Tensor>>& out) {
  for (const auto& p : module.named_parameters(/*recurse=*/false))
    if (p.value.defined()) out.emplace_back(prefix + p.name, to_ir_tensor(p.value));
  for (const auto& b : module.named_buffers(/*recurse=*/false))
    if (b.value.defined()) out.emplace_back(prefix + b.name, to_ir_tensor(b.value));
  for (const auto& child : module.named_children())
    collect_state(child.value, prefix + child.name + ".", out);
}

class ScriptedModel : public TorchModel {
 public:
  ScriptedModel(torch::jit::Module module, std::map<std::string, std::string> extra_files,
                size_t num_inputs)
      : module_(std::move(module)), extra_files_(std::move(extra_files)), num_inputs_(num_inputs) {}

  size_t num_inputs() const override { return num_inputs_; }
  bool traced() const override { return false; }
  void set_complex_inputs(const std::vector<bool>& complex) override { complex_inputs_ = complex; }

  // Input shapes recorded in the archive's mlexport.json by an earlier export; empty otherwise.
  std::vector<std::vector<int64_t>> default_input_shapes() const override {
    auto it = extra_files_.find(kMetadataFile);
    if (it == extra_files_.end()) return {};
    // Metadata that does not parse is ignored: the shapes can still be given by hand.
    auto meta = nlohmann::json::parse(it->second, nullptr, /*allow_exceptions=*/false);
    std::vector<std::vector<int64_t>> shapes;
    if (!meta.is_object() || !meta.contains("inputs") || !meta["inputs"].is_array()) return {};
    for (const auto& input : meta["inputs"]) {
      if (!input.is_object() || !input.contains("shape") || !input["shape"].is_array()) return {};
      std::vector<int64_t> shape;
      for (const auto& d : input["shape"]) {
        if (!d.is_number_integer() || d.get<int64_t>() < 1) return {};
        shape.push_back(d.get<int64_t>());
      }
      shapes.push_back(shape);
    }
    if (shapes.size() != num_inputs_) return {};
    return shapes;
  }

  c10::IValue forward(const std::vector<at::Tensor>& inputs) override {
    std::vector<c10::IValue> args(inputs.begin(), inputs.end());
    return module_.forward(args);
  }

  std::shared_ptr<torch::jit::Graph> forward_graph(
      const std::vector<at::Tensor>& /*inputs*/) override {
    freeze_once();
    return module_.get_method("forward").graph()->copy();
  }

  c10::IValue self() const override { return module_._ivalue(); }

  // Parameters and buffers in nn.Module.state_dict() order (own parameters, own buffers, then
  // each child); config names the module's class.
  std::optional<emit::TorchState> torch_state() override {
    if (frozen_) return std::nullopt;  // freezing turned the weights into constants
    emit::TorchState state;
    collect_state(module_, "", state.tensors);
    std::string class_path = module_.type()->name()->qualifiedName();
    if (class_path.rfind("__torch__.", 0) == 0) class_path = class_path.substr(10);
    // No init_args: a TorchScript module does not record its constructor's arguments.
    namespace config = emit::torch::config;
    state.config = config::dict(
        {{"class_path", class_path},
         {"init_args", config::dict(std::vector<std::pair<std::string, config::ValuePtr>>{})}});
    return state;
  }

  torch::jit::Module script_module(const std::vector<ir::Tensor>& /*example_inputs*/) override {
    freeze_once();
    return module_;
  }

 private:
  // Frozen in place: a clone would hold a second copy of every weight. Freezing only turns
  // attributes into constants, so the eager reference computes the same function afterwards.
  void freeze_once() {
    if (frozen_) return;
    try {
      torch::jit::freeze_module_inplace(&module_);
    } catch (const std::exception& e) {
      throw Error(ExitCode::kTraceFailed, "freezing the module failed: " + first_line(e.what()));
    }
    frozen_ = true;
  }

  torch::jit::Module module_;
  std::map<std::string, std::string> extra_files_;  // e.g. mlexport's own metadata
  size_t num_inputs_ = 0;
  bool frozen_ = false;
};

}  // namespace

std::shared_ptr<TorchModel> load_torchscript(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw bad_input(path + ": no such file");
  if (std::filesystem::is_directory(path, ec)) throw bad_input(path + ": is a directory");
  if (!std::ifstream(path).good()) throw bad_input(path + ": cannot be read");
  load_default_operator_libraries();  // archives of torchvision models call torchvision:: ops
  torch::jit::Module module;
  torch::jit::ExtraFilesMap extra{{kMetadataFile, ""}};
  try {
    module = torch::jit::load(path, c10::kCPU, extra);
  } catch (const std::exception& e) {
    throw bad_input(path + ": not a readable TorchScript archive (" + load_failure(e.what()) + ")");
  }
  std::map<std::string, std::string> extra_files;
  for (auto& [name, content] : extra)
    if (!content.empty()) extra_files[name] = content;
  module.eval();
  auto method = module.find_method("forward");
  if (!method) throw bad_input(path + ": the TorchScript module has no forward method");
  const size_t num_inputs = method->function().getSchema().arguments().size() - 1;
  return std::make_shared<ScriptedModel>(std::move(module), std::move(extra_files), num_inputs);
}

}  // namespace mlexport::torchmodel

#include "frontend/torchscript/torchscript_model.h"

#include <ATen/Parallel.h>
#include <torch/csrc/jit/passes/dead_code_elimination.h>
#include <torch/csrc/jit/passes/freeze_module.h>
#include <torch/csrc/jit/passes/inliner.h>
#include <torch/csrc/jit/passes/lower_tuples.h>
#include <torch/csrc/jit/passes/remove_mutation.h>
#include <torch/csrc/jit/serialization/import.h>
#include <torch/version.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "emit/torch/config_value.h"
#include "frontend/torchscript/graph_import.h"
#include "frontend/torchscript/operator_libraries.h"
#include "frontend/torchscript/reference_values.h"
#include "frontend/torchscript/tensor_convert.h"
#include "frontend/torchscript/torchscript_save.h"
#include "mlexport/diagnostics.h"

namespace mlexport::frontend::torchscript {

// Name of the archive entry where mlexport keeps the export metadata (input shapes, names...).
constexpr const char* kMetadataFile = "mlexport.json";

struct TorchScriptModel::Impl {
  torch::jit::Module module;
  std::map<std::string, std::string> extra_files;
  size_t num_inputs = 0;
  bool frozen = false;
  // The graph to_ir translated, and its data-dependent control flow (empty: none).
  std::shared_ptr<torch::jit::Graph> graph;
  ControlFlowCoverage control_flow_sites;
  std::vector<bool> complex_inputs;  // given as (real, imag) pairs

  std::vector<at::Tensor> torch_inputs(const std::vector<ir::Tensor>& inputs) const {
    std::vector<at::Tensor> out;
    for (size_t k = 0; k < inputs.size(); ++k) {
      at::Tensor t = to_torch_tensor(inputs[k]);
      if (k < complex_inputs.size() && complex_inputs[k]) {
        if (t.dim() == 0 || t.size(-1) != 2)
          throw bad_input("complex input " + std::to_string(k) +
                          " must come as (real, imag) pairs in a trailing dim of 2");
        t = at::view_as_complex(t);
      }
      out.push_back(t);
    }
    return out;
  }
};

namespace {

void flatten(const c10::IValue& value, std::vector<ir::Tensor>& out) {
  if (value.isTensor()) {
    out.push_back(to_ir_tensor(value.toTensor()));
  } else if (value.isTuple()) {
    for (const auto& e : value.toTupleRef().elements()) flatten(e, out);
  } else if (value.isList()) {
    for (const auto& e : value.toListRef()) flatten(e, out);
  } else if (value.isGenericDict()) {
    for (const auto& entry : value.toGenericDict()) flatten(entry.value(), out);
  } else {
    throw bad_input(std::string("the model returns a ") + value.tagKind() +
                    "; only tensors, tuples, lists and dicts of tensors are supported");
  }
}

// Frozen in place: a clone would hold a second copy of every weight. Freezing only turns
// attributes into constants, so the eager reference computes the same function afterwards.
void freeze_once(TorchScriptModel::Impl& impl) {
  if (impl.frozen) return;
  try {
    torch::jit::freeze_module_inplace(&impl.module);
  } catch (const std::exception& e) {
    throw Error(ExitCode::kTraceFailed, "freezing the module failed: " + first_line(e.what()));
  }
  impl.frozen = true;
}

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

}  // namespace

TorchScriptModel::TorchScriptModel(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TorchScriptModel::~TorchScriptModel() = default;

std::unique_ptr<TorchScriptModel> TorchScriptModel::load(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw bad_input(path + ": no such file");
  if (std::filesystem::is_directory(path, ec)) throw bad_input(path + ": is a directory");
  if (!std::ifstream(path).good()) throw bad_input(path + ": cannot be read");
  load_default_operator_libraries();  // archives of torchvision models call torchvision:: ops
  auto impl = std::make_unique<Impl>();
  torch::jit::ExtraFilesMap extra{{kMetadataFile, ""}};
  try {
    impl->module = torch::jit::load(path, c10::kCPU, extra);
  } catch (const std::exception& e) {
    throw bad_input(path + ": not a readable TorchScript archive (" + load_failure(e.what()) + ")");
  }
  for (auto& [name, content] : extra)
    if (!content.empty()) impl->extra_files[name] = content;
  impl->module.eval();
  auto method = impl->module.find_method("forward");
  if (!method) throw bad_input(path + ": the TorchScript module has no forward method");
  impl->num_inputs = method->function().getSchema().arguments().size() - 1;
  return std::unique_ptr<TorchScriptModel>(new TorchScriptModel(std::move(impl)));
}

void TorchScriptModel::set_complex_inputs(const std::vector<bool>& complex) {
  impl_->complex_inputs = complex;
}

size_t TorchScriptModel::num_inputs() const {
  return impl_->num_inputs;
}

const std::map<std::string, std::string>& TorchScriptModel::extra_files() const {
  return impl_->extra_files;
}

std::vector<ir::Tensor> TorchScriptModel::run(const std::vector<ir::Tensor>& inputs) {
  torch::NoGradGuard no_grad;
  std::vector<c10::IValue> args;
  for (const auto& t : impl_->torch_inputs(inputs)) args.emplace_back(t);
  c10::IValue result;
  try {
    result = impl_->module.forward(args);
  } catch (const std::exception& e) {
    throw bad_input("the model failed on the example inputs: " + first_line(e.what()));
  }
  std::vector<ir::Tensor> out;
  flatten(result, out);
  return out;
}

std::vector<std::vector<int64_t>> TorchScriptModel::default_input_shapes() const {
  auto it = impl_->extra_files.find(kMetadataFile);
  if (it == impl_->extra_files.end()) return {};
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
  if (shapes.size() != impl_->num_inputs) return {};
  return shapes;
}

std::optional<TorchState> TorchScriptModel::torch_state() {
  if (impl_->frozen) return std::nullopt;  // freezing turned the weights into constants
  TorchState state;
  state.tensors = module_state(impl_->module);
  std::string class_path = impl_->module.type()->name()->qualifiedName();
  if (class_path.rfind("__torch__.", 0) == 0) class_path = class_path.substr(10);
  // No init_args: a TorchScript module does not record its constructor's arguments.
  state.config = emit::config::dict(
      {{"class_path", class_path},
       {"init_args",
        emit::config::dict(std::vector<std::pair<std::string, checkpoint::ValuePtr>>{})}});
  return state;
}

bool TorchScriptModel::save_torchscript(const std::string& path,
                                        const std::vector<ir::Tensor>& /*example_inputs*/,
                                        const std::map<std::string, std::string>& extra_files) {
  freeze_once(*impl_);
  save_module_atomically(impl_->module, path, extra_files);
  return true;
}

std::unique_ptr<ir::Graph> TorchScriptModel::to_ir(const std::vector<ir::Tensor>& example_inputs,
                                                   const ImportOptions& options) {
  torch::NoGradGuard no_grad;
  freeze_once(*impl_);
  auto graph = impl_->module.get_method("forward").graph()->copy();
  torch::jit::Inline(*graph);
  torch::jit::RemoveTensorMutation(graph);
  torch::jit::LowerSimpleTuples(graph);
  torch::jit::EliminateDeadCode(graph);

  auto ir =
      import_graph(graph, impl_->torch_inputs(example_inputs), options, &impl_->control_flow_sites);
  impl_->graph = graph;
  return ir;
}

ControlFlowCoverage TorchScriptModel::control_flow_coverage(const std::vector<ir::Tensor>& inputs) {
  if (!impl_->graph || impl_->control_flow_sites.empty()) return {};
  torch::NoGradGuard no_grad;
  return run_control_flow(impl_->graph, impl_->torch_inputs(inputs), impl_->control_flow_sites);
}

std::map<std::string, ir::Tensor> TorchScriptModel::reference_values(
    const std::vector<ir::Tensor>& inputs, const std::vector<std::string>& keys) {
  if (!impl_->graph) return {};
  return capture_values(impl_->graph, impl_->module._ivalue(), impl_->torch_inputs(inputs), keys);
}

std::string libtorch_version() {
  return TORCH_VERSION;
}

void set_torch_threads(int threads) {
  if (threads > 0) at::set_num_threads(threads);
}

}  // namespace mlexport::frontend::torchscript

// Exportable's library side: a C++ module becomes a traced TorchModel and goes through the same
// export and validation as a file does.
#include <cxxabi.h>

#include <cstdlib>
#include <filesystem>

#include "core/export_source.h"
#include "frontend/torchscript/torch_source.h"
#include "mlexport/exportable.h"
#include "runtime/libtorch/torch_reference.h"
#include "torchmodel/tensor_convert.h"
#include "torchmodel/traced_model.h"
#include "zoo/zoo_torch.h"

namespace mlexport::detail {
namespace {

// Eval mode, no grad, and the derived class's prepare hook for the duration of an export; the
// destructor puts everything back, also when the export throws.
class ExportModeGuard {
 public:
  ExportModeGuard(torch::nn::Module& module, const ModuleExport& spec)
      : module_(module), restore_(spec.restore), was_training_(module.is_training()) {
    for (auto& p : module_.parameters()) {
      requires_grad_.push_back(p.requires_grad());
      p.set_requires_grad(false);
    }
    module_.eval();
    if (spec.prepare) spec.prepare();
  }
  ~ExportModeGuard() {
    try {
      if (restore_) restore_();
    } catch (...) {
      // A failing restore hook must not hide the export's own result or error.
    }
    size_t k = 0;
    for (auto& p : module_.parameters())
      if (k < requires_grad_.size()) p.set_requires_grad(requires_grad_[k++]);
    module_.train(was_training_);
  }
  ExportModeGuard(const ExportModeGuard&) = delete;
  ExportModeGuard& operator=(const ExportModeGuard&) = delete;

 private:
  torch::nn::Module& module_;
  std::function<void()> restore_;
  bool was_training_;
  std::vector<bool> requires_grad_;
};

// Sets each request field whose option is given; the fields of options left empty keep their
// value.
void apply_given(const ExportOptions& options, ExportRequest& request) {
  auto set = [](auto& field, const auto& option) {
    if (option) field = *option;
  };
  set(request.opset_version, options.opset_version);
  set(request.input_names, options.input_names);
  set(request.output_names, options.output_names);
  set(request.dynamic_axes, options.dynamic_axes);
  set(request.validation.enabled, options.validate);
  set(request.precision, options.precision);
  set(request.fp16_io, options.fp16_io);
  set(request.quantize, options.quantize);
  set(request.compress_to_fp16, options.compress_to_fp16);
  set(request.task, options.task);
  set(request.segmentation_output, options.segmentation_output);
  set(request.validation.seed, options.seed);
  set(request.validation.num_samples, options.num_samples);
  if (options.on_event) request.on_event = options.on_event;
}

}  // namespace

std::string demangle(const char* mangled) {
  int status = 0;
  char* readable = abi::__cxa_demangle(mangled, nullptr, nullptr, &status);
  std::string name = status == 0 && readable ? readable : mangled;
  std::free(readable);
  return name;
}

ExportRequest make_request(const ExportOptions& hook, const ExportOptions& given) {
  ExportRequest request;
  apply_given(hook, request);
  apply_given(given, request);
  // "" was the documented spelling of the default before the option was optional.
  if (request.segmentation_output.empty()) request.segmentation_output = "logits";
  return request;
}

ExportResult export_module(const ModuleExport& spec, const std::string& path,
                           const std::string& format, ExportRequest request) {
  if (!spec.module || !spec.forward) throw bad_input("there is no module to export");
  if (spec.sample.empty())
    throw bad_input(
        "no sample input: define sample_input() in the model or pass "
        "ExportOptions::input_sample");
  if (!spec.sample.names.empty() && spec.sample.names.size() != spec.sample.tensors.size())
    throw bad_input("the sample input names " + std::to_string(spec.sample.names.size()) +
                    " of its " + std::to_string(spec.sample.tensors.size()) + " tensors");

  request.output_path = path;
  request.format = format;
  if (request.input_names.empty()) request.input_names = spec.sample.names;

  torch::nn::Module& module = *spec.module;
  ExportModeGuard guard(module, spec);

  core::PreparedSource source;
  std::vector<std::vector<int64_t>> shapes;
  for (const auto& t : spec.sample.tensors) {
    if (!t.defined()) throw bad_input("the sample input holds an undefined tensor");
    source.example_inputs.push_back(torchmodel::to_ir_tensor(t.detach().cpu().contiguous()));
    shapes.push_back(t.sizes().vec());
  }
  torch::nn::Module* state_module = &module;
  torchmodel::TracedState state;
  state.tensors = [state_module] { return zoo::named_state(*state_module); };
  state.config = spec.config;
  auto forward = spec.forward;
  auto model = torchmodel::make_traced_model(
      [forward](const std::vector<at::Tensor>& in) { return forward(in); },
      spec.sample.tensors.size(), nullptr, shapes, std::move(state));
  source.model = {frontend::torchscript::make_torch_source(model),
                  runtime::libtorch::make_torch_reference(model), torchmodel::artifacts_of(model)};
  source.architecture = spec.architecture;
  source.kind = spec.architecture.empty() ? "module" : "zoo module";
  return core::export_prepared(request, std::move(source));
}

}  // namespace mlexport::detail

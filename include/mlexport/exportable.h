// Exportable: export a LibTorch C++ frontend module to every available format, with validation.
//
//   struct MyPolicy : torch::nn::Module, mlexport::Exportable<MyPolicy> {
//     torch::Tensor forward(torch::Tensor x);
//     mlexport::SampleInput sample_input() { return torch::randn({1, 14}); }
//   };
//   policy.to_onnx("policy.onnx", {.opset_version = 14, .output_names = {{"action"}}});
//   policy.export_to("policy.xml");  // format from the extension
//
// Hooks the derived class may define (each is optional; the defaults are described):
//   SampleInput sample_input()                 inputs for tracing and validation (required unless
//                                              every call passes ExportOptions::input_sample)
//   ConfigValue config()                       saved by to_torch (default: class name, no args)
//   ExportOptions extra_export_args(const std::string& format)   per-format defaults; each
//                                              option given to the call wins over the hook's
//   forward_for_export(...)                    traced instead of forward(...) when present
//   void prepare_for_export()                  called before export, in eval mode
//   void restore_after_export()                called afterwards, even when the export fails
//   std::vector<std::string> list_export_subnets()       names for export_subnets()
//   ExportSubnet get_export_subnet(const std::string&)   one part of the model
//   torch::nn::Module& module_for_export()     the module holding the weights (default: *this)
// forward / forward_for_export may take one to four tensors or a std::vector<torch::Tensor>, and
// return a tensor, a std::tuple of tensors or a std::vector<torch::Tensor>.
//
// The zoo's architectures are Exportable too: see mlexport/zoo_model.h.
//
// Every export switches the module to eval mode and back to the mode it was in, restores the
// parameters' requires_grad flags, and returns the validation result (the CLI's metrics).
#pragma once

#include <torch/nn/module.h>

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

#include "mlexport/config_value.h"
#include "mlexport/diagnostics.h"
#include "mlexport/export.h"
#include "mlexport/formats.h"

namespace mlexport {

// Inputs for tracing and validation: one tensor, several, or named ones (the names become the
// exported model's input names).
struct SampleInput {
  std::vector<torch::Tensor> tensors;
  std::vector<std::string> names;  // empty, or one per tensor

  SampleInput() = default;
  SampleInput(torch::Tensor tensor) : tensors{std::move(tensor)} {}
  SampleInput(std::vector<torch::Tensor> list) : tensors(std::move(list)) {}
  template <typename... T>
  SampleInput(const std::tuple<T...>& tuple)
      : tensors(
            std::apply([](const auto&... t) { return std::vector<torch::Tensor>{t...}; }, tuple)) {}
  static SampleInput named(const std::vector<std::pair<std::string, torch::Tensor>>& inputs) {
    SampleInput s;
    for (const auto& [name, tensor] : inputs) {
      s.names.push_back(name);
      s.tensors.push_back(tensor);
    }
    return s;
  }
  bool empty() const { return tensors.empty(); }
};

// Every option is optional: one left empty keeps the extra_export_args(format) hook's value,
// else the library's default (as ExportRequest's); one given wins over the hook, even when it
// equals the default. In a designated initializer a list takes two pairs of braces:
// {.output_names = {{"action"}}}.
struct ExportOptions {
  std::optional<int> opset_version;  // default 17
  // Default: the SampleInput's names, else input, input_1...
  std::optional<std::vector<std::string>> input_names;
  std::optional<std::vector<std::string>> output_names;  // default: output, output_1...
  std::optional<bool> dynamic_axes;    // dim 0 of inputs and outputs becomes "batch_size"
  std::optional<bool> validate;        // default true
  std::optional<Precision> precision;  // onnx: kFp16
  std::optional<bool> fp16_io;
  std::optional<Quantization> quantize;  // onnx: kInt8
  std::optional<bool> compress_to_fp16;  // openvino
  // The task written into the file's metadata ("classification", "segmentation", "regression"...);
  // empty: none.
  std::optional<std::string> task;
  // A segmentation model's output (onnx, openvino): "logits" (default), "probabilities",
  // "argmax" or "argmax:uint8" (an H x W class map).
  std::optional<std::string> segmentation_output;
  std::optional<SampleInput> input_sample;  // overrides the sample_input() hook
  std::optional<std::string> subnet;        // export this subnet instead of the whole model
  std::optional<uint64_t> seed;             // default 0
  std::optional<int> num_samples;           // default 1
  EventCallback on_event;                   // empty: not given
};

using TensorList = std::vector<torch::Tensor>;

// One separately exported part of a model (an encoder, a decoder...).
struct ExportSubnet {
  torch::nn::Module* module = nullptr;
  std::function<TensorList(const TensorList&)> forward;
  SampleInput sample;
};

namespace detail {

inline TensorList as_outputs(torch::Tensor t) {
  return {std::move(t)};
}
inline TensorList as_outputs(TensorList list) {
  return list;
}
template <typename... T>
TensorList as_outputs(const std::tuple<T...>& tuple) {
  return std::apply([](const auto&... t) { return TensorList{t...}; }, tuple);
}

inline void expect_inputs(const TensorList& in, size_t n) {
  if (in.size() != n)
    throw bad_input("forward takes " + std::to_string(n) + " tensors but the sample input has " +
                    std::to_string(in.size()));
}

#define MLEXPORT_CALL_WITH_ARITY(obj, method, in)                               \
  if constexpr (requires { obj.method(in); }) {                                 \
    return as_outputs(obj.method(in));                                          \
  } else if constexpr (requires(torch::Tensor a) { obj.method(a); }) {          \
    expect_inputs(in, 1);                                                       \
    return as_outputs(obj.method(in[0]));                                       \
  } else if constexpr (requires(torch::Tensor a) { obj.method(a, a); }) {       \
    expect_inputs(in, 2);                                                       \
    return as_outputs(obj.method(in[0], in[1]));                                \
  } else if constexpr (requires(torch::Tensor a) { obj.method(a, a, a); }) {    \
    expect_inputs(in, 3);                                                       \
    return as_outputs(obj.method(in[0], in[1], in[2]));                         \
  } else if constexpr (requires(torch::Tensor a) { obj.method(a, a, a, a); }) { \
    expect_inputs(in, 4);                                                       \
    return as_outputs(obj.method(in[0], in[1], in[2], in[3]));                  \
  }

// Calls obj.forward_for_export(...) when it exists, else obj.forward(...).
template <typename M>
TensorList call_forward(M& obj, const TensorList& in) {
  if constexpr (requires { &M::forward_for_export; }) {
    MLEXPORT_CALL_WITH_ARITY(obj, forward_for_export, in)
    else static_assert(sizeof(M) == 0, "forward_for_export must take 1-4 tensors or a TensorList");
  } else {
    MLEXPORT_CALL_WITH_ARITY(obj, forward, in)
    else static_assert(sizeof(M) == 0, "forward must take 1-4 tensors or a TensorList");
  }
}

#undef MLEXPORT_CALL_WITH_ARITY

// The readable name of a C++ type ("MyPolicy"), for the default config().
std::string demangle(const char* mangled);
template <typename T>
std::string type_name() {
  return demangle(typeid(T).name());
}

// What the library needs of a module, with the hooks already resolved.
struct ModuleExport {
  torch::nn::Module* module = nullptr;
  std::function<TensorList(const TensorList&)> forward;
  SampleInput sample;
  ConfigValue config;
  std::string architecture;  // a zoo architecture, when the module is one
  std::function<void()> prepare, restore;
};

// The request for `options`: the library's defaults, then every option the hook gives, then
// every option the call gives. The one place where ExportOptions become an ExportRequest.
ExportRequest make_request(const ExportOptions& hook, const ExportOptions& given);

// Exports in `format` ("" = from the path's extension) with `request` (its output path and
// format are set here). Implemented in the library (src/api).
ExportResult export_module(const ModuleExport& spec, const std::string& path,
                           const std::string& format, ExportRequest request);

}  // namespace detail

template <typename Derived>
class Exportable {
 public:
  ExportResult to_torch(const std::string& path, const ExportOptions& options = {}) {
    return export_as(path, "torch", options);
  }
  ExportResult to_torchscript(const std::string& path, const ExportOptions& options = {}) {
    return export_as(path, "torchscript", options);
  }
  ExportResult to_onnx(const std::string& path, const ExportOptions& options = {}) {
    return export_as(path, "onnx", options);
  }
  ExportResult to_openvino(const std::string& path, const ExportOptions& options = {}) {
    return export_as(path, "openvino", options);
  }
  // Listed by the registry as unavailable: throws mlexport::Error saying why.
  ExportResult to_torch_export_ir(const std::string& path, const ExportOptions& options = {}) {
    return export_as(path, "torch_export_ir", options);
  }
  // The format from the extension (.onnx, .xml, .pt/.ts, .pth/.ckpt).
  ExportResult export_to(const std::string& path, const ExportOptions& options = {}) {
    return export_as(path, "", options);
  }
  // Every subnet of list_export_subnets() to "<stem>-<subnet><extension>", in list order.
  std::vector<ExportResult> export_subnets(const std::string& path,
                                           const ExportOptions& options = {}) {
    std::vector<ExportResult> results;
    const std::filesystem::path p(path);
    for (const std::string& name : derived().list_export_subnets()) {
      ExportOptions one = options;
      one.subnet = name;
      const auto file = p.parent_path() / (p.stem().string() + "-" + name + p.extension().string());
      results.push_back(export_as(file.string(), "", one));
    }
    return results;
  }

  // Key/values the model may consult while exporting (set_export_config merges).
  void set_export_config(const std::map<std::string, std::string>& values) {
    for (const auto& [k, v] : values) export_config_[k] = v;
  }
  const std::map<std::string, std::string>& export_config() const { return export_config_; }

  // Default hooks; the derived class hides them with its own.
  ConfigValue config() { return ConfigValue::object(detail::type_name<Derived>(), {}); }
  ExportOptions extra_export_args(const std::string& /*format*/) { return {}; }
  void prepare_for_export() {}
  void restore_after_export() {}
  std::vector<std::string> list_export_subnets() { return {}; }
  ExportSubnet get_export_subnet(const std::string& name) {
    throw bad_input("the model has no export subnet '" + name + "'");
  }
  torch::nn::Module& module_for_export() {
    static_assert(std::is_base_of_v<torch::nn::Module, Derived>,
                  "derive from torch::nn::Module or define module_for_export()");
    return static_cast<torch::nn::Module&>(derived());
  }

 protected:
  Derived& derived() { return static_cast<Derived&>(*this); }

 private:
  ExportResult export_as(const std::string& path, const std::string& format,
                         const ExportOptions& given) {
    Derived& self = derived();
    const FormatInfo* info = format.empty() ? format_for_path(path) : find_format(format);
    const std::string format_name = info ? info->name : format;
    const ExportOptions hook = self.extra_export_args(format_name);
    // The options that choose what is traced, rather than how it is exported.
    const std::optional<std::string>& subnet_name = given.subnet ? given.subnet : hook.subnet;
    const std::optional<SampleInput>& input_sample =
        given.input_sample ? given.input_sample : hook.input_sample;
    detail::ModuleExport spec;
    if (subnet_name) {
      ExportSubnet subnet = self.get_export_subnet(*subnet_name);
      spec.module = subnet.module;
      spec.forward = subnet.forward;
      spec.sample = subnet.sample;
    } else {
      spec.module = &self.module_for_export();
      spec.forward = [&self](const TensorList& in) { return detail::call_forward(self, in); };
      if constexpr (requires { self.sample_input(); }) {
        if (!input_sample) spec.sample = self.sample_input();
      }
    }
    if (input_sample) spec.sample = *input_sample;
    spec.config = self.config();
    if constexpr (requires { self.zoo_architecture(); })
      spec.architecture = self.zoo_architecture();
    spec.prepare = [&self] { self.prepare_for_export(); };
    spec.restore = [&self] { self.restore_after_export(); };
    return detail::export_module(spec, path, format_name, detail::make_request(hook, given));
  }

  std::map<std::string, std::string> export_config_;
};

}  // namespace mlexport

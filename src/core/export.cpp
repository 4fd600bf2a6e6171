#include "mlexport/export.h"

#include <unistd.h>

#include <chrono>
#include <filesystem>

#include "core/inputs.h"
#include "emit/onnx/onnx_emitter.h"
#include "frontend/torchscript/torchscript_model.h"
#include "ir/printer.h"
#include "passes/pass.h"
#include "runtime/onnxruntime_runner.h"
#include "runtime/opencv_runner.h"
#include "validate/metrics.h"

namespace mlexport {
namespace {

namespace fs = std::filesystem;
using Specs = std::vector<std::pair<ir::DType, std::vector<int64_t>>>;

class Stopwatch {
 public:
  double lap() {
    auto now = std::chrono::steady_clock::now();
    double s = std::chrono::duration<double>(now - last_).count();
    last_ = now;
    return s;
  }

 private:
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

std::string default_output_path(const std::string& model_path, const std::string& extension) {
  fs::path p(model_path);
  p.replace_extension(extension);
  return p.string();
}

void check_writable_folder(const std::string& output_path) {
  fs::path dir = fs::path(output_path).parent_path();
  if (dir.empty()) dir = ".";
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw bad_input("output folder " + dir.string() + " does not exist");
  if (::access(dir.c_str(), W_OK) != 0)
    throw bad_input("output folder " + dir.string() + " is not writable");
  if (fs::is_directory(output_path, ec)) throw bad_input(output_path + " is a directory");
}

Specs resolve_specs(const ExportRequest& request, size_t num_inputs) {
  std::vector<InputSpec> specs = request.inputs;
  if (specs.empty()) {
    if (num_inputs != 1)
      throw bad_input("the model takes " + std::to_string(num_inputs) +
                      " inputs: give one --input_shape per input");
    specs.push_back({{1, 3, 224, 224}, "float32"});
  }
  if (specs.size() != num_inputs)
    throw bad_input("the model takes " + std::to_string(num_inputs) + " input(s) but " +
                    std::to_string(specs.size()) + " input shape(s) were given");
  return core::parse_input_specs(specs);
}

runtime::RunResult run_exported(const ExportRequest& request, const std::string& path,
                                const std::vector<ir::Tensor>& inputs) {
  if (request.validation.runtime == "opencv") return runtime::run_opencv(path, inputs);
  return runtime::run_onnxruntime(path, inputs);
}

// Compares the exported file with the eager model on the given inputs.
void compare_samples(const ExportRequest& request, torchscript::TorchScriptModel& model,
                     const std::string& path, const std::vector<std::vector<ir::Tensor>>& samples,
                     ValidationResult& result) {
  validate::Tolerance tolerance;
  tolerance.atol = request.validation.atol;
  tolerance.rtol = request.validation.rtol;
  if (tolerance.atol && !tolerance.rtol) tolerance.rtol = 0.0;
  if (tolerance.rtol && !tolerance.atol) tolerance.atol = 0.0;
  for (const auto& inputs : samples) {
    std::vector<ir::Tensor> reference = model.run(inputs);
    runtime::RunResult exported = run_exported(request, path, inputs);
    result.runtime = exported.runtime;
    if (exported.outputs.size() != reference.size())
      throw Error(ExitCode::kValidationFailed,
                  "the exported model has " + std::to_string(exported.outputs.size()) +
                      " outputs but the model returns " + std::to_string(reference.size()));
    for (size_t k = 0; k < reference.size(); ++k) {
      const std::string name = k < exported.output_names.size() ? exported.output_names[k]
                                                                : "output_" + std::to_string(k);
      ir::Tensor ref = reference[k];
      ir::Tensor got = exported.outputs[k];
      if (ref.dtype != got.dtype) got = got.cast(ref.dtype);
      result.outputs.push_back(validate::compare_output(name, ref, got, tolerance));
    }
  }
  validate::summarize(result);
}

// With dynamic axes, runs a second batch size; an axis that came out fixed fails by name.
void check_dynamic_batch(const ExportRequest& request, torchscript::TorchScriptModel& model,
                         const std::string& path, const Specs& specs, ValidationResult& result) {
  const int64_t batch = specs.front().second.front();
  const int64_t other = batch == 1 ? 2 : batch + 1;
  auto inputs = core::random_inputs(core::with_batch(specs, other), request.validation.seed + 1);
  ValidationResult second;
  try {
    compare_samples(request, model, path, {inputs}, second);
  } catch (const Error& e) {
    result.notes.push_back("at batch size " + std::to_string(other) + ": " + e.what());
    OutputMetrics failed;
    failed.name = "batch " + std::to_string(other);
    failed.status = "FAIL";
    failed.cosine_similarity = 0;
    result.outputs.push_back(failed);
    validate::summarize(result);
    return;
  }
  for (auto& m : second.outputs) {
    m.name += " (batch " + std::to_string(other) + ")";
    result.outputs.push_back(m);
  }
  validate::summarize(result);
}

ValidationResult validate_file(const ExportRequest& request, torchscript::TorchScriptModel& model,
                               const std::string& path, const Specs& specs,
                               const std::vector<ir::Tensor>& first_inputs) {
  auto start = std::chrono::steady_clock::now();
  ValidationResult result;
  std::vector<std::vector<ir::Tensor>> samples = {first_inputs};
  if (request.validation.sample_input.empty())
    for (int s = 1; s < request.validation.num_samples; ++s)
      samples.push_back(core::random_inputs(specs, request.validation.seed + 100 + s));
  compare_samples(request, model, path, samples, result);
  if (request.dynamic_axes) check_dynamic_batch(request, model, path, specs, result);
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace

ExportResult export_model(const ExportRequest& request) {
  Stopwatch watch;
  ExportResult result;
  result.format = request.format;
  if (request.format != "onnx")
    throw bad_input("format '" + request.format + "' is not available (available: onnx)");
  if (request.opset_version < 11 || request.opset_version > 17)
    throw bad_input("opset " + std::to_string(request.opset_version) +
                    " is outside the supported range 11-17");
  if (request.validation.num_samples < 1) throw bad_input("--num_samples must be at least 1");
  if (request.validate_only && request.onnx_path.empty())
    throw bad_input("--validate_only needs --onnx_path");
  if ((request.validation.atol && *request.validation.atol < 0) ||
      (request.validation.rtol && *request.validation.rtol < 0))
    throw bad_input("--atol and --rtol must not be negative");
  for (const std::string& name : request.disabled_passes) {
    bool known = false;
    std::string names;
    for (const auto& pass : passes::all_passes()) {
      known = known || name == pass.name;
      if (names.find(pass.name) == std::string::npos) names += std::string(names.empty() ? "" : ", ") + pass.name;
    }
    if (!known) throw bad_input("unknown pass '" + name + "' (passes: " + names + ")");
  }

  const std::string output_path = request.validate_only ? request.onnx_path
                                  : request.output_path.empty()
                                      ? default_output_path(request.model_path, ".onnx")
                                      : request.output_path;
  if (request.validate_only) {
    std::error_code ec;
    if (!fs::is_regular_file(output_path, ec)) throw bad_input(output_path + ": no such file");
  } else {
    check_writable_folder(output_path);
  }

  auto model = torchscript::TorchScriptModel::load(request.model_path);
  result.timings["load"] = watch.lap();

  Specs specs = resolve_specs(request, model->num_inputs());
  if (request.input_names.size() > specs.size())
    throw bad_input(std::to_string(request.input_names.size()) + " input names given but the model takes " +
                    std::to_string(specs.size()) + " input(s)");
  std::vector<ir::Tensor> inputs;
  if (!request.validation.sample_input.empty()) {
    inputs = core::load_sample_inputs(request.validation.sample_input);
    if (inputs.size() != specs.size())
      throw bad_input(request.validation.sample_input + " holds " + std::to_string(inputs.size()) +
                      " arrays but the model takes " + std::to_string(specs.size()) + " inputs");
    for (size_t k = 0; k < inputs.size() && !request.inputs.empty(); ++k)
      if (inputs[k].shape != specs[k].second)
        throw bad_input(request.validation.sample_input + ": array " + std::to_string(k) +
                        " has shape " + ir::shape_to_string(inputs[k].shape) +
                        " but --input_shape says " + ir::shape_to_string(specs[k].second));
    specs.clear();
    for (const auto& t : inputs) specs.emplace_back(t.dtype, t.shape);
  } else {
    inputs = core::random_inputs(specs, request.validation.seed);
  }
  result.output_path = output_path;

  if (request.validate_only) {
    result.validation = validate_file(request, *model, output_path, specs, inputs);
    result.timings["validate"] = watch.lap();
    return result;
  }

  torchscript::ImportOptions import;
  import.dynamic_batch = request.dynamic_axes;
  import.input_names = request.input_names;
  import.output_names = request.output_names;
  auto graph = model->to_ir(inputs, import);
  // The IR holds its own copy of the weights; without validation the module is done with.
  if (!request.validation.enabled) model.reset();
  result.timings["convert"] = watch.lap();

  passes::PassContext pass_context{request.opset_version, request.dynamic_axes};
  passes::PipelineOptions pipeline{request.simplify, request.disabled_passes, false};
  result.pass_log = passes::run_pipeline(*graph, pass_context, pipeline);
  if (request.verbose) result.ir_text = ir::print_graph(*graph);
  result.timings["passes"] = watch.lap();
  for (const ir::Value* v : graph->inputs()) result.input_names.push_back(v->name);
  for (const ir::Value* v : graph->outputs()) result.output_names.push_back(v->name);

  emit::OnnxOptions onnx;
  onnx.opset_version = request.opset_version;
  onnx.external_data = request.external_data;
  onnx.doc_string = "exported by mlexport from " + fs::path(request.model_path).filename().string();
  auto emitted = emit::emit_onnx(*graph, output_path, onnx);
  result.output_bytes = emitted.bytes;
  result.node_count = emitted.node_count;
  result.timings["emit"] = watch.lap();

  if (request.validation.enabled) {
    result.validation = validate_file(request, *model, output_path, specs, inputs);
    result.timings["validate"] = watch.lap();
  }
  return result;
}

}  // namespace mlexport

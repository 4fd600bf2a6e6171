#include "mlexport/export.h"

#include <unistd.h>

#include <chrono>
#include <filesystem>

#include "core/checkpoint_info.h"
#include "core/inputs.h"
#include "emit/onnx/onnx_emitter.h"
#include "frontend/torchscript/torchscript_model.h"
#include "frontend/zoo_checkpoint/zoo_source.h"
#include "ir/printer.h"
#include "passes/pass.h"
#include "runtime/onnxruntime_runner.h"
#include "runtime/opencv_runner.h"
#include "validate/metrics.h"
#include "zoo/zoo.h"

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

Specs resolve_specs(const ExportRequest& request, const SourceModel& model) {
  const size_t num_inputs = model.num_inputs();
  std::vector<InputSpec> specs = request.inputs;
  if (specs.empty()) {
    auto defaults = model.default_input_shapes();
    if (defaults.empty() && num_inputs == 1) defaults.push_back({1, 3, 224, 224});
    if (defaults.size() != num_inputs)
      throw bad_input("the model takes " + std::to_string(num_inputs) +
                      " inputs: give one --input_shape per input");
    for (auto& shape : defaults) {
      if (request.batch_size > 0) shape[0] = request.batch_size;
      specs.push_back({shape, "float32"});
    }
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
void compare_samples(const ExportRequest& request, SourceModel& model, const std::string& path,
                     const std::vector<std::vector<ir::Tensor>>& samples,
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
void check_dynamic_batch(const ExportRequest& request, SourceModel& model, const std::string& path,
                         const Specs& specs, ValidationResult& result) {
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

ValidationResult validate_file(const ExportRequest& request, SourceModel& model,
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

void emit_event(const ExportRequest& request, const std::string& level,
                const std::string& message) {
  if (request.on_event) request.on_event(level, message);
}

// Opens the model file: TorchScript as it is, checkpoints through the zoo.
// `input_chw` receives the input size the checkpoint records, if any.
std::unique_ptr<SourceModel> open_source(const ExportRequest& request, ExportResult& result,
                                         std::vector<int64_t>& input_chw) {
  const core::SourceKind kind = core::detect_source_kind(request.model_path);
  if (kind == core::SourceKind::kTorchScript) {
    result.source_kind = "torchscript";
    emit_event(request, "INFO", "Loading model from " + request.model_path);
    return torchscript::TorchScriptModel::load(request.model_path);
  }
  result.source_kind = kind == core::SourceKind::kSafetensors ? "safetensors" : "checkpoint";
  emit_event(request, "INFO", "Loading checkpoint from " + request.model_path);
  core::CheckpointInfo info = core::read_checkpoint(request.model_path, kind);
  std::string arch = info.arch;
  if (!request.model.empty()) {
    if (!arch.empty() && arch != request.model)
      emit_event(request, "WARNING",
                 "--model " + request.model + " overrides the checkpoint's architecture " + arch +
                     " (" + info.arch_key + ")");
    arch = request.model;
  }
  if (arch.empty())
    throw bad_input(request.model_path +
                    ": the checkpoint does not name its architecture; give --model NAME");
  if (!zoo::has_model(arch)) {
    std::string names;
    for (const auto& n : zoo::model_names()) names += (names.empty() ? "" : ", ") + n;
    throw bad_input("unknown architecture '" + arch + "' (known: " + names + ")");
  }
  const int64_t num_classes = request.num_classes > 0 ? request.num_classes : info.num_classes;
  zoo::StateReport report;
  auto source = zoo::make_zoo_source(arch, num_classes, info.state, !request.non_strict, &report);
  const std::string family = zoo::model_family(arch);
  emit_event(request, "INFO",
             "Creating model: " + arch + " (" + (family == "custom" ? "custom" : "base") + ", " +
                 std::to_string(report.num_classes) + " classes)");
  if (!report.stripped_prefix.empty())
    emit_event(request, "INFO", "Stripped the key prefix '" + report.stripped_prefix + "'");
  const size_t problems =
      report.missing.size() + report.unexpected.size() + report.mismatched.size();
  if (problems)
    emit_event(request, "WARNING",
               "--non_strict: " + std::to_string(report.missing.size()) + " missing, " +
                   std::to_string(report.unexpected.size()) + " unexpected, " +
                   std::to_string(report.mismatched.size()) + " mismatched keys left as they were");
  emit_event(request, "INFO", "Model loaded successfully");
  result.architecture = arch;
  result.metadata = info.metadata;
  input_chw = info.input_chw;
  return source;
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
      if (names.find(pass.name) == std::string::npos)
        names += std::string(names.empty() ? "" : ", ") + pass.name;
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

  std::vector<int64_t> checkpoint_input;
  std::unique_ptr<SourceModel> model = open_source(request, result, checkpoint_input);
  result.timings["load"] = watch.lap();

  ExportRequest effective = request;
  if (effective.inputs.empty() && !checkpoint_input.empty()) {
    std::vector<int64_t> shape = checkpoint_input;
    shape.insert(shape.begin(), request.batch_size > 0 ? request.batch_size : 1);
    effective.inputs.push_back({shape, "float32"});
  }
  Specs specs = resolve_specs(effective, *model);
  if (request.input_names.size() > specs.size())
    throw bad_input(std::to_string(request.input_names.size()) +
                    " input names given but the model takes " + std::to_string(specs.size()) +
                    " input(s)");
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

  emit_event(
      request, "INFO",
      request.validate_only ? "Validating " + output_path + "..." : "Exporting to ONNX format...");
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

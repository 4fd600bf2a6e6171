#include "mlexport/export.h"

#include <unistd.h>

#include <filesystem>

#include "core/checkpoint_info.h"
#include "core/export_job.h"
#include "core/export_source.h"
#include "core/formats/format_registry.h"
#include "core/inputs.h"
#include "frontend/onnx/onnx_source.h"
#include "frontend/torchscript/torchscript_model.h"
#include "frontend/zoo_checkpoint/zoo_source.h"
#include "passes/pass.h"
#include "zoo/zoo.h"

namespace mlexport {
namespace {

namespace fs = std::filesystem;
using core::Specs;

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
    const auto dtypes = model.default_input_dtypes();
    for (size_t k = 0; k < defaults.size(); ++k) {
      if (request.batch_size > 0) defaults[k][0] = request.batch_size;
      const std::string dtype =
          k < dtypes.size() ? std::string(ir::dtype_name(dtypes[k])) : "float32";
      specs.push_back({defaults[k], dtype});
    }
  }
  if (specs.size() != num_inputs)
    throw bad_input("the model takes " + std::to_string(num_inputs) + " input(s) but " +
                    std::to_string(specs.size()) + " input shape(s) were given");
  return core::parse_input_specs(specs);
}

void emit_event(const ExportRequest& request, const std::string& level,
                const std::string& message) {
  if (request.on_event) request.on_event(level, message);
}

// Opens the model: TorchScript as it is, checkpoints through the zoo, ONNX files (given as
// --onnx_path without a model) through the ONNX frontend.
// `input_chw` receives the input size the checkpoint records, if any.
std::unique_ptr<SourceModel> open_source(const ExportRequest& request, ExportResult& result,
                                         std::vector<int64_t>& input_chw) {
  if (request.model_path.empty()) {
    result.source_kind = "onnx";
    emit_event(request, "INFO", "Loading ONNX model from " + request.onnx_path);
    return frontend::open_onnx_source(request.onnx_path);
  }
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

void check_request(const ExportRequest& request, bool in_memory) {
  if (request.opset_version < 11 || request.opset_version > 17)
    throw bad_input("opset " + std::to_string(request.opset_version) +
                    " is outside the supported range 11-17");
  if (request.validation.num_samples < 1) throw bad_input("--num_samples must be at least 1");
  if (!in_memory && request.model_path.empty() && request.onnx_path.empty())
    throw bad_input("no model given: pass a model file, --checkpoint_path or --onnx_path");
  if (in_memory && request.output_path.empty()) throw bad_input("no output path given");
  if (request.validate_only && (request.onnx_path.empty() || request.model_path.empty()))
    throw bad_input("--validate_only needs a model and --onnx_path (the file to check)");
  if ((request.validation.atol && *request.validation.atol < 0) ||
      (request.validation.rtol && *request.validation.rtol < 0))
    throw bad_input("--atol and --rtol must not be negative");
  if (request.precision != "fp32" && request.precision != "fp16")
    throw bad_input("--precision must be fp32 or fp16, not '" + request.precision + "'");
  if (!request.quantize.empty() && request.quantize != "int8")
    throw bad_input("--quantize supports int8 only, not '" + request.quantize + "'");
  if (!request.quantize.empty() && request.precision == "fp16")
    throw bad_input("--quantize int8 and --precision fp16 cannot be combined");
  if (request.fp16_io && request.precision != "fp16")
    throw bad_input("--fp16_io needs --precision fp16");
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
}

std::string format_names(bool available) {
  std::string names;
  for (const auto& row : core::format_rows())
    if (row.info.available == available) names += (names.empty() ? "" : ", ") + row.info.name;
  return names;
}

// --format, else the output file's extension, else ONNX. Options that belong to one format are
// refused for the others rather than ignored.
const core::FormatRow& resolve_format(const ExportRequest& request, bool pytorch_source) {
  std::string name = request.format;
  const std::string& path = request.validate_only ? request.onnx_path : request.output_path;
  if (name.empty() && !path.empty()) {
    const FormatInfo* by_extension = format_for_path(path);
    if (!by_extension && !request.validate_only)
      throw bad_input("cannot tell the format from " + path + "; give --format (" +
                      format_names(true) + ")");
    if (by_extension) name = by_extension->name;
  }
  if (name.empty()) name = "onnx";
  const core::FormatRow* row = core::find_format_row(name);
  if (!row)
    throw bad_input("unknown format '" + name + "' (available: " + format_names(true) +
                    "; not available here: " + format_names(false) + ")");
  if (!row->info.available)
    throw bad_input("format '" + name + "' is not available: " + row->info.unavailable_reason);
  const bool onnx = row->info.name == "onnx";
  if (!onnx && (request.precision != "fp32" || !request.quantize.empty()))
    throw bad_input("--precision and --quantize apply to ONNX exports only");
  if (request.compress_to_fp16 && row->info.name != "openvino")
    throw bad_input("--compress_to_fp16 applies to OpenVINO exports only");
  if (!request.validate_only && !pytorch_source &&
      (row->info.name == "torch" || row->info.name == "torchscript"))
    throw bad_input("format '" + name + "' needs a PyTorch model; an ONNX file cannot become " +
                    row->info.display_name);
  return *row;
}

ExportResult run_export(const ExportRequest& request, core::PreparedSource* prepared) {
  ExportResult result;
  check_request(request, prepared != nullptr);
  const core::FormatRow& format =
      resolve_format(request, prepared != nullptr || !request.model_path.empty());
  result.format = format.info.name;

  const std::string& input_path =
      request.model_path.empty() ? request.onnx_path : request.model_path;
  const std::string output_path = request.validate_only ? request.onnx_path
                                  : request.output_path.empty()
                                      ? default_output_path(input_path, format.info.extensions[0])
                                      : request.output_path;
  if (request.validate_only) {
    std::error_code ec;
    if (!fs::is_regular_file(output_path, ec)) throw bad_input(output_path + ": no such file");
  } else {
    check_writable_folder(output_path);
    std::error_code ec;
    if (!prepared && fs::equivalent(output_path, input_path, ec))
      throw bad_input(output_path + " is the input file; choose another --output_path");
  }

  core::ExportJob job{request, result, format.info};
  if (prepared) {
    job.model = std::move(prepared->model);
    result.source_kind = prepared->kind;
    result.architecture = prepared->architecture;
  } else {
    job.model = open_source(request, result, job.checkpoint_input_chw);
  }
  job.lap("load");

  ExportRequest effective = request;
  if (effective.inputs.empty() && !job.checkpoint_input_chw.empty()) {
    std::vector<int64_t> shape = job.checkpoint_input_chw;
    shape.insert(shape.begin(), request.batch_size > 0 ? request.batch_size : 1);
    effective.inputs.push_back({shape, "float32"});
  }
  job.specs = resolve_specs(effective, *job.model);
  if (request.input_names.size() > job.specs.size())
    throw bad_input(std::to_string(request.input_names.size()) +
                    " input names given but the model takes " + std::to_string(job.specs.size()) +
                    " input(s)");
  if (prepared && !prepared->example_inputs.empty()) {
    job.inputs = prepared->example_inputs;
    job.specs.clear();
    for (const auto& t : job.inputs) job.specs.emplace_back(t.dtype, t.shape);
  } else if (!request.validation.sample_input.empty()) {
    job.inputs = core::load_sample_inputs(request.validation.sample_input);
    if (job.inputs.size() != job.specs.size())
      throw bad_input(request.validation.sample_input + " holds " +
                      std::to_string(job.inputs.size()) + " arrays but the model takes " +
                      std::to_string(job.specs.size()) + " inputs");
    for (size_t k = 0; k < job.inputs.size() && !request.inputs.empty(); ++k)
      if (job.inputs[k].shape != job.specs[k].second)
        throw bad_input(request.validation.sample_input + ": array " + std::to_string(k) +
                        " has shape " + ir::shape_to_string(job.inputs[k].shape) +
                        " but --input_shape says " + ir::shape_to_string(job.specs[k].second));
    job.specs.clear();
    for (const auto& t : job.inputs) job.specs.emplace_back(t.dtype, t.shape);
  } else {
    job.inputs = core::random_inputs(job.specs, request.validation.seed);
  }
  job.output_path = output_path;
  result.output_path = output_path;

  if (request.validate_only) {
    job.event("INFO", "Validating " + output_path + "...");
    result.validation = format.validate(job);
    job.lap("validate");
    return result;
  }
  job.event("INFO", "Exporting to " + format.info.display_name + " format...");
  format.write(job);
  job.lap("emit");
  if (request.validation.enabled) {
    result.validation = format.validate(job);
    job.lap("validate");
  }
  return result;
}

}  // namespace

ExportResult export_model(const ExportRequest& request) {
  return run_export(request, nullptr);
}

namespace core {

ExportResult export_prepared(const ExportRequest& request, PreparedSource source) {
  return run_export(request, &source);
}

}  // namespace core
}  // namespace mlexport

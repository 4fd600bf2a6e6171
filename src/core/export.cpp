#include "mlexport/export.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "core/checkpoint_info.h"
#include "core/export_job.h"
#include "core/export_source.h"
#include "core/formats/format_registry.h"
#include "core/inputs.h"
#include "core/onnx_file_info.h"
#include "core/planned_output.h"
#include "core/segmentation_output.h"
#include "core/task_metadata.h"
#include "frontend/onnx/onnx_source.h"
#include "frontend/torchscript/torch_source.h"
#include "frontend/zoo_checkpoint/zoo_source.h"
#include "passes/pass.h"
#include "runtime/libtorch/torch_reference.h"
#include "runtime/onnx_file_reference.h"
#include "torchmodel/operator_libraries.h"
#include "torchmodel/torch_model_handle.h"
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

// Creates the output's missing folders (as `mkdir -p`); returns the outermost one it created, so
// a failed export can take it away again ("" when none was missing).
fs::path make_output_folder(const std::string& output_path) {
  fs::path dir = fs::path(output_path).parent_path();
  if (dir.empty()) return {};
  std::error_code ec;
  fs::path outermost;
  for (fs::path p = dir; !p.empty() && !fs::exists(p, ec); p = p.parent_path()) {
    outermost = p;
    if (p == p.parent_path()) break;
  }
  if (outermost.empty()) return {};
  fs::create_directories(dir, ec);
  if (ec) throw bad_input("cannot create the output folder " + dir.string() + ": " + ec.message());
  return outermost;
}

void check_writable_folder(const std::string& output_path) {
  fs::path dir = fs::path(output_path).parent_path();
  if (dir.empty()) dir = ".";
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw bad_input("output folder " + dir.string() + " is not a folder");
  if (::access(dir.c_str(), W_OK) != 0)
    throw bad_input("output folder " + dir.string() + " is not writable");
  if (fs::is_directory(output_path, ec)) throw bad_input(output_path + " is a directory");
}

Specs resolve_specs(const ExportRequest& request, const frontend::Source& model) {
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

// --task, else the checkpoint's "task" (or regression when it gives num_outputs), else the
// architecture's. A task the architecture cannot perform is refused: a segmentation model only
// segments; a classifier's head serves classification or regression. A checkpoint's task in
// another spelling ("Semantic Segmentation") is read as the task it names; one that names none
// is left aside with a warning (the file's field, unlike --task, is not the user's request).
std::string checkpoint_task(const ExportRequest& request, const core::CheckpointInfo& info,
                            const std::string& arch) {
  const std::string own = zoo::model_task(arch);
  std::string task = request.task;
  std::string from = "--task";
  if (task.empty() && !info.task.empty()) {
    task = core::canonical_task(info.task);
    from = "the checkpoint's task";
    if (task.empty())
      emit_event(request, "WARNING",
                 "the checkpoint's task '" + info.task + "' is not one mlexport knows; using " +
                     arch + "'s");
  }
  if (task.empty()) task = info.num_outputs > 0 && own == "classification" ? "regression" : own;
  core::check_task(task, from);
  const bool fits = task == own || (own == "classification" && task == "regression");
  if (!fits)
    throw bad_input(
        from + " '" + task + "' does not fit " + arch + ", a " + own + " model" +
        (own == "classification" ? " (it can serve classification or regression)" : ""));
  return task;
}

// A PyTorch model's IR source, LibTorch reference and artifacts, sharing the one loaded model.
core::OpenedModel open_torch_model(std::shared_ptr<torchmodel::TorchModel> model) {
  return {frontend::torchscript::make_torch_source(model),
          runtime::libtorch::make_torch_reference(model), torchmodel::artifacts_of(model)};
}

// An ONNX file: imported as the IR source; ONNX Runtime on the original file is the reference.
core::OpenedModel open_onnx_model(const std::string& path) {
  auto source = std::make_unique<frontend::onnx::OnnxSourceModel>(path);
  auto reference = std::make_unique<runtime::OnnxFileReference>(path, source->input_shapes());
  return {std::move(source), std::move(reference), nullptr};
}

// Opens the model: TorchScript as it is, checkpoints through the zoo, ONNX files (given as
// --onnx_path without a model) through the ONNX frontend.
// `input_chw` receives the input size the checkpoint records, if any.
core::OpenedModel open_source(const ExportRequest& request, ExportResult& result,
                              std::vector<int64_t>& input_chw) {
  if (request.model_path.empty()) {
    result.source_kind = "onnx";
    emit_event(request, "INFO", "Loading ONNX model from " + request.onnx_path);
    return open_onnx_model(request.onnx_path);
  }
  const core::SourceKind kind = core::detect_source_kind(request.model_path);
  if (kind == core::SourceKind::kTorchScript) {
    result.source_kind = "torchscript";
    emit_event(request, "INFO", "Loading model from " + request.model_path);
    return open_torch_model(torchmodel::load_torchscript(request.model_path));
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
  const std::string task = checkpoint_task(request, info, arch);
  // A regression head is the classifier's Linear with num_outputs outputs (no softmax).
  const int64_t head = request.num_classes > 0                        ? request.num_classes
                       : task == "regression" && info.num_outputs > 0 ? info.num_outputs
                                                                      : info.num_classes;
  frontend::zoo_checkpoint::StateReport report;
  auto model = frontend::zoo_checkpoint::make_zoo_model(arch, head, info.state, !request.non_strict,
                                                        &report);
  const std::string family = zoo::model_family(arch);
  const std::string variant =
      task == "classification" ? (family == "custom" ? "custom" : "base") : task;
  const std::string head_size = task == "anomaly" ? ""
                                : task == "regression"
                                    ? ", " + std::to_string(report.num_classes) + " outputs"
                                    : ", " + std::to_string(report.num_classes) + " classes";
  emit_event(request, "INFO", "Creating model: " + arch + " (" + variant + head_size + ")");
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
  result.task = task;
  result.class_names = info.class_names;
  if (!result.class_names.empty() &&
      static_cast<int64_t>(result.class_names.size()) != report.num_classes)
    emit_event(request, "WARNING",
               "the checkpoint names " + std::to_string(result.class_names.size()) +
                   " classes but the model has " + std::to_string(report.num_classes) +
                   " outputs; the names are recorded as they are");
  result.metadata = info.metadata;
  input_chw = info.input_chw;
  return open_torch_model(std::move(model));
}

void check_request(const ExportRequest& request, bool in_memory) {
  if (request.opset_version < 11 || request.opset_version > 17)
    throw bad_input("opset " + std::to_string(request.opset_version) +
                    " is outside the supported range 11-17");
  if (request.validation.runtime == "opencv")
    throw bad_input(
        "--runtime opencv was removed: OpenCV 4.6's ONNX importer rejects ordinary exports "
        "(a Gemm without transB); validation runs in ONNX Runtime");
  if (request.validation.runtime != "onnxruntime")
    throw bad_input("unknown --runtime '" + request.validation.runtime +
                    "' (validation runs in onnxruntime)");
  if (request.validation.num_samples < 1) throw bad_input("--num_samples must be at least 1");
  if (!in_memory && request.model_path.empty() && request.onnx_path.empty())
    throw bad_input("no model given: pass a model file, --checkpoint_path or --onnx_path");
  if (in_memory && request.output_path.empty()) throw bad_input("no output path given");
  if (request.validate_only && request.model_path.empty())
    throw bad_input("--validate_only needs the model to compare with (--checkpoint_path)");
  if (!request.validate_only && !request.model_path.empty() && !request.onnx_path.empty())
    throw bad_input(
        "--onnx_path names the file --validate_only checks; to choose where the export is "
        "written, use --output_path");
  if (request.batch_size < 0) throw bad_input("--batch_size must be positive");
  if ((request.validation.atol && *request.validation.atol < 0) ||
      (request.validation.rtol && *request.validation.rtol < 0))
    throw bad_input("--atol and --rtol must not be negative");
  const bool fp16 = request.precision == Precision::kFp16;
  if (request.quantize != Quantization::kNone && fp16)
    throw bad_input("--quantize int8 and --precision fp16 cannot be combined");
  if (request.fp16_io && !fp16) throw bad_input("--fp16_io needs --precision fp16");
  core::parse_segmentation_output(request.segmentation_output);
  if (!request.task.empty()) core::check_task(request.task, "--task");
  if (!request.keep_fp32.empty() && !fp16) throw bad_input("--keep_fp32 needs --precision fp16");
  if (request.validation.localize_budget_bytes == 0)
    throw bad_input("--localize_budget must be positive");
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
  std::string refusal;
  if (!row->accepts(request, pytorch_source, &refusal)) throw bad_input(refusal);
  return *row;
}

// The file an export writes, or --validate_only checks: --onnx_path / --output_path, else the
// model's path with the format's extension.
std::string planned_path(const ExportRequest& request, const core::FormatRow& format) {
  const std::string& input_path =
      request.model_path.empty() ? request.onnx_path : request.model_path;
  if (request.validate_only)
    return request.onnx_path.empty() ? default_output_path(request.model_path, ".onnx")
                                     : request.onnx_path;
  return request.output_path.empty() ? default_output_path(input_path, format.info.extensions[0])
                                     : request.output_path;
}

// --validate_only on an ONNX file: the inputs are the file's (names, element types, fixed dims;
// symbolic dims keep the requested or default size and are validated at a second size), and the
// bands are those of the file's precision.
void adopt_file_inputs(core::ExportJob& job, const std::string& path) {
  const ExportRequest& request = job.request;
  const core::OnnxFileInfo info = core::read_onnx_file_info(path);
  if (info.inputs.size() != job.specs.size())
    throw bad_input(path + " takes " + std::to_string(info.inputs.size()) +
                    " input(s) but the model takes " + std::to_string(job.specs.size()));
  const bool shapes_given = !request.inputs.empty();
  std::string described;
  for (size_t k = 0; k < info.inputs.size(); ++k) {
    const core::OnnxFileInput& in = info.inputs[k];
    auto& [dtype, shape] = job.specs[k];
    if (in.has_shape) {
      if (in.dims.size() != shape.size()) {
        if (shapes_given)
          throw bad_input(path + ": input '" + in.name + "' has " + std::to_string(in.dims.size()) +
                          " axes but --input_shape gives " + std::to_string(shape.size()));
        shape.assign(in.dims.size(), 1);
        if (!shape.empty() && request.batch_size > 0) shape[0] = request.batch_size;
      }
      for (size_t d = 0; d < in.dims.size(); ++d) {
        const ir::Dim& dim = in.dims[d];
        if (dim.is_fixed()) {
          if ((shapes_given || (d == 0 && request.batch_size > 0)) && shape[d] != dim.size)
            throw bad_input(path + ": input '" + in.name + "' is fixed at " +
                            std::to_string(dim.size) + " on axis " + std::to_string(d) + " but " +
                            (shapes_given ? "--input_shape" : "--batch_size") + " gives " +
                            std::to_string(shape[d]));
          shape[d] = dim.size;
        } else {
          job.dynamic_axes.push_back(
              {k, static_cast<int64_t>(d),
               dim.symbol.empty() ? in.name + "_dim" + std::to_string(d) : dim.symbol});
        }
      }
    }
    ir::DType feed = dtype;
    if (in.dtype) {
      if (*in.dtype == ir::DType::Float16 && ir::is_floating(dtype))
        feed = ir::DType::Float16;  // the model computes in its own type; the file takes halves
      else
        dtype = feed = *in.dtype;
    }
    job.feed_dtypes.push_back(feed);
    std::string dims;
    for (size_t d = 0; d < in.dims.size(); ++d)
      dims += (d ? "," : "") + (in.dims[d].is_fixed()       ? std::to_string(in.dims[d].size)
                                : in.dims[d].symbol.empty() ? std::string("?")
                                                            : in.dims[d].symbol);
    described += std::string(described.empty() ? "" : ", ") + in.name + " [" + dims + "] " +
                 std::string(ir::dtype_name(feed));
  }
  job.precision = info.precision;
  job.event("INFO", "Inputs from the file: " + described + "; precision " + info.precision +
                        (info.opset ? ", opset " + std::to_string(info.opset) : ""));
}

ExportResult run_export_in(const ExportRequest& request, core::PreparedSource* prepared,
                           ExportResult& result, fs::path& created_folder) {
  check_request(request, prepared != nullptr);
  torchmodel::load_operator_libraries(request.ops_libraries);  // before any model is read
  const core::FormatRow& format =
      resolve_format(request, prepared != nullptr || !request.model_path.empty());
  result.format = format.info.name;

  const std::string& input_path =
      request.model_path.empty() ? request.onnx_path : request.model_path;
  const std::string output_path = planned_path(request, format);
  if (request.validate_only) {
    std::error_code ec;
    if (!fs::is_regular_file(output_path, ec))
      throw bad_input(output_path + ": no such file" +
                      (request.onnx_path.empty() ? " (the file an export would have written; "
                                                   "give --onnx_path to check another)"
                                                 : ""));
  } else {
    created_folder = make_output_folder(output_path);
    check_writable_folder(output_path);
    std::error_code ec;
    if (!prepared && fs::equivalent(output_path, input_path, ec))
      throw bad_input(output_path + " is the input file; choose another --output_path");
  }

  core::ExportJob job{request, result, format.info};
  job.segmentation_output = core::parse_segmentation_output(request.segmentation_output);
  if (prepared) {
    job.model = std::move(prepared->model);
    result.source_kind = prepared->kind;
    result.architecture = prepared->architecture;
  } else {
    job.model = open_source(request, result, job.checkpoint_input_chw);
  }
  if (result.task.empty()) result.task = request.task;
  job.lap("load");

  ExportRequest effective = request;
  if (effective.inputs.empty() && !job.checkpoint_input_chw.empty()) {
    std::vector<int64_t> shape = job.checkpoint_input_chw;
    shape.insert(shape.begin(), request.batch_size > 0 ? request.batch_size : 1);
    effective.inputs.push_back({shape, "float32"});
  }
  job.specs = resolve_specs(effective, *job.model.source);
  {
    std::vector<bool> complex;
    for (const InputSpec& spec : effective.inputs)
      complex.push_back(core::is_complex_dtype(spec.dtype));
    if (std::find(complex.begin(), complex.end(), true) != complex.end())
      job.model.source->set_complex_inputs(complex);
  }
  if (request.validate_only && format.info.name == "onnx") adopt_file_inputs(job, output_path);
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
  auto remove_written = [&] {
    std::error_code ec;
    fs::remove(output_path, ec);
    for (const auto& extra : result.extra_paths) fs::remove(extra, ec);
  };
  try {
    if (request.validation.enabled) {
      result.validation = format.validate(job);
      job.lap("validate");
    } else if (!request.dynamic_axes_spec.empty() && job.model.source) {
      // Even unvalidated, a file never keeps a named dim that only looks dynamic (only formats
      // that take named axes get here).
      format.validate(job);
      job.lap("validate");
    }
  } catch (const Error& e) {
    // A FAIL keeps the file for inspection; validation that could not run leaves none.
    if (e.code() != ExitCode::kValidationFailed) remove_written();
    throw;
  } catch (...) {
    remove_written();
    throw;
  }
  if (!job.dynamic_failure.empty()) {
    // A dim that only looks dynamic is never left in a file.
    remove_written();
    throw bad_input("--dynamic_axes: the export is not dynamic on " + job.dynamic_failure +
                    "; no file written");
  }
  return result;
}

ExportResult run_export(const ExportRequest& request, core::PreparedSource* prepared) {
  ExportResult result;
  fs::path created_folder;  // removed again when the export fails
  try {
    return run_export_in(request, prepared, result, created_folder);
  } catch (...) {
    std::error_code ec;
    if (!created_folder.empty()) fs::remove_all(created_folder, ec);
    throw;
  }
}

}  // namespace

ExportResult export_model(const ExportRequest& request) {
  return run_export(request, nullptr);
}

namespace core {

ExportResult export_prepared(const ExportRequest& request, PreparedSource source) {
  return run_export(request, &source);
}

std::string planned_output_path(const ExportRequest& request) {
  try {
    return planned_path(request, resolve_format(request, !request.model_path.empty()));
  } catch (const Error&) {
    return "";
  }
}

}  // namespace core
}  // namespace mlexport

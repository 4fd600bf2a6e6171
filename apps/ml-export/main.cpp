// ml-export: exports PyTorch models (and ONNX files) to deployable formats and validates each
// export. Argument parsing and printing only; the work happens in mlexport::export_model.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <sstream>

#include <unistd.h>

#include <filesystem>
#include <optional>

#include "core/batch.h"
#include "core/batch_plan.h"
#include "core/dynamic_axes.h"
#include "core/export_report.h"
#include "core/planned_output.h"
#include "interrupt.h"
#include "log.h"
#include "mlexport/error_codes.h"
#include "mlexport/export.h"
#include "mlexport/formats.h"
#include "mlexport/report.h"
#include "suggest.h"

namespace {

using mlexport::ExitCode;
using mlexport::cli::Log;

// The options that map one to one onto the request are bound to it directly; the rest are kept
// as given and turned into request fields by make_request.
struct Flags {
  mlexport::ExportRequest request = cli_defaults();
  std::vector<std::string> sample_inputs;
  std::string pattern, runtime, precision = "fp32", quantize, compare;
  std::vector<std::string> input_shapes, input_dtypes;
  std::string input_names, output_names;
  std::optional<int> batch_size;
  int jobs = 1;
  std::string dynamic_axes_spec;             // --dynamic_axes SPEC; empty with the bare flag
  std::string shard, report, merge_reports;  // batch parts and their JSON Lines report
  std::optional<int> shard_count;
  bool force = false;
  bool localize = false, no_localize = false;
  std::optional<double> localize_budget_mb;
  bool json = false, list_formats = false;

  // The CLI's defaults where they differ from the library's: opset 14, as the export guide's.
  static mlexport::ExportRequest cli_defaults() {
    mlexport::ExportRequest r;
    r.opset_version = 14;
    return r;
  }
};

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

std::vector<int64_t> parse_shape(const std::string& text) {
  std::vector<int64_t> dims;
  for (const std::string& part : split_list(text)) {
    size_t used = 0;
    long long v = 0;
    try {
      v = std::stoll(part, &used);
    } catch (...) {
      used = 0;
    }
    if (used != part.size() || v <= 0)
      throw mlexport::bad_input("--input_shape '" + text +
                                "' is not a list of positive integers like 1,3,224,224");
    dims.push_back(v);
  }
  if (dims.empty()) throw mlexport::bad_input("--input_shape '" + text + "' is empty");
  return dims;
}

mlexport::ExportRequest make_request(const Flags& f) {
  mlexport::ExportRequest r = f.request;
  if (!f.input_dtypes.empty() && f.input_dtypes.size() != f.input_shapes.size() &&
      !(f.input_shapes.empty() && f.input_dtypes.size() == 1))
    throw mlexport::bad_input("give one --input_dtype per --input_shape (" +
                              std::to_string(f.input_shapes.size()) + " shapes, " +
                              std::to_string(f.input_dtypes.size()) + " dtypes)");
  for (size_t k = 0; k < f.input_shapes.size(); ++k) {
    mlexport::InputSpec spec;
    spec.shape = parse_shape(f.input_shapes[k]);
    if (k < f.input_dtypes.size()) spec.dtype = f.input_dtypes[k];
    r.inputs.push_back(spec);
  }
  if (f.input_shapes.empty() && f.input_dtypes.size() == 1 && f.input_dtypes[0] != "float32")
    throw mlexport::bad_input("--input_dtype needs --input_shape");
  if (f.batch_size && *f.batch_size < 1)
    throw mlexport::bad_input("--batch_size must be at least 1, not " +
                              std::to_string(*f.batch_size));
  if (f.batch_size)
    for (auto& spec : r.inputs) spec.shape[0] = *f.batch_size;
  r.batch_size = f.batch_size.value_or(0);
  if (r.num_classes == 0 || r.num_classes < -1)
    throw mlexport::bad_input("--num_classes must be positive");
  if (!f.dynamic_axes_spec.empty())
    r.dynamic_axes_spec = mlexport::core::parse_dynamic_axes(f.dynamic_axes_spec);
  r.precision = mlexport::parse_precision(f.precision);
  r.quantize = mlexport::parse_quantization(f.quantize);
  r.input_names = split_list(f.input_names);
  r.output_names = split_list(f.output_names);
  if (!f.sample_inputs.empty()) {
    r.validation.sample_input = f.sample_inputs.front();
    r.validation.more_sample_inputs.assign(f.sample_inputs.begin() + 1, f.sample_inputs.end());
  }
  r.validation.runtime = f.runtime.empty() ? "onnxruntime" : f.runtime;
  r.validation.compare = mlexport::parse_compare(f.compare);
  if (f.localize && f.no_localize)
    throw mlexport::bad_input("--localize and --no-localize contradict each other; give one");
  r.validation.localize = f.localize      ? mlexport::Localize::kAlways
                          : f.no_localize ? mlexport::Localize::kNever
                                          : mlexport::Localize::kAuto;
  if (f.localize_budget_mb) {
    if (!(*f.localize_budget_mb > 0))
      throw mlexport::bad_input("--localize_budget must be a positive number of MB");
    r.validation.localize_budget_bytes = static_cast<uint64_t>(*f.localize_budget_mb * (1 << 20));
  }
  if (r.validation.absolute_bands && (r.validation.atol || r.validation.rtol))
    throw mlexport::bad_input("--absolute_bands and --atol/--rtol are two ways to judge; give one");
  return r;
}

std::string sci(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2e", v);
  return buf;
}

std::string fixed6(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6f", v);
  return buf;
}

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string out;
  for (int64_t d : shape) out += (out.empty() ? "" : "x") + std::to_string(d);
  return "[" + out + "]";
}

// The localisation block: where the export first departs from the model, and what follows.
void print_divergence(Log& log, const mlexport::Divergence& d) {
  char cost[96];
  std::snprintf(cost, sizeof cost, "%d of %d values compared in %d run%s, %.1f s", d.compared,
                d.candidates, d.runs, d.runs == 1 ? "" : "s", d.seconds);
  if (!d.found) {
    log.info("Localisation: " + d.note + " (" + cost + ")");
    return;
  }
  std::string where = d.scope.empty() ? "" : " at scope " + d.scope;
  if (!d.location.empty()) where += (where.empty() ? " at " : " ") + d.location;
  std::string inputs = d.inputs.empty() ? "no input compared"
                                        : "inputs within tolerance (" +
                                              std::to_string(d.inputs.size()) + " compared)";
  log.warning("First divergence: node " + d.node + " (" + d.op +
              (d.source_op.empty() ? "" : ", from " + d.source_op) + ")" + where +
              " — max difference " + sci(d.metrics.max_diff) + ", scaled " +
              sci(d.metrics.scaled_max_diff) + ", cosine similarity " +
              (std::isfinite(d.metrics.cosine_similarity) ? fixed6(d.metrics.cosine_similarity)
                                                          : "undefined (non-finite values)") +
              "; " + inputs);
  if (!d.uncompared_nodes.empty()) {
    std::string names;
    for (const auto& n : d.uncompared_nodes) names += (names.empty() ? "" : ", ") + n;
    log.info("  Between those inputs and it, nodes without a reference value: " + names);
  }
  if (!d.worst_downstream.empty()) {
    std::string worst;
    for (const auto& m : d.worst_downstream)
      worst += (worst.empty() ? "" : ", ") + m.name + " " + sci(m.max_diff);
    log.info("  Worst downstream: " + worst);
  }
  if (d.origins.size() > 1) {
    std::string names;
    for (size_t k = 1; k < d.origins.size(); ++k) names += (k > 1 ? ", " : "") + d.origins[k];
    log.info("  The error also starts at: " + names);
  }
  if (!d.keep_fp32.empty()) {
    std::string flags;
    for (const auto& k : d.keep_fp32) flags += (flags.empty() ? "" : " ") + ("--keep_fp32 " + k);
    log.info("  To keep " + std::string(d.origins.size() > 1 ? "them" : "it") +
             " in float32, export again with one or more of: " + flags);
  }
  log.info(std::string("  Localisation: ") + cost);
}

// The guide's block (metrics line, three metric lines, verdict), then extras on lines of their
// own, so that scripts written against the guide read the same lines.
void print_validation(Log& log, const mlexport::ValidationResult& v,
                      const std::string& display_name) {
  if (!v.method.empty()) log.info("Validated by: " + v.method);
  if (!v.runtime.empty()) log.info("Runtime: " + v.runtime);
  log.info("Validation metrics:");
  log.info("  Max difference: " + sci(v.max_diff));
  log.info("  MSE: " + sci(v.mse));
  log.info("  Cosine similarity: " + fixed6(v.cosine_similarity));
  const std::string what = display_name + " export";
  if (v.status == "PASS")
    log.success("✓ PASS - " + what + " validation successful");
  else if (v.status == "WARN")
    log.warning("⚠ WARN - " + what + " has minor differences");
  else
    log.error("✗ FAIL - " + what + " validation failed");
  if (v.outputs.size() > 1)
    for (const auto& m : v.outputs)
      log.info("Output " + m.name + " " + shape_text(m.shape) + ": max difference " +
               sci(m.max_diff) + ", MSE " + sci(m.mse) + ", cosine similarity " +
               fixed6(m.cosine_similarity) + " (" + m.status + ")");
  for (const auto& m : v.outputs)
    if (!m.class_map.empty()) log.info("Class map " + m.name + ": " + m.class_map);
  if (!v.control_flow.empty()) log.info("Control flow validated: " + v.control_flow);
  if (!v.detections.empty()) log.info("Detections " + v.detections + " (compared as sets)");
  for (const auto& note : v.notes) log.warning(note);
  if (v.divergence.ran) print_divergence(log, v.divergence);
  if (!v.absolute_bands && !v.absolute_status.empty() && v.absolute_status != v.status) {
    // The output whose scaled difference decided (not always the one of the largest
    // difference: boxes in pixels differ more than scores in [0, 1], and are larger).
    double max_abs = 0, its_diff = v.max_diff;
    for (const auto& m : v.outputs)
      if (m.scaled_max_diff == v.scaled_max_diff) {
        max_abs = m.max_abs_reference;
        its_diff = m.max_diff;
        break;
      }
    const bool guide = v.precision.empty() || v.precision == "fp32";
    log.info("Verdict " + v.status +
             " judged on the difference scaled by the output's magnitude: " + sci(its_diff) +
             " / max(1, max|output| " + sci(max_abs) + ") = " + sci(v.scaled_max_diff) + "; " +
             (guide ? "the guide's absolute bands (max difference < 1e-05 PASS, < 1e-04 WARN "
                      "with cosine similarity >= 0.999)"
                    : "the " + v.precision + " bands on the raw max difference") +
             " give " + v.absolute_status + " for max difference " + sci(v.max_diff) +
             "; --absolute_bands judges by those");
  }
}

int run(const Flags& flags, Log& log) {
  mlexport::ExportRequest request = make_request(flags);
  if (!request.validate_only)
    mlexport::cli::begin_output(
        mlexport::core::planned_output_path(request),
        request.model_path.empty() ? request.onnx_path : request.model_path);
  request.on_event = [&log](const std::string& level, const std::string& message) {
    if (level == "WARNING")
      log.warning(message);
    else
      log.info(message);
  };
  mlexport::ExportResult result = mlexport::export_model(request);
  mlexport::cli::end_output(mlexport::core::planned_output_path(request));
  if (request.verbose) {
    for (const auto& line : result.pass_log) log.info("pass " + line);
    if (!result.ir_text.empty()) std::fprintf(stderr, "%s", result.ir_text.c_str());
  }
  const mlexport::FormatInfo* format = mlexport::find_format(result.format);
  if (!request.validate_only) {
    char size[64];
    if (result.node_count > 0)
      std::snprintf(size, sizeof size, "%.1f MB, %d %s", result.output_bytes / 1e6,
                    result.node_count, format ? format->node_unit.c_str() : "nodes");
    else
      std::snprintf(size, sizeof size, "%.1f MB", result.output_bytes / 1e6);
    log.success("✓ Model exported to: " + result.output_path + " (" + size + ")");
  }
  if (result.validation.ran) {
    const std::string display = format ? format->display_name : result.format;
    if (!request.validate_only) log.info("Validating " + display + " export...");
    print_validation(log, result.validation, display);
  }
  const bool failed = result.validation.ran && !result.validation.passed;
  if (flags.json) std::cout << mlexport::export_report_json(request, result) << std::endl;
  return failed ? static_cast<int>(ExitCode::kValidationFailed) : 0;
}

// A one-line progress bar, redrawn in place on a terminal.
void draw_progress(size_t done, size_t total) {
  const int width = 30;
  const int filled = total ? static_cast<int>(width * done / total) : width;
  std::fprintf(stderr, "\r[%s%s] %zu/%zu", std::string(filled, '#').c_str(),
               std::string(width - filled, '.').c_str(), done, total);
  if (done == total) std::fprintf(stderr, "\n");
  std::fflush(stderr);
}

int run_batch(const Flags& flags, Log& log) {
  if (!flags.request.output_path.empty())
    throw mlexport::bad_input(
        "--output_path cannot be used with --pattern (each model is "
        "exported beside its checkpoint)");
  if (flags.request.validate_only)
    throw mlexport::bad_input("--validate_only cannot be used with --pattern");
  if (flags.jobs < 1) throw mlexport::bad_input("--jobs must be at least 1");
  if (flags.force && flags.report.empty())
    throw mlexport::bad_input("--force only has a meaning with --report");
  const std::vector<std::string> matches = mlexport::expand_glob(flags.pattern);
  if (matches.empty()) throw mlexport::bad_input("no files match " + flags.pattern);
  log.info("Found " + std::to_string(matches.size()) + " checkpoints matching pattern");
  Flags one = flags;
  one.request.model_path = matches.front();
  mlexport::ExportRequest base = make_request(one);
  std::optional<mlexport::core::Shard> shard =
      !flags.shard.empty() ? std::optional(mlexport::core::parse_shard(flags.shard))
                           : mlexport::core::shard_from_environment(
                                 mlexport::core::process_environment(), flags.shard_count);
  const mlexport::core::BatchPlan plan =
      mlexport::core::plan_batch(matches, flags.pattern, base, shard, flags.report, flags.force);
  if (shard)
    log.info("Shard " + std::to_string(shard->index) + "/" + std::to_string(shard->count) + " (" +
             shard->origin + "): " + std::to_string(plan.to_export.size() + plan.skipped.size()) +
             " of " + std::to_string(matches.size()) + " checkpoints");
  for (const auto& skipped : plan.skipped) {
    log.info("Skipping " + skipped.path + ": passed before (" + skipped.output_path +
             "); --force exports it again");
    mlexport::core::append_line(flags.report, mlexport::core::to_json_line(skipped));
  }
  const std::vector<std::string>& paths = plan.to_export;
  if (paths.empty()) {
    log.success("✓ Nothing left to export in this part");
    if (flags.json) std::cout << "[]" << std::endl;
    return 0;
  }
  std::vector<std::chrono::steady_clock::time_point> started(paths.size());
  const bool terminal = ::isatty(STDERR_FILENO) && !flags.json;
  size_t done = 0, finished_ok = 0;
  mlexport::cli::set_interrupt_summary([&]() {
    return "successfully exported " + std::to_string(finished_ok) + "/" +
           std::to_string(paths.size()) + " models before the interruption";
  });
  auto output_of = [&](const std::string& path) {
    mlexport::ExportRequest r = base;
    r.model_path = path;
    r.output_path.clear();
    return mlexport::core::planned_output_path(r);
  };
  mlexport::BatchOptions options;
  options.jobs = flags.jobs;
  options.on_start = [&](size_t k, const std::string& path) {
    started[k] = std::chrono::steady_clock::now();
    mlexport::cli::begin_output(output_of(path), path);
    if (terminal) std::fprintf(stderr, "\r\033[K");
    log.info("Exporting checkpoint " + std::to_string(k + 1) + "/" + std::to_string(paths.size()) +
             ": " + path);
    if (terminal) draw_progress(done, paths.size());
  };
  options.on_done = [&](size_t k, const mlexport::BatchItem& item) {
    // A model whose export the signal cut short is the watcher's to clean up and report.
    if (mlexport::cli::interrupted()) mlexport::cli::wait_for_interrupt_exit();
    mlexport::cli::end_output(output_of(item.path));
    if (!flags.report.empty()) {
      const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started[k];
      mlexport::core::append_line(
          flags.report,
          mlexport::core::to_json_line(mlexport::core::record_for(item, plan, took.count())));
    }
    ++done;
    if (item.ok) ++finished_ok;
    if (terminal) std::fprintf(stderr, "\r\033[K");
    if (item.ok) {
      std::string verdict =
          item.result.validation.ran ? " (" + item.result.validation.status + ")" : "";
      log.success("✓ Exported to " + item.result.output_path + verdict);
    } else {
      const bool names_path = item.error.rfind(item.path, 0) == 0;
      log.error("✗ " + (names_path ? item.error : item.path + ": " + item.error));
    }
    if (terminal) draw_progress(done, paths.size());
  };
  auto items = mlexport::export_batch(paths, base, options);
  int worst = 0;
  size_t ok = 0;
  nlohmann::json all = nlohmann::json::array();
  for (const auto& item : items) {
    if (item.ok) ++ok;
    worst = std::max(worst, item.exit_code);
    if (flags.json) {
      mlexport::ExportRequest r = base;
      r.model_path = item.path;
      nlohmann::json j = item.ok || item.result.validation.ran
                             ? mlexport::core::export_report(r, item.result)
                             : nlohmann::json::object();
      j["source_path"] = item.path;
      j["ok"] = item.ok;
      j["exit_code"] = item.exit_code;
      if (!item.error.empty()) j["error"] = item.error;
      all.push_back(j);
    }
  }
  const std::string summary = "Successfully exported " + std::to_string(ok) + "/" +
                              std::to_string(items.size()) + " models";
  if (ok == items.size())
    log.success("✓ " + summary);
  else
    log.error("✗ " + summary);
  if (flags.json) std::cout << all.dump(2) << std::endl;
  return worst;
}

// Interruptions (130, 143) are the CLI's own; the library names the rest.
std::string error_code_name(int exit_code) {
  const std::string name = mlexport::exit_code_name(exit_code);
  return name.empty() ? "interrupted" : name;
}

// With --json a failure still prints one document on stdout.
void print_error_json(int exit_code, const std::string& code, const std::string& message) {
  nlohmann::json doc = {
      {"error", {{"code", code}, {"exit_code", exit_code}, {"message", message}}}};
  std::cout << doc.dump(2) << std::endl;
}

void print_error_json(ExitCode code, const std::string& message) {
  const int exit_code = static_cast<int>(code);
  print_error_json(exit_code, error_code_name(exit_code), message);
}

int print_formats(bool json) {
  if (json) {
    nlohmann::json all = nlohmann::json::array();
    for (const auto& f : mlexport::list_formats())
      all.push_back({{"name", f.name},
                     {"display_name", f.display_name},
                     {"extensions", f.extensions},
                     {"available", f.available},
                     {"unavailable_reason", f.unavailable_reason},
                     {"validated_by", f.validated_by},
                     {"description", f.description}});
    std::cout << all.dump(2) << std::endl;
    return 0;
  }
  std::printf("%-16s %-20s %-14s %s\n", "FORMAT", "NAME", "EXTENSIONS", "STATUS");
  for (const auto& f : mlexport::list_formats()) {
    std::string extensions;
    for (const auto& e : f.extensions) extensions += (extensions.empty() ? "" : " ") + e;
    std::printf("%-16s %-20s %-14s %s\n", f.name.c_str(), f.display_name.c_str(),
                extensions.c_str(),
                f.available ? ("available; validated by " + f.validated_by).c_str()
                            : ("coming soon: " + f.unavailable_reason).c_str());
  }
  return 0;
}

int merge_reports(const std::string& pattern, bool json) {
  try {
    std::string summary;
    const int code = mlexport::core::merge_reports(pattern, &summary);
    std::cout << summary << std::flush;
    return code;
  } catch (const mlexport::Error& e) {
    std::fprintf(stderr, "ERROR: %s\n", e.what());
    if (json) print_error_json(e.code(), e.what());
    return static_cast<int>(e.code());
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "ml-export: export PyTorch models to ONNX, OpenVINO, TorchScript or PyTorch checkpoints, "
      "and validate each export against the model"};
  Flags f;
  auto* single = app.add_option("--checkpoint_path", f.request.model_path,
                                "TorchScript file, torch.save checkpoint or .safetensors");
  auto* many = app.add_option("--pattern", f.pattern,
                              "Glob of models to export, each beside itself (** for any folders)");
  single->excludes(many);
  app.add_option("--jobs", f.jobs, "Models exported in parallel with --pattern")->default_val(1);
  app.add_option("--shard", f.shard,
                 "With --pattern: export part K of N (K/N, 0 <= K < N; default: from "
                 "SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX)");
  app.add_option("--shard_count", f.shard_count,
                 "Number of parts when the part comes from JOB_COMPLETION_INDEX");
  app.add_option("--report", f.report,
                 "With --pattern: append one JSON line per export to this file; exports that "
                 "passed before for the same content and options are skipped");
  app.add_flag("--force", f.force, "With --report: export again what passed before");
  app.add_option("--merge_reports", f.merge_reports,
                 "Print the summary of the reports this glob matches (exit 1 if any failed)");
  app.add_option("--model", f.request.model,
                 "Architecture for a checkpoint (wins over the file's)");
  app.add_option("--num_classes", f.request.num_classes, "Classes of the checkpoint's classifier");
  app.add_option("--task", f.request.task,
                 "classification, detection, instance_segmentation, segmentation, anomaly or "
                 "regression (default: the checkpoint's, else the architecture's)");
  app.add_option("--segmentation_output", f.request.segmentation_output,
                 "logits (default), probabilities, argmax (int64 class map) or argmax:uint8");
  app.add_flag("--non_strict", f.request.non_strict,
               "Load checkpoints whose keys do not all match");
  app.add_option("--output_path", f.request.output_path,
                 "Output file (default: beside the input, with the format's extension)");
  app.add_option("--format", f.request.format,
                 "Output format (see --list_formats; default: from --output_path's extension, "
                 "else onnx)");
  app.add_flag("--list_formats", f.list_formats, "List every format and whether it is available");
  app.add_option("--precision", f.precision, "ONNX weights and compute: fp32 or fp16")
      ->default_val("fp32");
  app.add_flag("--fp16_io", f.request.fp16_io,
               "With --precision fp16: float16 inputs and outputs too");
  app.add_option("--quantize", f.quantize, "ONNX dynamic quantization: int8");
  app.add_flag("--compress_to_fp16", f.request.compress_to_fp16,
               "OpenVINO: store float32 weights as float16");
  app.add_option("--input_shape", f.input_shapes, "Input shape, one per input (e.g. 1,3,224,224)");
  app.add_option("--input_dtype", f.input_dtypes,
                 "Input dtype, one per input: float32 float16 float64 int64 int32 bool, or "
                 "complex64 complex128 (the file takes (real, imag) pairs: a trailing dim of 2)");
  app.add_option("--batch_size", f.batch_size, "Batch size (dim 0 of every input; default 1)");
  app.add_option("--opset_version", f.request.opset_version, "ONNX opset (11-17)")->default_val(14);
  auto* dynamic = app.add_option(
      "--dynamic_axes", f.dynamic_axes_spec,
      "Alone: dim 0 of inputs/outputs becomes 'batch_size'. With a spec, those axes: "
      "'{\"input\": {\"0\": \"batch\", \"2\": \"height\"}}' or input:0,2,3");
  dynamic->expected(0, 1);
  app.add_flag("--validate,!--no-validate", f.request.validation.enabled,
               "Validate the export (default: on)");
  app.add_flag("--validate_only", f.request.validate_only,
               "Only validate --onnx_path against the model");
  app.add_option("--onnx_path", f.request.onnx_path,
                 "The file --validate_only checks; without a model, an ONNX model to convert");
  app.add_flag("--simplify,!--no-simplify", f.request.simplify,
               "Run the simplifying passes (default: on)");
  app.add_option("--disable_pass", f.request.disabled_passes, "Skip a named pass (repeatable)");
  app.add_flag("--verify_each", f.request.verify_each,
               "Check the IR after every pass and stop at the first that leaves it invalid");
  app.add_option("--ops_library", f.request.ops_libraries,
                 "Load a TORCH_LIBRARY operator library before the model (repeatable)");
  app.add_flag("--external_data", f.request.external_data,
               "Store weights in a .data file beside the model");
  app.add_option("--input_names", f.input_names, "Comma-separated ONNX input names");
  app.add_option("--output_names", f.output_names, "Comma-separated ONNX output names");
  app.add_option("--seed", f.request.validation.seed, "Seed of the random validation inputs")
      ->default_val(0);
  app.add_option("--num_samples", f.request.validation.num_samples,
                 "Random input samples to validate on")
      ->default_val(1);
  app.add_option("--sample_input", f.sample_inputs,
                 "Validate on the arrays of this .npy/.npz (repeatable: the first is also the "
                 "example input; the others are compared too, e.g. to take every branch)")
      ->allow_extra_args(false);
  app.add_option("--runtime", f.runtime, "Runtime for validation: onnxruntime (the only one)");
  app.add_option("--atol", f.request.validation.atol,
                 "Absolute tolerance (replaces the PASS/WARN/FAIL bands)");
  app.add_option("--rtol", f.request.validation.rtol,
                 "Relative tolerance (replaces the PASS/WARN/FAIL bands)");
  app.add_flag("--absolute_bands", f.request.validation.absolute_bands,
               "Judge by the guide's bands on the raw max difference, not the scaled one");
  app.add_option("--compare", f.compare,
                 "How outputs are compared: elementwise, detections (boxes/scores/labels matched "
                 "as sets) or unordered (rows as multisets); default: detections for detection "
                 "outputs, else elementwise")
      ->check(CLI::IsMember({"elementwise", "detections", "unordered"}));
  app.add_flag("--localize", f.localize,
               "Find the first node whose output diverges, even when validation passes (by "
               "default this runs after a WARN or FAIL)");
  app.add_flag("--no-localize", f.no_localize, "Never localise a divergence");
  app.add_option("--localize_budget", f.localize_budget_mb,
                 "MB of intermediate values compared per run while localising (default 64; "
                 "more are found by bisection)");
  app.add_option("--keep_fp32", f.request.keep_fp32,
                 "With --precision fp16: keep an op type (Pow), a source op (aten::pow) or a "
                 "module scope in float32 (repeatable)");
  app.add_flag("--verbose", f.request.verbose, "Print the IR and the pass log");
  app.add_flag("--json", f.json, "Print one JSON document with paths, timings and metrics");
  bool json = false;
  for (int k = 1; k < argc; ++k) json = json || std::string(argv[k]) == "--json";
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::string hint;
    for (int k = 1; k < argc && hint.empty(); ++k) {
      std::string arg = argv[k];
      if (arg.rfind("--", 0) != 0) continue;
      arg = arg.substr(0, arg.find('='));
      if (app.get_option_no_throw(arg) || arg == "--help") continue;
      std::vector<std::string> known;
      for (const CLI::Option* o : app.get_options())
        for (const std::string& name : o->get_lnames()) known.push_back("--" + name);
      const std::string near = mlexport::cli::closest_flag(arg, known);
      if (!near.empty()) hint = "did you mean " + near + "?";
    }
    std::fprintf(stderr, "error: %s\n", e.what());
    if (!hint.empty()) std::fprintf(stderr, "%s\n", hint.c_str());
    if (json) print_error_json(ExitCode::kBadInput, e.what());
    return static_cast<int>(ExitCode::kBadInput);
  }
  f.request.dynamic_axes = dynamic->count() > 0;
  if (f.list_formats) return print_formats(f.json);
  if (!f.merge_reports.empty()) return merge_reports(f.merge_reports, f.json);
  if (f.request.model_path.empty() && f.pattern.empty() && f.request.onnx_path.empty()) {
    const std::string message = "give --checkpoint_path PATH, --pattern GLOB or --onnx_path PATH";
    std::fprintf(stderr, "error: %s\n", message.c_str());
    if (f.json) print_error_json(ExitCode::kBadInput, message);
    return static_cast<int>(ExitCode::kBadInput);
  }
  Log log(f.json ? stderr : stdout);
  const bool as_json = f.json;
  mlexport::cli::install_interrupt_handling([&log, as_json](int sig, const std::string& message) {
    log.error("✗ " + message);
    if (as_json) print_error_json(128 + sig, "interrupted", message);
  });
  auto fail = [&](ExitCode code, const std::string& message) {
    if (mlexport::cli::interrupted()) mlexport::cli::wait_for_interrupt_exit();
    log.error(message);
    if (f.json) print_error_json(code, message);
    return static_cast<int>(code);
  };
  try {
    const int code = f.pattern.empty() ? run(f, log) : run_batch(f, log);
    if (mlexport::cli::interrupted()) mlexport::cli::wait_for_interrupt_exit();
    // Every file is written and renamed by now; skipping destructors saves tearing down the
    // model, the IR and LibTorch's state, which takes a noticeable part of a short export.
    std::fflush(stdout);
    std::fflush(stderr);
    std::_Exit(code);
  } catch (const mlexport::UnsupportedOpsError& e) {
    return fail(ExitCode::kUnsupportedOps, e.what());
  } catch (const mlexport::Error& e) {
    return fail(e.code(), e.what());
  } catch (const std::exception& e) {
    return fail(ExitCode::kInternal, "internal error: " + mlexport::first_line(e.what()));
  }
}

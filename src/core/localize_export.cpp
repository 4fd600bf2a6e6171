#include "core/localize_export.h"

#include <algorithm>
#include <map>

#include "core/temp_dir.h"
#include "emit/onnx/onnx_emitter.h"
#include "runtime/onnxruntime_runner.h"
#include "validate/localize.h"

namespace mlexport::core {
namespace {

// Restores a graph's outputs when the exposed copy has been written.
class ExtraOutputs {
 public:
  explicit ExtraOutputs(ir::Graph& graph) : graph_(graph), saved_(graph.outputs()) {}
  ~ExtraOutputs() { graph_.outputs() = saved_; }
  ExtraOutputs(const ExtraOutputs&) = delete;
  ExtraOutputs& operator=(const ExtraOutputs&) = delete;

 private:
  ir::Graph& graph_;
  std::vector<ir::Value*> saved_;
};

}  // namespace

std::vector<std::optional<ir::Tensor>> run_exposed(const ExposedGraph& exposed,
                                                   const std::vector<ir::Tensor>& inputs,
                                                   const std::vector<const ir::Value*>& values) {
  std::vector<ir::Value*> held;
  std::vector<std::optional<ir::Tensor>> out(values.size());
  TempDir temp("mlexport-localize-");
  const std::string path = (temp.path / "exposed.onnx").string();
  {
    ExtraOutputs restore(*exposed.graph);
    auto& outputs = exposed.graph->outputs();
    for (const ir::Value* v : values) {
      ir::Value* h = exposed.find(v);
      held.push_back(h);
      if (h && std::find(outputs.begin(), outputs.end(), h) == outputs.end()) outputs.push_back(h);
    }
    emit::OnnxOptions options;
    options.opset_version = exposed.opset;
    emit::emit_onnx(*exposed.graph, path, options);
  }
  runtime::RunResult run =
      runtime::run_onnxruntime(path, exposed.feed ? exposed.feed(inputs) : inputs);
  std::map<std::string, size_t> by_name;
  for (size_t k = 0; k < run.output_names.size() && k < run.outputs.size(); ++k)
    by_name[run.output_names[k]] = k;
  for (size_t k = 0; k < values.size(); ++k) {
    if (!held[k]) continue;
    auto it = by_name.find(held[k]->name);
    if (it != by_name.end()) out[k] = std::move(run.outputs[it->second]);
  }
  return out;
}

namespace {

// --keep_fp32 values that keep the nodes where the error starts in float32: their modules first
// (values that leave float16's range usually come back by the end of the module that made
// them), then their op types.
std::vector<std::string> keep_fp32_advice(const ir::Graph& graph, const Divergence& d) {
  std::vector<std::string> scopes, ops;
  auto add = [](std::vector<std::string>& list, const std::string& entry) {
    if (!entry.empty() && std::find(list.begin(), list.end(), entry) == list.end())
      list.push_back(entry);
  };
  for (const std::string& name : d.origins)
    for (const auto& node : graph.nodes())
      if (node->name == name) {
        add(scopes, ir::split_source(node->source).first);
        add(ops, node->op);
      }
  scopes.insert(scopes.end(), ops.begin(), ops.end());
  return scopes;
}

}  // namespace

bool validation_keeps_ir(const ExportJob& job) {
  return job.request.validation.enabled;
}

void localize(ExportJob& job, const ExposedGraph& exposed, const validate::Tolerance& tolerance,
              ValidationResult& result) {
  const Localize mode = job.request.validation.localize;
  if (mode == Localize::kNever || (mode == Localize::kAuto && result.status == "PASS")) return;
  Divergence& d = result.divergence;
  if (!job.graph || !job.model.reference) {
    d.ran = true;
    d.note = "localisation needs the IR of an export made in this run (not --validate_only)";
    return;
  }
  job.lap("validate");  // the validation before it, timed on its own
  job.event("INFO", "Localising where the export diverges...");
  validate::LocalizeOptions options;
  options.budget_bytes = job.request.validation.localize_budget_bytes;
  options.exposable = [&exposed](const ir::Value* v) { return exposed.find(v) != nullptr; };
  // The first sample that failed, where the divergence shows; else the example.
  const std::vector<ir::Tensor>& inputs =
      job.failed_inputs.empty() ? job.inputs : job.failed_inputs;
  auto reference = [&job, &inputs](const std::vector<std::string>& keys) {
    return job.model.reference->reference_values(inputs, keys);
  };
  auto run = [&exposed, &inputs](const std::vector<const ir::Value*>& values) {
    return run_exposed(exposed, inputs, values);
  };
  try {
    d = validate::localize_divergence(*job.graph, reference, run, tolerance, options);
  } catch (const std::exception& e) {
    d = Divergence{};
    d.ran = true;
    d.note = "localisation stopped: " + first_line(e.what());
  }
  if (d.found && job.request.precision == Precision::kFp16)
    d.keep_fp32 = keep_fp32_advice(*job.graph, d);
  job.lap("localize");
}

}  // namespace mlexport::core

// The torch format: a torch.save-compatible zip with the state dict and the model configuration,
// written by mlexport's own pickle writer from the model's TorchStateSource capability. Its checker
// reads it back with mlexport's reader (every tensor bit-identical) right after writing; validation
// then rebuilds a zoo model from the file and compares it with the source.
#include <filesystem>

#include "core/checkpoint_info.h"
#include "core/export_metadata.h"
#include "core/formats/format_registry.h"
#include "core/formats/verify_torch_checkpoint.h"
#include "core/tolerance.h"
#include "core/validation_loop.h"
#include "emit/torch/config_value.h"
#include "emit/torch/torch_checkpoint.h"
#include "emit/torch/torch_state_source.h"
#include "frontend/zoo_checkpoint/zoo_source.h"
#include "pyvalue/value.h"
#include "runtime/libtorch/torch_reference.h"

namespace mlexport::core {
namespace {

emit::TorchCheckpoint checkpoint_of(ExportJob& job) {
  auto* source = emit::find_capability<emit::TorchStateSource>(job.model.artifacts.get());
  std::optional<emit::TorchState> state = source ? source->torch_state() : std::nullopt;
  if (!state)
    throw bad_input("a " + job.result.source_kind +
                    " model has no state dict to save in the torch format");
  emit::TorchCheckpoint out;
  out.state_dict = std::move(state->tensors);
  out.config = state->config;
  // The keys the export guide's checkpoints use, so the file exports again with ml-export.
  if (!job.result.architecture.empty()) {
    out.extra.emplace_back("model_name", emit::torch::config::string(job.result.architecture));
    const pyvalue::Value* args = out.config ? out.config->get("init_args") : nullptr;
    const pyvalue::Value* classes = args ? args->get("num_classes") : nullptr;
    if (classes) out.extra.emplace_back("num_classes", emit::torch::config::integer(classes->i));
  }
  out.extra.emplace_back("mlexport", emit::torch::config::string(export_metadata_json(job)));
  return out;
}

}  // namespace

void write_torch(ExportJob& job) {
  const emit::TorchCheckpoint checkpoint = checkpoint_of(job);
  auto written = emit::emit_torch_checkpoint(checkpoint, job.output_path);
  verify_torch_checkpoint(job.output_path, checkpoint);
  job.result.output_bytes = written.bytes;
}

ValidationResult validate_torch(ExportJob& job) {
  // A file this run wrote was re-read by write_torch; one given to --validate_only is read here.
  if (job.request.validate_only) verify_torch_checkpoint(job.output_path, checkpoint_of(job));
  if (job.result.architecture.empty()) {
    // Nothing to rebuild the model from: the bit-identical re-read is the whole check.
    ValidationResult result;
    result.ran = true;
    result.status = "PASS";
    result.passed = true;
    result.runtime = "mlexport checkpoint reader";
    result.method = "every tensor re-read bit-identical (no model class to rebuild it from)";
    return result;
  }
  CheckpointInfo info = read_checkpoint(job.output_path, SourceKind::kTorchCheckpoint);
  std::shared_ptr<runtime::Reference> rebuilt =
      runtime::libtorch::make_torch_reference(frontend::zoo_checkpoint::make_zoo_model(
          job.result.architecture, info.num_classes, info.state, true, nullptr));
  Runner run = [rebuilt](const std::vector<ir::Tensor>& inputs) {
    runtime::RunResult result;
    result.outputs = rebuilt->run(inputs);
    result.runtime = "mlexport checkpoint reader + LibTorch";
    return result;
  };
  return validate_with(job, run, requested_tolerance(job.request),
                       "every tensor re-read bit-identical; " + job.result.architecture +
                           " rebuilt from the written file and run in LibTorch");
}

}  // namespace mlexport::core

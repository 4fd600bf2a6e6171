// ONNX: the IR after the pipeline (the precision passes included), checked by ONNX's checker, run
// in ONNX Runtime for validation.
#include <filesystem>

#include "core/build_ir.h"
#include "core/formats/format_registry.h"
#include "core/localize_export.h"
#include "core/task_metadata.h"
#include "core/tolerance.h"
#include "core/replay_points.h"
#include "core/validation_loop.h"
#include "emit/onnx/onnx_emitter.h"

namespace mlexport::core {

void write_onnx(ExportJob& job) {
  const ExportRequest& request = job.request;
  auto graph = build_ir(job, passes::Target::kOnnx);
  for (const auto& [key, value] : onnx_metadata(job)) graph->metadata[key] = value;
  emit::OnnxOptions onnx;
  onnx.opset_version = request.opset_version;
  onnx.external_data = request.external_data;
  const std::string& source = request.model_path.empty() ? request.onnx_path : request.model_path;
  onnx.doc_string =
      "exported by mlexport from " + std::filesystem::path(source).filename().string();
  auto emitted = emit::emit_onnx(*graph, job.output_path, onnx);
  job.result.output_bytes = emitted.bytes;
  job.result.node_count = emitted.node_count;
  if (!emitted.external_data_path.empty())
    job.result.extra_paths.push_back(emitted.external_data_path);
  if (validation_keeps_ir(job)) job.graph = std::move(graph);
}

ValidationResult validate_onnx(ExportJob& job) {
  const ExportRequest& request = job.request;
  const std::string path = job.output_path;
  const bool fp16_inputs = request.fp16_io;
  const std::vector<ir::DType> feed_dtypes = job.feed_dtypes;  // --validate_only: the file's
  auto feed = [&](const std::vector<ir::Tensor>& inputs) {
    std::vector<ir::Tensor> fed = inputs;
    for (size_t k = 0; k < fed.size(); ++k) {
      if (k < feed_dtypes.size()) {
        if (fed[k].dtype != feed_dtypes[k]) fed[k] = fed[k].cast(feed_dtypes[k]);
      } else if (fp16_inputs && fed[k].dtype == ir::DType::Float32) {
        fed[k] = fed[k].cast(ir::DType::Float16);
      }
    }
    return fed;
  };
  Runner run = [&](const std::vector<ir::Tensor>& inputs) {
    return runtime::run_onnxruntime(path, feed(inputs));
  };
  const validate::Tolerance tolerance = requested_tolerance(request, job.precision);
  ExposedGraph exposed;
  exposed.graph = job.graph.get();
  exposed.find = [](const ir::Value* v) { return const_cast<ir::Value*>(v); };
  exposed.opset = request.opset_version;
  exposed.feed = feed;
  ReplayPoints replay(job, exposed, tolerance);
  ValidationResult result =
      validate_with(job, run, tolerance, "the written file run in ONNX Runtime");
  if (job.graph) localize(job, exposed, tolerance, result);
  return result;
}

}  // namespace mlexport::core

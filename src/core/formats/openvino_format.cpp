// OpenVINO IR v11. No OpenVINO runtime exists on this platform, so an export is checked twice:
// structurally (every layer, port, edge and weight offset), and numerically by reading the IR back
// with an independent reader into ONNX and running that in ONNX Runtime.
#include <filesystem>

#include "core/build_ir.h"
#include "core/formats/format_registry.h"
#include "core/localize_export.h"
#include "core/task_metadata.h"
#include "core/temp_dir.h"
#include "core/tolerance.h"
#include "core/replay_points.h"
#include "core/validation_loop.h"
#include "emit/onnx/onnx_emitter.h"
#include "emit/openvino/openvino_check.h"
#include "emit/openvino/openvino_emitter.h"
#include "frontend/openvino_ir/openvino_reader.h"

namespace mlexport::core {
namespace {

namespace fs = std::filesystem;

std::string bin_path_of(const std::string& xml_path) {
  return fs::path(xml_path).replace_extension(".bin").string();
}

}  // namespace

void write_openvino(ExportJob& job) {
  auto graph = build_ir(job, passes::Target::kOpenVino);
  graph->metadata = openvino_model_info(job);
  emit::OpenVinoOptions options;
  options.compress_to_fp16 = job.request.compress_to_fp16;
  options.model_name = fs::path(job.output_path).stem().string();
  // emit_openvino runs the structural check before it renames the files into place.
  auto emitted = emit::emit_openvino(*graph, job.output_path, options);
  job.result.output_bytes = emitted.xml_bytes + emitted.bin_bytes;
  job.result.node_count = emitted.layer_count;
  job.result.extra_paths.push_back(bin_path_of(job.output_path));
  if (validation_keeps_ir(job)) job.graph = std::move(graph);
}

ValidationResult validate_openvino(ExportJob& job) {
  // A file this run wrote was checked by the emitter; one given to --validate_only is checked here.
  if (job.request.validate_only) emit::check_openvino_ir(job.output_path);
  frontend::openvino_ir::PortValues port_values;
  auto graph = frontend::openvino_ir::read_openvino_ir(job.output_path, &port_values);
  TempDir temp("mlexport-ov-");
  const std::string onnx_path = (temp.path / "read_back.onnx").string();
  emit::OnnxOptions onnx;
  onnx.opset_version = 17;
  emit::emit_onnx(*graph, onnx_path, onnx);
  Runner run = [&](const std::vector<ir::Tensor>& inputs) {
    return runtime::run_onnxruntime(onnx_path, inputs);
  };
  validate::Tolerance tolerance = requested_tolerance(job.request);
  if (job.request.compress_to_fp16 && !job.request.validation.atol)
    tolerance = validate::tolerance_for_precision("fp16");
  // Localisation runs the read-back graph: its output ports carry the written IR's value names.
  ExposedGraph exposed;
  exposed.graph = graph.get();
  exposed.find = [&port_values](const ir::Value* v) -> ir::Value* {
    auto it = port_values.find(v->name);
    return it == port_values.end() || !it->second->producer ? nullptr : it->second;
  };
  exposed.opset = 17;
  ReplayPoints replay(job, exposed, tolerance);
  auto result = validate_with(job, run, tolerance,
                              "structural check passed; the IR read back into ONNX and run in "
                              "ONNX Runtime (no OpenVINO runtime on this platform)");
  localize(job, exposed, tolerance, result);
  return result;
}

}  // namespace mlexport::core

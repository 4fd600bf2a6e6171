// One export in progress, shared by the format writers (internal, torch-free). What a job does
// lives beside it, one file each: build_ir.h (the IR after the passes), validation_loop.h (the
// comparison with the model's reference), tolerance.h, export_metadata.h, file_sha256.h.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/opened_model.h"
#include "core/reference_runs.h"
#include "core/segmentation_output.h"
#include "ir/graph.h"
#include "mlexport/export.h"
#include "mlexport/formats.h"
#include "runtime/onnxruntime_runner.h"

namespace mlexport::core {

using Specs = std::vector<std::pair<ir::DType, std::vector<int64_t>>>;
// Runs an exported artifact on inputs (ONNX Runtime, LibTorch, ...).
using Runner = std::function<runtime::RunResult(const std::vector<ir::Tensor>&)>;

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

// An input axis that is symbolic in the exported file; axes sharing a symbol vary together.
struct DynamicAxis {
  size_t input = 0;
  int64_t axis = 0;
  std::string symbol;
};

// The reference run again with the export's values at the points where rounding may move what
// the model computes after them (core/replay_points.h).
struct SampleReplay {
  bool replayed = false;            // outputs hold the run
  std::vector<ir::Tensor> outputs;  // flattened as the reference's
  std::vector<std::string> points;  // one line per point whose value was taken from the export
  // A point whose difference near-equal values or the bands do not explain; empty when none.
  std::string refused;
};

struct ExportJob {
  const ExportRequest& request;
  ExportResult& result;
  const FormatInfo& format;
  OpenedModel model;
  Specs specs;
  std::vector<ir::Tensor> inputs;  // the first validation sample, also the tracing example
  std::string output_path;
  std::vector<int64_t> checkpoint_input_chw;  // input size a checkpoint records, if any
  std::vector<DynamicAxis> dynamic_axes;      // validated at a second size each
  // The first dynamic symbol whose second size failed while the first size did not: the file
  // only looks dynamic there.
  std::string dynamic_failure;
  // --validate_only: the element types the file's inputs take (float16 inputs of an fp16 file);
  // empty: the model's.
  std::vector<ir::DType> feed_dtypes;
  std::string precision;  // bands to judge by; empty: the request's precision
  // Data-dependent control flow: whether the model has any, and what the compared inputs took.
  bool has_control_flow = false;
  ir::ControlFlowCoverage control_flow;
  // --segmentation_output, parsed.
  SegmentationOutput segmentation_output;
  // The reference's outputs on recent inputs (each input run once).
  ReferenceRuns reference_runs;
  // Detections matched over the samples compared so far (--compare detections).
  size_t detections_matched = 0, detections_total = 0;
  size_t detections_exchanged = 0;  // at a top-k cut (validate::DetectionComparison::exchanged)
  // The IR as written, kept after writing when validation may localise a divergence.
  std::unique_ptr<ir::Graph> graph;
  // Set while an ONNX or OpenVINO export with its IR is validated (core/replay_points.h).
  std::function<SampleReplay(const std::vector<ir::Tensor>&)> replay_sample;
  // The first validation sample that failed (empty: none); localisation runs on it.
  std::vector<ir::Tensor> failed_inputs;
  Stopwatch watch;

  void event(const std::string& level, const std::string& message) const {
    if (request.on_event) request.on_event(level, message);
  }
  void lap(const std::string& stage) { result.timings[stage] += watch.lap(); }
};

}  // namespace mlexport::core

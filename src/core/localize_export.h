// Localising where an ONNX or OpenVINO export diverges (validate/localize.h): the graph the
// runtime runs is written again with chosen values as extra outputs and run in ONNX Runtime on
// the first validation sample that failed (else the example input), next to the source model's
// values at the same points.
#pragma once

#include <functional>
#include <optional>
#include <vector>

#include "core/export_job.h"
#include "validate/metrics.h"

namespace mlexport::core {

// Whether validation uses the written IR (ExportJob::graph), so it is kept after writing: to
// replay a failing sample with the export's values (core/replay_points.h) and to localise.
bool validation_keeps_ir(const ExportJob& job);

// The graph ONNX Runtime runs for an export, and how it relates to the written IR.
struct ExposedGraph {
  ir::Graph* graph = nullptr;  // the written IR itself (ONNX) or the IR read back (OpenVINO)
  // The value of `graph` that holds a value of the written IR; null when it has none.
  std::function<ir::Value*(const ir::Value*)> find;
  int opset = 17;
  // The inputs as the file takes them (float16 with --fp16_io); empty: as they are.
  std::function<std::vector<ir::Tensor>(const std::vector<ir::Tensor>&)> feed;
};

// The values of the written IR at `values`, as the exposed graph computes them on `inputs` (one
// run with them as extra outputs); nullopt where the graph has no such value.
std::vector<std::optional<ir::Tensor>> run_exposed(const ExposedGraph& exposed,
                                                   const std::vector<ir::Tensor>& inputs,
                                                   const std::vector<const ir::Value*>& values);

// Fills result.divergence when the request asks (--localize, or a WARN/FAIL by default). A
// search that cannot finish says why in the divergence's note; it never fails the export.
void localize(ExportJob& job, const ExposedGraph& exposed, const validate::Tolerance& tolerance,
              ValidationResult& result);

}  // namespace mlexport::core

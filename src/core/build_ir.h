// The IR an ONNX or OpenVINO export writes (internal, torch-free).
#pragma once

#include <memory>

#include "core/export_job.h"
#include "ir/graph.h"
#include "passes/pass.h"

namespace mlexport::core {

// The model's IR after the pass pipeline for `target` (the precision passes included, for ONNX);
// records the convert/passes timings, pass log, IR text (verbose) and input/output names in the
// result.
std::unique_ptr<ir::Graph> build_ir(ExportJob& job, passes::Target target);

}  // namespace mlexport::core

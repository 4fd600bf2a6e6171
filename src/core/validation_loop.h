// Validation of a written file: the source model and the file run on the same inputs, compared
// output by output (internal, torch-free).
#pragma once

#include <string>

#include "core/export_job.h"
#include "validate/metrics.h"

namespace mlexport::core {

// Compares `exported` with the source model on the job's inputs (plus the requested samples and,
// with dynamic axes, a second size of each dynamic axis; with data-dependent control flow, inputs
// that take the branches not yet taken) under `tolerance`.
ValidationResult validate_with(ExportJob& job, const Runner& exported,
                               const validate::Tolerance& tolerance, const std::string& method);

}  // namespace mlexport::core

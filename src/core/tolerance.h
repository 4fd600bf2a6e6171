// The tolerance an export is judged by (internal, torch-free).
#pragma once

#include <string>

#include "mlexport/export.h"
#include "validate/metrics.h"

namespace mlexport::core {

// The name of the bands that judge: `precision` when given (the file's, for --validate_only),
// else "int8" for a quantized export, else the request's precision ("fp32", "fp16").
std::string precision_bands(const ExportRequest& request, const std::string& precision = "");

// The tolerance the request asks for (--atol/--rtol, else the bands for its precision, or for
// `precision` when given; raw differences with --absolute_bands).
validate::Tolerance requested_tolerance(const ExportRequest& request,
                                        const std::string& precision = "");

}  // namespace mlexport::core

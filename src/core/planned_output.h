// The file an export request writes (or --validate_only checks), before the export runs: front
// ends use it to clean up after an interruption.
#pragma once

#include <string>

#include "mlexport/export.h"

namespace mlexport::core {

// --output_path, else beside the model with the format's extension; "" when the request is not
// valid enough to tell.
std::string planned_output_path(const ExportRequest& request);

}  // namespace mlexport::core

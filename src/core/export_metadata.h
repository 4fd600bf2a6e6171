// The description every TorchScript and torch export carries of itself (internal, torch-free).
#pragma once

#include <string>

#include "core/export_job.h"

namespace mlexport::core {

// JSON describing the export (inputs with shapes/dtypes/dynamic axes, outputs, source file and
// its SHA-256, architecture, preprocessing): stored inside TorchScript archives as mlexport.json
// so a later export of that archive needs no --input_shape.
std::string export_metadata_json(const ExportJob& job);

}  // namespace mlexport::core

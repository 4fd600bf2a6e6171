// Exporting a model that is already in memory (a C++ module) rather than read from a file.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/opened_model.h"
#include "mlexport/export.h"

namespace mlexport::core {

struct PreparedSource {
  OpenedModel model;
  std::vector<ir::Tensor> example_inputs;  // tracing example and first validation sample
  std::string kind = "module";
  std::string architecture;  // a zoo architecture, when the module is one
};

// export_model() for `source`; request.model_path is ignored, output_path is required.
ExportResult export_prepared(const ExportRequest& request, PreparedSource source);

}  // namespace mlexport::core

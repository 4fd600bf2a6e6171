// The JSON report of an export as a document the CLI can extend (a batch adds ok/exit_code per
// model); mlexport::export_report_json prints it.
#pragma once

#include <nlohmann/json.hpp>

#include "mlexport/export.h"

namespace mlexport::core {

// The report without an error block.
nlohmann::json export_report(const ExportRequest& request, const ExportResult& result);

}  // namespace mlexport::core

// The JSON report of one export: the document `ml-export --json` prints and the export service
// stores, so that API users, the CLI and the service read the same fields.
#pragma once

#include <string>

#include "mlexport/export.h"

namespace mlexport {

// Paths, sizes, names, timings and the validation metrics of `result`, pretty-printed. When
// validation ran and failed, the document also holds the "error" block (code
// "validation_failed", exit_code 1) that the CLI prints before it exits with 1.
std::string export_report_json(const ExportRequest& request, const ExportResult& result);

}  // namespace mlexport

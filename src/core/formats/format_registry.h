// The format registry: one row per format, with the functions that write and check it.
// Adding a format is one folder under src/emit and one row in format_registry.cpp.
#pragma once

#include <string>
#include <vector>

#include "core/export_job.h"
#include "mlexport/formats.h"

namespace mlexport::core {

struct FormatRow {
  FormatInfo info;
  // Writes job.output_path (and any side files), filling the result's sizes and counts.
  void (*write)(ExportJob& job);
  // Checks the written file against the source model.
  ValidationResult (*validate)(ExportJob& job);
};

const std::vector<FormatRow>& format_rows();
const FormatRow* find_format_row(const std::string& name);

// One writer/validator pair per format (formats/<name>_format.cpp).
void write_onnx(ExportJob& job);
ValidationResult validate_onnx(ExportJob& job);
void write_openvino(ExportJob& job);
ValidationResult validate_openvino(ExportJob& job);
void write_torchscript(ExportJob& job);
ValidationResult validate_torchscript(ExportJob& job);
void write_torch(ExportJob& job);
ValidationResult validate_torch(ExportJob& job);

}  // namespace mlexport::core

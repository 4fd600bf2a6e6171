// The format registry: one row per format, with the functions that write and check it.
// Adding a format is one folder under src/emit and one row in format_registry.cpp.
#pragma once

#include <string>
#include <vector>

#include "core/export_job.h"
#include "mlexport/formats.h"

namespace mlexport::core {

// Options that only some formats take. A request that uses one is refused by the other formats
// rather than silently ignored.
enum class FormatOption {
  kPrecision,           // --precision fp16, --quantize int8
  kNamedDynamicAxes,    // --dynamic_axes with a spec (the bare flag, a dynamic batch, is common)
  kSegmentationOutput,  // --segmentation_output other than logits
  kCompressToFp16,      // --compress_to_fp16
};

struct FormatRow {
  FormatInfo info;
  // Writes job.output_path (and any side files), filling the result's sizes and counts.
  void (*write)(ExportJob& job);
  // Checks the written file against the source model.
  ValidationResult (*validate)(ExportJob& job);
  // The format-specific options this format takes.
  std::vector<FormatOption> options;
  // Written from the PyTorch model itself, not from the IR: an ONNX file cannot become one.
  bool needs_pytorch_model = false;

  bool accepts(FormatOption option) const;
  // Whether this format takes every option `request` uses; when not, `why` (if given) receives
  // the message that names the first option it does not take. `pytorch_source`: the model is a
  // PyTorch one (not an ONNX file).
  bool accepts(const ExportRequest& request, bool pytorch_source, std::string* why = nullptr) const;
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

// The export options that take one of a fixed set of values, as enums, with the spellings the
// CLI, the service and the JSON report use.
#pragma once

#include <string>

namespace mlexport {

// ONNX weights and compute (--precision).
enum class Precision { kFp32, kFp16 };
// ONNX dynamic quantization of MatMul/Gemm/Conv weights (--quantize).
enum class Quantization { kNone, kInt8 };
// When validation looks for the first diverging node (--localize / --no-localize): after a WARN
// or FAIL, always, or never.
enum class Localize { kAuto, kAlways, kNever };
// How outputs are compared (--compare); kAuto: detections when the outputs look like
// detections, else elementwise.
enum class Compare { kAuto, kElementwise, kDetections, kUnordered };

// "fp32", "fp16".
std::string to_string(Precision precision);
// "" for kNone, "int8".
std::string to_string(Quantization quantization);
// "auto", "always", "never".
std::string to_string(Localize localize);
// "" for kAuto, "elementwise", "detections", "unordered".
std::string to_string(Compare compare);

// The CLI's spellings back to the enums; an unknown one throws mlexport::Error (bad input) with
// the message the CLI shows.
Precision parse_precision(const std::string& text);
Quantization parse_quantization(const std::string& text);  // "" is kNone
Compare parse_compare(const std::string& text);            // "" is kAuto

}  // namespace mlexport

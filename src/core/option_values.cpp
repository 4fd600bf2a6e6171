#include "mlexport/option_values.h"

#include "mlexport/diagnostics.h"

namespace mlexport {

std::string to_string(Precision precision) {
  return precision == Precision::kFp16 ? "fp16" : "fp32";
}

std::string to_string(Quantization quantization) {
  return quantization == Quantization::kInt8 ? "int8" : "";
}

std::string to_string(Localize localize) {
  switch (localize) {
    case Localize::kAlways:
      return "always";
    case Localize::kNever:
      return "never";
    case Localize::kAuto:
      break;
  }
  return "auto";
}

std::string to_string(Compare compare) {
  switch (compare) {
    case Compare::kElementwise:
      return "elementwise";
    case Compare::kDetections:
      return "detections";
    case Compare::kUnordered:
      return "unordered";
    case Compare::kAuto:
      break;
  }
  return "";
}

Precision parse_precision(const std::string& text) {
  if (text == "fp32") return Precision::kFp32;
  if (text == "fp16") return Precision::kFp16;
  throw bad_input("--precision must be fp32 or fp16, not '" + text + "'");
}

Quantization parse_quantization(const std::string& text) {
  if (text.empty()) return Quantization::kNone;
  if (text == "int8") return Quantization::kInt8;
  throw bad_input("--quantize supports int8 only, not '" + text + "'");
}

Compare parse_compare(const std::string& text) {
  for (Compare c :
       {Compare::kAuto, Compare::kElementwise, Compare::kDetections, Compare::kUnordered})
    if (text == to_string(c)) return c;
  throw bad_input("--compare must be elementwise, detections or unordered, not '" + text + "'");
}

}  // namespace mlexport

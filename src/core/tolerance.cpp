#include "core/tolerance.h"

namespace mlexport::core {

std::string precision_bands(const ExportRequest& request, const std::string& precision) {
  if (!precision.empty()) return precision;
  if (request.quantize != Quantization::kNone) return to_string(request.quantize);
  return to_string(request.precision);
}

validate::Tolerance requested_tolerance(const ExportRequest& request,
                                        const std::string& precision) {
  validate::Tolerance tolerance =
      validate::tolerance_for_precision(precision_bands(request, precision));
  tolerance.absolute = request.validation.absolute_bands;
  tolerance.atol = request.validation.atol;
  tolerance.rtol = request.validation.rtol;
  if (tolerance.atol && !tolerance.rtol) tolerance.rtol = 0.0;
  if (tolerance.rtol && !tolerance.atol) tolerance.atol = 0.0;
  return tolerance;
}

}  // namespace mlexport::core

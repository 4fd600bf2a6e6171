#include "validate/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "mlexport/diagnostics.h"

namespace mlexport::validate {
namespace {

int severity(const std::string& status) {
  if (status == "FAIL") return 2;
  if (status == "WARN") return 1;
  return 0;
}

}  // namespace

Tolerance tolerance_for_precision(const std::string& precision) {
  Tolerance t;
  if (precision == "fp16") {
    t.pass_max_diff = 1e-2;
    t.warn_max_diff = 5e-2;
  } else if (precision == "int8") {
    t.pass_max_diff = 0;
    t.pass_min_cosine = 0.99;
    t.warn_max_diff = std::numeric_limits<double>::infinity();
    t.warn_min_cosine = 0.95;
  }
  return t;
}

std::string band_status(double max_diff, double cosine, const Tolerance& tolerance) {
  if (max_diff < tolerance.pass_max_diff ||
      (tolerance.pass_min_cosine && cosine >= *tolerance.pass_min_cosine))
    return "PASS";
  if (max_diff <= tolerance.warn_max_diff && cosine >= tolerance.warn_min_cosine) return "WARN";
  return "FAIL";
}

OutputMetrics compare_output(const std::string& name, const ir::Tensor& reference,
                             const ir::Tensor& exported, const Tolerance& tolerance) {
  if (reference.shape != exported.shape)
    throw Error(ExitCode::kValidationFailed,
                "output '" + name + "' has shape " + ir::shape_to_string(exported.shape) +
                    " in the exported model but " + ir::shape_to_string(reference.shape) +
                    " in the reference");
  OutputMetrics m;
  m.name = name;
  m.shape = reference.shape;
  const int64_t n = reference.numel();
  double sum_sq = 0, dot = 0, norm_a = 0, norm_b = 0, max_diff = 0, max_abs = 0;
  bool within = true, nan_mismatch = false;
  const double atol = tolerance.atol.value_or(0), rtol = tolerance.rtol.value_or(0);
  for (int64_t i = 0; i < n; ++i) {
    const double a = reference.value_as_double(i);
    const double b = exported.value_as_double(i);
    if (std::isnan(a) || std::isnan(b)) {
      if (std::isnan(a) != std::isnan(b)) nan_mismatch = true;
      continue;
    }
    const double d = std::fabs(a - b);
    max_diff = std::max(max_diff, d);
    max_abs = std::max(max_abs, std::fabs(a));
    sum_sq += d * d;
    dot += a * b;
    norm_a += a * a;
    norm_b += b * b;
    if (d > atol + rtol * std::fabs(a)) within = false;
  }
  m.max_diff = nan_mismatch ? INFINITY : max_diff;
  m.max_abs_reference = max_abs;
  m.scaled_max_diff = m.max_diff / std::max(1.0, max_abs);
  m.mse = n ? sum_sq / static_cast<double>(n) : 0.0;
  if (norm_a == 0 && norm_b == 0)
    m.cosine_similarity = 1.0;
  else if (norm_a == 0 || norm_b == 0)
    m.cosine_similarity = 0.0;
  else
    m.cosine_similarity = dot / (std::sqrt(norm_a) * std::sqrt(norm_b));
  m.within_tolerance = within && !nan_mismatch;
  const double judged = tolerance.absolute ? m.max_diff : m.scaled_max_diff;
  m.absolute_status =
      nan_mismatch ? "FAIL" : band_status(m.max_diff, m.cosine_similarity, tolerance);
  if (tolerance.atol || tolerance.rtol) {
    m.status = m.within_tolerance ? "PASS" : "FAIL";
    m.absolute_status = m.status;
  } else if (nan_mismatch) {
    m.status = "FAIL";
  } else {
    m.status = band_status(judged, m.cosine_similarity, tolerance);
  }
  return m;
}

std::string scientific(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2e", v);
  return text;
}

void summarize(ValidationResult& result) {
  result.ran = true;
  result.status = "PASS";
  result.absolute_status = "PASS";
  result.max_diff = result.scaled_max_diff = result.mse = 0;
  result.cosine_similarity = 1;
  for (const OutputMetrics& m : result.outputs) {
    if (severity(m.status) > severity(result.status)) result.status = m.status;
    const std::string& absolute = m.absolute_status.empty() ? m.status : m.absolute_status;
    if (severity(absolute) > severity(result.absolute_status)) result.absolute_status = absolute;
    result.max_diff = std::max(result.max_diff, m.max_diff);
    result.scaled_max_diff = std::max(result.scaled_max_diff, m.scaled_max_diff);
    result.mse = std::max(result.mse, m.mse);
    result.cosine_similarity = std::min(result.cosine_similarity, m.cosine_similarity);
  }
  result.passed = result.status != "FAIL";
}

}  // namespace mlexport::validate

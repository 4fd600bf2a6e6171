// Comparison of a reference output with an exported model's output, and the verdict bands.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ir/tensor.h"
#include "mlexport/export.h"

namespace mlexport::validate {

struct Tolerance {
  // Bands of the export guide on the scaled difference max|a-b| / max(1, max|a|):
  // PASS below pass_max_diff; WARN up to warn_max_diff with cosine >= warn_min_cosine.
  double pass_max_diff = 1e-5;
  double warn_max_diff = 1e-4;
  double warn_min_cosine = 0.999;
  // When set, an output whose cosine similarity reaches it also passes (quantized exports).
  std::optional<double> pass_min_cosine;
  // When set, the bands are replaced by the element-wise test |a-b| <= atol + rtol*|a|.
  std::optional<double> atol, rtol;
  // Judge the bands on the raw max difference (the guide's absolute bands) instead of the scaled.
  bool absolute = false;
};

// The bands for an export stored in `precision`: "fp32" (the guide's), "fp16" (PASS below 1e-2,
// WARN up to 5e-2) or "int8" (judged by cosine similarity: PASS from 0.99, WARN from 0.95).
Tolerance tolerance_for_precision(const std::string& precision);

// The band verdict (PASS / WARN / FAIL) of a difference under `tolerance`'s bands.
std::string band_status(double max_diff, double cosine, const Tolerance& tolerance);

// Metrics of one output. Throws mlexport::Error when the shapes differ.
OutputMetrics compare_output(const std::string& name, const ir::Tensor& reference,
                             const ir::Tensor& exported, const Tolerance& tolerance);

// A difference as the report's notes print it: "2.91e-02".
std::string scientific(double v);

// Folds per-output metrics (over outputs and samples) into one result, worst first.
void summarize(ValidationResult& result);

}  // namespace mlexport::validate

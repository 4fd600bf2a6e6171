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
  // When set, the bands are replaced by the element-wise test |a-b| <= atol + rtol*|a|.
  std::optional<double> atol, rtol;
};

// Metrics of one output. Throws mlexport::Error when the shapes differ.
OutputMetrics compare_output(const std::string& name, const ir::Tensor& reference,
                             const ir::Tensor& exported, const Tolerance& tolerance);

// Folds per-output metrics (over outputs and samples) into one result, worst first.
void summarize(ValidationResult& result);

}  // namespace mlexport::validate

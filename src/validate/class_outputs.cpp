#include "validate/class_outputs.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "mlexport/diagnostics.h"

namespace mlexport::validate {
namespace {

struct Layout {
  int64_t batch, classes, pixels;
};

Layout layout_of(const ir::Tensor& scores) {
  if (scores.shape.size() != 4)
    throw Error(ExitCode::kInternal,
                "class scores need 4 axes, got " + ir::shape_to_string(scores.shape));
  return {scores.shape[0], scores.shape[1], scores.shape[2] * scores.shape[3]};
}

double score(const ir::Tensor& t, const Layout& l, int64_t n, int64_t c, int64_t p) {
  return t.value_as_double((n * l.classes + c) * l.pixels + p);
}

}  // namespace

ir::Tensor softmax_over_classes(const ir::Tensor& scores) {
  const Layout l = layout_of(scores);
  ir::Tensor out(ir::DType::Float64, scores.shape);
  double* y = out.data<double>();
  for (int64_t n = 0; n < l.batch; ++n)
    for (int64_t p = 0; p < l.pixels; ++p) {
      double top = -INFINITY;
      for (int64_t c = 0; c < l.classes; ++c) top = std::max(top, score(scores, l, n, c, p));
      double sum = 0;
      for (int64_t c = 0; c < l.classes; ++c) {
        const double e = std::exp(score(scores, l, n, c, p) - top);
        y[(n * l.classes + c) * l.pixels + p] = e;
        sum += e;
      }
      for (int64_t c = 0; c < l.classes; ++c) y[(n * l.classes + c) * l.pixels + p] /= sum;
    }
  return out.cast(scores.dtype);
}

ir::Tensor argmax_over_classes(const ir::Tensor& scores) {
  const Layout l = layout_of(scores);
  ir::Tensor out(ir::DType::Int64, {scores.shape[0], scores.shape[2], scores.shape[3]});
  int64_t* y = out.data<int64_t>();
  for (int64_t n = 0; n < l.batch; ++n)
    for (int64_t p = 0; p < l.pixels; ++p) {
      int64_t best = 0;
      double top = score(scores, l, n, 0, p);
      for (int64_t c = 1; c < l.classes; ++c) {
        const double s = score(scores, l, n, c, p);
        if (s > top || (std::isnan(s) && !std::isnan(top))) {
          top = s;
          best = c;
        }
      }
      y[n * l.pixels + p] = best;
    }
  return out;
}

OutputMetrics compare_class_maps(const std::string& name, const ir::Tensor& reference_scores,
                                 const ir::Tensor& reference_map, const ir::Tensor& exported_map,
                                 const Tolerance& tolerance) {
  if (reference_map.shape != exported_map.shape)
    throw Error(ExitCode::kValidationFailed,
                "output '" + name + "' has shape " + ir::shape_to_string(exported_map.shape) +
                    " in the exported model but " + ir::shape_to_string(reference_map.shape) +
                    " in the reference");
  const Layout l = layout_of(reference_scores);
  double max_abs = 0;
  for (int64_t i = 0; i < reference_scores.numel(); ++i)
    max_abs = std::max(max_abs, std::fabs(reference_scores.value_as_double(i)));
  OutputMetrics m;
  m.name = name;
  m.shape = reference_map.shape;
  m.max_abs_reference = max_abs;
  int64_t differing = 0;
  double max_gap = 0;
  bool out_of_range = false, within = true;
  const double atol = tolerance.atol.value_or(0), rtol = tolerance.rtol.value_or(0);
  for (int64_t n = 0; n < l.batch; ++n)
    for (int64_t p = 0; p < l.pixels; ++p) {
      const int64_t want = reference_map.value_as_int(n * l.pixels + p);
      const int64_t got = exported_map.value_as_int(n * l.pixels + p);
      if (want == got) continue;
      ++differing;
      if (got < 0 || got >= l.classes) {
        out_of_range = true;
        continue;
      }
      const double top = score(reference_scores, l, n, want, p);
      const double gap = top - score(reference_scores, l, n, got, p);
      max_gap = std::max(max_gap, gap);
      if (gap > atol + rtol * std::fabs(top)) within = false;
    }
  const int64_t total = l.batch * l.pixels;
  m.max_diff = out_of_range ? INFINITY : max_gap;
  m.scaled_max_diff = m.max_diff / std::max(1.0, max_abs);
  m.mse = total ? static_cast<double>(differing) / static_cast<double>(total) : 0.0;
  m.cosine_similarity = 1.0;  // no meaning for labels; the bands judge the score gap
  m.within_tolerance = within && !out_of_range;
  char text[160];
  std::snprintf(text, sizeof text, "pixels equal %lld/%lld (%.4f%%)",
                static_cast<long long>(total - differing), static_cast<long long>(total),
                total ? 100.0 * static_cast<double>(total - differing) / total : 100.0);
  m.class_map = text;
  if (differing) {
    std::snprintf(text, sizeof text, "; %lld flipped where the reference scores differ by <= %.3g",
                  static_cast<long long>(differing), max_gap);
    m.class_map += out_of_range ? "; some exported classes are out of range" : text;
  }
  m.absolute_status = out_of_range ? "FAIL" : band_status(m.max_diff, 1.0, tolerance);
  if (tolerance.atol || tolerance.rtol)
    m.status = m.absolute_status = m.within_tolerance ? "PASS" : "FAIL";
  else if (out_of_range)
    m.status = "FAIL";
  else
    m.status = band_status(tolerance.absolute ? m.max_diff : m.scaled_max_diff, 1.0, tolerance);
  return m;
}

}  // namespace mlexport::validate

#include "validate/order_free.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <numeric>

#include "mlexport/diagnostics.h"
#include "validate/mask_edges.h"

namespace mlexport::validate {
namespace {

bool is_integer(ir::DType t) {
  return t == ir::DType::Int64 || t == ir::DType::Int32 || t == ir::DType::Int8 ||
         t == ir::DType::UInt8 || t == ir::DType::Int16;
}

int64_t rows_of(const ir::Tensor& t) {
  return t.shape.empty() ? -1 : t.shape[0];
}

// The rows `order` of `t`, in that order (`t` itself, sharing its bytes, when that is every row
// in place).
ir::Tensor take_rows(const ir::Tensor& t, const std::vector<size_t>& order) {
  bool in_place = static_cast<int64_t>(order.size()) == t.shape[0];
  for (size_t k = 0; k < order.size() && in_place; ++k) in_place = order[k] == k;
  if (in_place) return t;
  std::vector<int64_t> shape = t.shape;
  shape[0] = static_cast<int64_t>(order.size());
  ir::Tensor out(t.dtype, shape);
  const size_t row_bytes =
      t.shape[0] ? static_cast<size_t>(t.numel() / t.shape[0]) * ir::dtype_size(t.dtype) : 0;
  for (size_t k = 0; k < order.size(); ++k)
    std::memcpy(out.raw() + k * row_bytes, t.raw() + order[k] * row_bytes, row_bytes);
  return out;
}

// |a - b| scaled by the magnitude, as the bands judge it.
double scaled_difference(double a, double b, double scale) {
  return std::fabs(a - b) / std::max(1.0, scale);
}

// Whether a and b agree within the tolerance: element-wise atol/rtol when given, else the WARN
// band on the scaled difference.
bool close(double a, double b, double scale, const Tolerance& tolerance) {
  if (tolerance.atol || tolerance.rtol)
    return std::fabs(a - b) <=
           tolerance.atol.value_or(0) + tolerance.rtol.value_or(0) * std::fabs(a);
  return scaled_difference(a, b, scale) <= tolerance.warn_max_diff;
}

// The output line of detections reported apart (WARN): how many, and the largest difference.
OutputMetrics reported_apart(const std::string& name, size_t count, double gap) {
  OutputMetrics m;
  m.name = name;
  m.shape = {static_cast<int64_t>(count)};
  m.max_diff = m.scaled_max_diff = gap;
  m.status = m.absolute_status = "WARN";
  return m;
}

// Removes from the paired rows those whose masks differ past the tolerance only because an edge
// moved by a pixel (see mask_edges.h), calling `moved` with the reference row, the move and the
// row's largest difference. The caller has compared the rows, so their shapes agree.
template <typename Moved>
void set_aside_moved_mask_edges(const ir::Tensor& reference, const ir::Tensor& exported,
                                const Tolerance& tolerance, std::vector<size_t>& ref_rows,
                                std::vector<size_t>& got_rows, Moved moved) {
  const int64_t per_row = reference.shape[0] ? reference.numel() / reference.shape[0] : 0;
  double scale = 0;
  for (int64_t i = 0; i < reference.numel(); ++i)
    scale = std::max(scale, std::fabs(reference.value_as_double(i)));
  std::vector<size_t> ref_kept, got_kept;
  for (size_t p = 0; p < ref_rows.size(); ++p) {
    const auto ri = static_cast<int64_t>(ref_rows[p]), rj = static_cast<int64_t>(got_rows[p]);
    double gap = 0;
    bool within = true;
    for (int64_t e = 0; e < per_row; ++e) {
      const double a = reference.value_as_double(ri * per_row + e);
      const double b = exported.value_as_double(rj * per_row + e);
      within = within && close(a, b, scale, tolerance);
      gap = std::max(gap, scaled_difference(a, b, scale));
    }
    std::optional<MaskEdgeMove> move;
    if (!within) move = mask_edge_moved(reference, ri, exported, rj);
    if (move) {
      moved(ref_rows[p], *move, gap);
      continue;
    }
    ref_kept.push_back(ref_rows[p]);
    got_kept.push_back(got_rows[p]);
  }
  ref_rows = std::move(ref_kept);
  got_rows = std::move(got_kept);
}

}  // namespace

std::optional<DetectionLayout> find_detection_layout(const std::vector<ir::Tensor>& outputs) {
  std::optional<size_t> boxes;
  for (size_t k = 0; k < outputs.size() && !boxes; ++k)
    if (outputs[k].shape.size() == 2 && outputs[k].shape[1] == 4 &&
        ir::is_floating(outputs[k].dtype))
      boxes = k;
  if (!boxes) return std::nullopt;
  const int64_t n = outputs[*boxes].shape[0];
  std::optional<size_t> scores, labels;
  for (size_t k = 0; k < outputs.size(); ++k) {
    if (k == *boxes || outputs[k].shape != std::vector<int64_t>{n}) continue;
    if (!scores && ir::is_floating(outputs[k].dtype))
      scores = k;
    else if (!labels && is_integer(outputs[k].dtype))
      labels = k;
  }
  if (!scores || !labels) return std::nullopt;
  DetectionLayout layout{*boxes, *scores, *labels, {}};
  for (size_t k = 0; k < outputs.size(); ++k)
    if (k != *boxes && k != *scores && k != *labels && rows_of(outputs[k]) == n)
      layout.extras.push_back(k);
  return layout;
}

DetectionComparison compare_detections(const std::vector<std::string>& names,
                                       const std::vector<ir::Tensor>& reference,
                                       const std::vector<ir::Tensor>& exported,
                                       const DetectionLayout& layout, const Tolerance& tolerance) {
  DetectionComparison result;
  const ir::Tensor& ref_boxes = reference[layout.boxes];
  const ir::Tensor& got_boxes = exported[layout.boxes];
  const ir::Tensor& ref_scores = reference[layout.scores];
  const ir::Tensor& got_scores = exported[layout.scores];
  const ir::Tensor& ref_labels = reference[layout.labels];
  const ir::Tensor& got_labels = exported[layout.labels];
  const bool shaped = got_boxes.shape.size() == 2 && got_boxes.shape[1] == 4 &&
                      got_scores.shape.size() == 1 && got_labels.shape.size() == 1 &&
                      got_scores.shape[0] == got_boxes.shape[0] &&
                      got_labels.shape[0] == got_boxes.shape[0];
  result.reference_count = static_cast<size_t>(ref_boxes.shape[0]);
  result.exported_count = shaped ? static_cast<size_t>(got_boxes.shape[0]) : 0;

  std::vector<size_t> by_score(result.reference_count);
  std::iota(by_score.begin(), by_score.end(), 0);
  std::stable_sort(by_score.begin(), by_score.end(), [&](size_t a, size_t b) {
    return ref_scores.value_as_double(static_cast<int64_t>(a)) >
           ref_scores.value_as_double(static_cast<int64_t>(b));
  });
  double box_scale = 0;
  for (int64_t i = 0; i < ref_boxes.numel(); ++i)
    box_scale = std::max(box_scale, std::fabs(ref_boxes.value_as_double(i)));

  // A detection's counterpart is the closest unpaired exported one of its label whose score and
  // box agree within ten times the WARN band (a score 1e-3 apart, a box 0.32 px on a 320-pixel
  // image): box decoding passes the regression deltas through exp, and a score follows its
  // RoI's features, so float32 rounding upstream moves both by more than the band while the
  // detection stays the same one. The paired outputs are then judged on the bands as every
  // output is, so that drift still decides the verdict.
  Tolerance match = tolerance;
  match.warn_max_diff *= 10;
  std::vector<size_t> partner(result.reference_count, SIZE_MAX);
  std::vector<bool> taken(result.exported_count, false);
  for (size_t i : by_score) {
    const auto ri = static_cast<int64_t>(i);
    const double s = ref_scores.value_as_double(ri);
    size_t best = SIZE_MAX;
    double best_distance = INFINITY;
    for (size_t j = 0; j < result.exported_count; ++j) {
      const auto rj = static_cast<int64_t>(j);
      if (taken[j] || ref_labels.value_as_int(ri) != got_labels.value_as_int(rj)) continue;
      const double got_s = got_scores.value_as_double(rj);
      if (!close(s, got_s, std::fabs(s), match)) continue;
      bool same_box = true;
      double distance = scaled_difference(s, got_s, std::fabs(s));
      for (int64_t c = 0; c < 4 && same_box; ++c) {
        const double a = ref_boxes.value_as_double(ri * 4 + c);
        const double b = got_boxes.value_as_double(rj * 4 + c);
        same_box = close(a, b, box_scale, match);
        distance = std::max(distance, scaled_difference(a, b, box_scale));
      }
      if (same_box && distance < best_distance) best = j, best_distance = distance;
    }
    if (best == SIZE_MAX) continue;
    partner[i] = best;
    taken[best] = true;
    ++result.matched;
  }

  auto describe = [](const ir::Tensor& scores, const ir::Tensor& boxes, int64_t i) {
    char text[160];
    std::snprintf(text, sizeof text, "score %.6g box [%.6g, %.6g, %.6g, %.6g]",
                  scores.value_as_double(i), boxes.value_as_double(i * 4),
                  boxes.value_as_double(i * 4 + 1), boxes.value_as_double(i * 4 + 2),
                  boxes.value_as_double(i * 4 + 3));
    return std::string(text);
  };
  // A model that keeps its k best (torchvision's detections_per_img) cuts through near-equal
  // scores, and float rounding may move the cut across a tie: the reference keeps one detection,
  // the file another of nearly the same score. With equal counts, an unpaired reference
  // detection and an unpaired exported one of its label, each within the pairing band of its
  // side's lowest score and of each other, were exchanged at the cut: counted apart and left out
  // of the output comparison, the verdict at best WARN. A detection with an unpaired counterpart
  // in the same place (its box within ten times the pairing band) is that detection drifted too
  // far, and takes part in no exchange.
  Tolerance same_place = match;
  same_place.warn_max_diff *= 10;
  auto placed_alike = [&](int64_t ri, int64_t rj) {
    if (ref_labels.value_as_int(ri) != got_labels.value_as_int(rj)) return false;
    for (int64_t c = 0; c < 4; ++c)
      if (!close(ref_boxes.value_as_double(ri * 4 + c), got_boxes.value_as_double(rj * 4 + c),
                 box_scale, same_place))
        return false;
    return true;
  };
  std::vector<bool> exchanged(result.reference_count, false);
  double exchanged_gap = 0;  // the largest score gap of an exchange
  if (result.reference_count == result.exported_count && result.matched < result.reference_count) {
    auto lowest = [](const ir::Tensor& scores) {
      double low = INFINITY;
      for (int64_t i = 0; i < scores.numel(); ++i) low = std::min(low, scores.value_as_double(i));
      return low;
    };
    const double ref_low = lowest(ref_scores), got_low = lowest(got_scores);
    // Unpaired detections at their side's lowest score, without a drifted counterpart.
    std::vector<size_t> ref_cut, got_cut;
    for (size_t i = 0; i < result.reference_count; ++i) {
      const auto ri = static_cast<int64_t>(i);
      const double s = ref_scores.value_as_double(ri);
      bool drifted = false;
      for (size_t j = 0; j < result.exported_count && !drifted; ++j)
        drifted = !taken[j] && placed_alike(ri, static_cast<int64_t>(j));
      if (partner[i] == SIZE_MAX && !drifted && close(s, ref_low, std::fabs(s), match))
        ref_cut.push_back(i);
    }
    for (size_t j = 0; j < result.exported_count; ++j) {
      const auto rj = static_cast<int64_t>(j);
      const double g = got_scores.value_as_double(rj);
      bool drifted = false;
      for (size_t i = 0; i < result.reference_count && !drifted; ++i)
        drifted = partner[i] == SIZE_MAX && placed_alike(static_cast<int64_t>(i), rj);
      if (!taken[j] && !drifted && close(g, got_low, std::fabs(g), match)) got_cut.push_back(j);
    }
    for (size_t i : ref_cut) {
      const auto ri = static_cast<int64_t>(i);
      const double s = ref_scores.value_as_double(ri);
      for (size_t j : got_cut) {
        const auto rj = static_cast<int64_t>(j);
        const double g = got_scores.value_as_double(rj);
        if (taken[j] || ref_labels.value_as_int(ri) != got_labels.value_as_int(rj) ||
            !close(s, g, std::fabs(s), match))
          continue;
        taken[j] = true;
        exchanged[i] = true;
        exchanged_gap = std::max(exchanged_gap, std::fabs(s - g));
        result.exchanged.push_back("label " + std::to_string(ref_labels.value_as_int(ri)) + " " +
                                   describe(ref_scores, ref_boxes, ri) +
                                   "; exported instead: " + describe(got_scores, got_boxes, rj));
        break;
      }
    }
    // An exchange explains a near-tie at the cut of a file that otherwise found the same
    // detections; where others are missing too, the detections differ, and none is excused.
    if (result.matched + result.exchanged.size() != result.reference_count) {
      std::fill(exchanged.begin(), exchanged.end(), false);
      result.exchanged.clear();
      exchanged_gap = 0;
    }
  }
  const size_t paired = result.matched + result.exchanged.size();
  const bool all = paired == result.reference_count && paired == result.exported_count;
  constexpr size_t kUnmatchedShown = 3;
  for (size_t i : by_score) {
    if (partner[i] != SIZE_MAX || exchanged[i] || result.unmatched.size() == kUnmatchedShown)
      continue;
    const auto ri = static_cast<int64_t>(i);
    std::string line = "label " + std::to_string(ref_labels.value_as_int(ri)) + " " +
                       describe(ref_scores, ref_boxes, ri) + "; closest exported: ";
    double best = INFINITY;
    int64_t closest = -1;
    for (size_t j = 0; j < result.exported_count; ++j) {
      const auto rj = static_cast<int64_t>(j);
      if (ref_labels.value_as_int(ri) != got_labels.value_as_int(rj)) continue;
      double d = 0;
      for (int64_t c = 0; c < 4; ++c)
        d += std::fabs(ref_boxes.value_as_double(ri * 4 + c) -
                       got_boxes.value_as_double(rj * 4 + c));
      if (d < best) best = d, closest = rj;
    }
    line += closest < 0 ? "none of that label" : describe(got_scores, got_boxes, closest);
    result.unmatched.push_back(line);
  }
  if (!all) {
    OutputMetrics m;
    m.name = "detections";
    m.shape = {static_cast<int64_t>(result.reference_count)};
    m.max_diff = m.scaled_max_diff = INFINITY;
    m.cosine_similarity = 0;
    m.within_tolerance = false;
    m.status = m.absolute_status = "FAIL";
    result.outputs.push_back(m);
    return result;
  }
  // Every output in the reference's order: per-detection outputs through the pairs.
  std::vector<size_t> ref_rows, got_rows;
  for (size_t i = 0; i < result.reference_count; ++i)
    if (partner[i] != SIZE_MAX) ref_rows.push_back(i), got_rows.push_back(partner[i]);
  std::vector<size_t> per_detection = {layout.boxes, layout.scores, layout.labels};
  per_detection.insert(per_detection.end(), layout.extras.begin(), layout.extras.end());
  double moved_gap = 0;  // the largest mask difference explained by a moved edge
  for (size_t k = 0; k < reference.size(); ++k) {
    const bool by_pair =
        std::find(per_detection.begin(), per_detection.end(), k) != per_detection.end();
    if (!by_pair) {
      result.outputs.push_back(compare_output(names[k], reference[k], exported[k], tolerance));
      continue;
    }
    OutputMetrics m = compare_output(names[k], take_rows(reference[k], ref_rows),
                                     take_rows(exported[k], got_rows), tolerance);
    const bool extra = k != layout.boxes && k != layout.scores && k != layout.labels;
    if (m.status != "FAIL" || !extra || !holds_masks(reference[k])) {
      result.outputs.push_back(m);
      continue;
    }
    // Masks past the bands: those whose edge only moved by a pixel are reported apart.
    std::vector<size_t> ref_kept = ref_rows, got_kept = got_rows;
    auto moved = [&](size_t i, const MaskEdgeMove& move, double gap) {
      const auto ri = static_cast<int64_t>(i);
      moved_gap = std::max(moved_gap, gap);
      char text[96];
      std::snprintf(text, sizeof text, ": %lld pixels on the other side of 0.5, IoU %.4f",
                    static_cast<long long>(move.pixels), move.iou);
      result.mask_edges_moved.push_back("label " + std::to_string(ref_labels.value_as_int(ri)) +
                                        " " + describe(ref_scores, ref_boxes, ri) + text);
    };
    set_aside_moved_mask_edges(reference[k], exported[k], tolerance, ref_kept, got_kept, moved);
    if (ref_kept.size() != ref_rows.size())
      m = compare_output(names[k], take_rows(reference[k], ref_kept),
                         take_rows(exported[k], got_kept), tolerance);
    result.outputs.push_back(m);
  }
  if (!result.mask_edges_moved.empty())
    result.outputs.push_back(reported_apart("masks with an edge moved by a pixel",
                                            result.mask_edges_moved.size(), moved_gap));
  if (!result.exchanged.empty())
    result.outputs.push_back(
        reported_apart("detections exchanged at the cut", result.exchanged.size(), exchanged_gap));
  return result;
}

OutputMetrics compare_unordered(const std::string& name, const ir::Tensor& reference,
                                const ir::Tensor& exported, const Tolerance& tolerance) {
  if (reference.shape != exported.shape || reference.shape.empty())
    return compare_output(name, reference, exported, tolerance);  // reports the shape
  auto sorted = [](const ir::Tensor& t) {
    const int64_t n = t.shape[0];
    const int64_t width = n ? t.numel() / n : 0;
    std::vector<size_t> order(static_cast<size_t>(n));
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      for (int64_t c = 0; c < width; ++c) {
        const double x = t.value_as_double(static_cast<int64_t>(a) * width + c);
        const double y = t.value_as_double(static_cast<int64_t>(b) * width + c);
        if (x != y) return x < y;
      }
      return false;
    });
    return take_rows(t, order);
  };
  return compare_output(name, sorted(reference), sorted(exported), tolerance);
}

}  // namespace mlexport::validate

// Comparisons that do not depend on the order of rows: detections (boxes, scores, labels, and
// per-detection extras such as masks or keypoints) matched as sets, and outputs compared as
// multisets of rows. Near-equal scores may legitimately come out in another order after NMS or a
// sort, so an element-by-element comparison would report a difference that is not one.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "validate/metrics.h"

namespace mlexport::validate {

// Positions of the detection outputs: boxes float [N,4], scores float [N], labels integer [N];
// extras are the other outputs whose dim 0 is N.
struct DetectionLayout {
  size_t boxes = 0, scores = 0, labels = 0;
  std::vector<size_t> extras;
};
std::optional<DetectionLayout> find_detection_layout(const std::vector<ir::Tensor>& outputs);

struct DetectionComparison {
  size_t matched = 0;
  size_t reference_count = 0, exported_count = 0;
  std::vector<OutputMetrics> outputs;  // metrics of each output in the matched order
  // The first unmatched reference detections, highest score first, each with the closest
  // exported detection of its label: "label 3 score 0.4120 box [1.0, 2.0, 50.5, 60.0]; closest
  // exported: score 0.4118 box [...]".
  std::vector<std::string> unmatched;
  // Detections exchanged at a top-k cut (see compare_detections), one line each: "label 1 score
  // 0.2212 box [...]; exported instead: score 0.2213 box [...]". Not counted in `matched`.
  std::vector<std::string> exchanged;
  // Paired detections whose masks differ only by an edge moved by a pixel (mask_edges.h), one
  // line each: "label 1 score 0.41 box [...]: 23 pixels on the other side of 0.5, IoU 0.9870".
  // Left out of the masks' comparison; the verdict at best WARN.
  std::vector<std::string> mask_edges_moved;
};

// Matches each reference detection, highest score first, with the closest unmatched exported
// one of the same label whose score and box agree within ten times the tolerance's WARN band (on
// the scaled difference); when all match, the exported outputs are put in the reference's order
// and compared output by output on the bands. With equal counts, an unpaired detection on each
// side at the lowest score of its side, of one label and nearly one score, is an exchange at a
// top-k cut (a model that keeps its k best): reported apart, the verdict at best WARN. A paired
// detection's mask that differs only by an edge moved by a pixel is reported the same way.
DetectionComparison compare_detections(const std::vector<std::string>& names,
                                       const std::vector<ir::Tensor>& reference,
                                       const std::vector<ir::Tensor>& exported,
                                       const DetectionLayout& layout, const Tolerance& tolerance);

// Sorts the rows (slices along dim 0) of both tensors, then compares them element-wise.
OutputMetrics compare_unordered(const std::string& name, const ir::Tensor& reference,
                                const ir::Tensor& exported, const Tolerance& tolerance);

}  // namespace mlexport::validate

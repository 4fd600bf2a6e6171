// Points where a model's later computation follows a value that rounding may legitimately move,
// so that its outputs may differ from the export's far past the bands while both computed
// correctly:
// - a top-k cut among near-equal values (a detector's best 1000 anchors): which elements are
//   kept is decided by rounding;
// - the boxes a RoI op samples (RoiAlign, MaxRoiPool): a box that drifts by a hundredth of a
//   pixel moves every sample point, and a mask or keypoint head follows the features there.
// For a sample that fails, these points of the written IR are exposed in one run of the
// exported graph. The reference runs again, and each point where the export's value differs is
// checked: a top-k's ranked values must agree within the bands and its choice must be one that
// values within their difference allow (validate/top_k_ties.h); a RoI op's boxes must agree
// within the bands. Checked points take the export's value and the reference runs again, until no
// new point differs. Every point taken is checked once more on that last run, whose outputs are
// then what the model computes after the same choices and boxes.
#pragma once

#include <vector>

#include "core/export_job.h"
#include "core/localize_export.h"
#include "validate/metrics.h"

namespace mlexport::core {

// replayed is false when no point differs, or when a differing point's check fails (`refused`
// then says which and why).
SampleReplay replay_at_points(ExportJob& job, const ExposedGraph& exposed,
                              const validate::Tolerance& tolerance,
                              const std::vector<ir::Tensor>& inputs);

// Sets job.replay_sample for the validation of an export with its IR (job.graph), and clears it
// when the validation is over: `exposed` and `tolerance` must outlive it.
class ReplayPoints {
 public:
  ReplayPoints(ExportJob& job, const ExposedGraph& exposed, const validate::Tolerance& tolerance);
  ~ReplayPoints() { job_.replay_sample = nullptr; }
  ReplayPoints(const ReplayPoints&) = delete;
  ReplayPoints& operator=(const ReplayPoints&) = delete;

 private:
  ExportJob& job_;
};

}  // namespace mlexport::core

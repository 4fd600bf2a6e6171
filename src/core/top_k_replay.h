// Differences that start at a top-k cut. Among near-equal values, which elements a TopK keeps (a
// detector's best 1000 anchors) depends on float rounding, and everything after the cut follows
// that choice: the export's outputs may then differ from the model's by far more than the bands
// while both computed correctly. For a sample that fails, the TopKs of the written IR are exposed
// in one run of the exported graph. Cut by cut, in graph order, where the export's choice differs
// from the model's, the choice is checked: the values ranked must agree within the bands, and
// the export's choice must be one that values within their difference allow
// (validate/top_k_ties.h). The reference then runs again with the export's choice at that cut.
// The outputs of the last run are what the model computes after the same choices.
#pragma once

#include <vector>

#include "core/export_job.h"
#include "core/localize_export.h"
#include "validate/metrics.h"

namespace mlexport::core {

// replayed is false when no cut differs, when a cut cannot be checked (a ranked value the exposed
// graph does not hold), or when a cut's choice is refused (then `refused` says why).
TopKReplay replay_top_k_choices(ExportJob& job, const ExposedGraph& exposed,
                                const validate::Tolerance& tolerance,
                                const std::vector<ir::Tensor>& inputs);

// Sets job.replay_top_k for the validation of an export with its IR (job.graph), and clears it
// when the validation is over: `exposed` and `tolerance` must outlive it.
class ReplayTopK {
 public:
  ReplayTopK(ExportJob& job, const ExposedGraph& exposed, const validate::Tolerance& tolerance);
  ~ReplayTopK() { job_.replay_top_k = nullptr; }
  ReplayTopK(const ReplayTopK&) = delete;
  ReplayTopK& operator=(const ReplayTopK&) = delete;

 private:
  ExportJob& job_;
};

}  // namespace mlexport::core

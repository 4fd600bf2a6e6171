#include "core/top_k_replay.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <string>

#include "mlexport/diagnostics.h"
#include "validate/top_k_ties.h"

namespace mlexport::core {
namespace {

// A TopK of the written IR whose ranked values and choice both the reference and the exposed
// graph can give.
struct Cut {
  const ir::Node* node = nullptr;
  const ir::Value* ranked = nullptr;
  const ir::Value* indices = nullptr;
  std::string values_key;  // the reference's key of the values output (empty: none)
  int64_t axis = -1;
  bool largest = true;
};

std::vector<Cut> cuts_of(const ir::Graph& graph, const ExposedGraph& exposed) {
  std::vector<Cut> cuts;
  for (const auto& node : graph.nodes()) {
    if (node->op != "TopK" || node->outputs.size() < 2 || !node->input(0)) continue;
    Cut c;
    c.node = node.get();
    c.ranked = node->inputs[0];
    c.indices = node->outputs[1];
    if (c.ranked->reference.empty() || c.indices->reference.empty() || !exposed.find(c.ranked) ||
        !exposed.find(c.indices))
      continue;
    c.values_key = node->outputs[0]->reference;
    c.axis = node->i("axis", -1);
    c.largest = node->i("largest", 1) != 0;
    cuts.push_back(c);
  }
  return cuts;
}

bool same_values(const ir::Tensor& a, const ir::Tensor& b) {
  if (a.shape != b.shape) return false;
  for (int64_t i = 0; i < a.numel(); ++i)
    if (a.value_as_int(i) != b.value_as_int(i)) return false;
  return true;
}

std::string where(const ir::Node& node) {
  const std::string location = ir::split_source(node.source).second;
  return node.name + (location.empty() ? "" : " (" + location + ")");
}

std::string figure(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2e", v);
  return text;
}

}  // namespace

TopKReplay replay_top_k_choices(ExportJob& job, const ExposedGraph& exposed,
                                const validate::Tolerance& tolerance,
                                const std::vector<ir::Tensor>& inputs) {
  TopKReplay replay;
  if (!job.graph || !job.model.reference) return replay;
  const std::vector<Cut> cuts = cuts_of(*job.graph, exposed);
  if (cuts.empty()) return replay;

  std::vector<const ir::Value*> asked;
  std::vector<std::string> keys;
  for (const Cut& c : cuts) {
    asked.push_back(c.ranked);
    asked.push_back(c.indices);
    keys.push_back(c.ranked->reference);
    keys.push_back(c.indices->reference);
  }
  const std::vector<std::optional<ir::Tensor>> exported = run_exposed(exposed, inputs, asked);

  std::map<std::string, ir::Tensor> replaced;
  // One reference run per cut taken, and a last one that finds no other cut differing.
  for (size_t taken = 0; taken <= cuts.size(); ++taken) {
    auto run = job.model.reference->replay(inputs, keys, replaced);
    if (!run) return replay;
    const Cut* differing = nullptr;
    size_t at = 0;
    for (size_t k = 0; k < cuts.size() && !differing; ++k) {
      if (replaced.count(cuts[k].indices->reference)) continue;
      const auto model_choice = run->values.find(cuts[k].indices->reference);
      const auto& export_choice = exported[2 * k + 1];
      if (model_choice == run->values.end() || !export_choice) continue;
      if (!same_values(model_choice->second, *export_choice)) differing = &cuts[k], at = k;
    }
    if (!differing) {
      if (replaced.empty()) return replay;
      replay.replayed = true;
      replay.outputs = std::move(run->outputs);
      return replay;
    }
    const auto model_ranked = run->values.find(differing->ranked->reference);
    const auto& export_ranked = exported[2 * at];
    if (model_ranked == run->values.end() || !export_ranked) return replay;
    const ir::Tensor& ranked = model_ranked->second;
    // The values ranked must agree (the bands), or the choice follows an error before the cut.
    const OutputMetrics input =
        validate::compare_output(differing->ranked->name, ranked, *export_ranked, tolerance);
    if (input.status == "FAIL") {
      replay.refused = where(*differing->node) + ": the values it ranks already differ (max " +
                       "difference " + figure(input.max_diff) + ")";
      return replay;
    }
    const ir::Tensor& model_choice = run->values.at(differing->indices->reference);
    const ir::Tensor& export_choice = *exported[2 * at + 1];
    const validate::TopKChoice choice = validate::top_k_choice_within(
        ranked, model_choice, export_choice, differing->axis, differing->largest, input.max_diff);
    if (!choice.explained) {
      replay.refused = where(*differing->node) + ": " + choice.reason;
      return replay;
    }
    replaced[differing->indices->reference] = export_choice.cast(model_choice.dtype);
    if (!differing->values_key.empty())
      replaced[differing->values_key] =
          validate::gather_along(ranked, export_choice, differing->axis);
    replay.gap = std::max(replay.gap, choice.gap);
    replay.cuts.push_back(where(*differing->node) + ": " + std::to_string(choice.differing) +
                          " of " + std::to_string(export_choice.numel()) +
                          " positions hold other elements, none past the cut by more than " +
                          figure(choice.gap) + " (the values it ranks differ by up to " +
                          figure(input.max_diff) + ")");
  }
  return replay;
}

ReplayTopK::ReplayTopK(ExportJob& job, const ExposedGraph& exposed,
                       const validate::Tolerance& tolerance)
    : job_(job) {
  if (!job.graph) return;
  job.replay_top_k = [&job, &exposed, &tolerance](const std::vector<ir::Tensor>& inputs) {
    try {
      return replay_top_k_choices(job, exposed, tolerance, inputs);
    } catch (const std::exception& e) {
      TopKReplay failed;
      failed.refused = "the replay stopped: " + first_line(e.what());
      return failed;
    }
  };
}

}  // namespace mlexport::core

#include "core/replay_points.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>

#include "mlexport/diagnostics.h"
#include "validate/top_k_ties.h"

namespace mlexport::core {
namespace {

using validate::scientific;

enum class PointKind { kTopK, kRoiBoxes, kNmsOrder };

// A point of the written IR whose value both the reference and the exposed graph can give.
struct Point {
  PointKind kind = PointKind::kTopK;
  const ir::Node* node = nullptr;      // the TopK, or the first RoI op that samples the boxes
  const ir::Value* value = nullptr;    // TopK: the values it ranks; RoI op: torchvision's rois
  const ir::Value* indices = nullptr;  // TopK: the indices it keeps
  const ir::Value* kept = nullptr;     // TopK: the values it keeps
  int64_t axis = -1;
  bool largest = true;
};

// The value with a reference behind a RoI op's boxes: torchvision's rois [K, 5] enter ONNX's
// RoiAlign sliced apart (boxes, then the image index).
const ir::Value* rois_behind(const ir::Value* v) {
  for (int step = 0; v && v->reference.empty() && step < 3; ++step) {
    const ir::Node* p = v->producer;
    if (!p || (p->op != "Slice" && p->op != "Cast" && p->op != "Gather")) return nullptr;
    v = p->input(0);
  }
  return v && !v->reference.empty() ? v : nullptr;
}

bool holds_nms(const ir::Graph& graph) {
  for (const auto& node : graph.nodes()) {
    if (node->op == "NonMaxSuppression") return true;
    for (const ir::Graph* sub : node->subgraphs())
      if (holds_nms(*sub)) return true;
  }
  return false;
}

// torchvision's batched_nms, an If around NMS (its empty-input branch): the kept indices it
// returns, and the scores it reads (its one float vector).
bool nms_point(const ir::Node& node, Point& p) {
  if (node.op != "If" || node.outputs.empty()) return false;
  bool nms = false;
  for (const ir::Graph* branch : node.subgraphs()) nms = nms || holds_nms(*branch);
  if (!nms) return false;
  const ir::Value* kept = node.outputs[0];
  if (kept->dtype != ir::DType::Int64 || !kept->shape || kept->shape->size() != 1) return false;
  const ir::Value* scores = nullptr;
  for (size_t k = 1; k < node.inputs.size(); ++k) {
    const ir::Value* in = node.inputs[k];
    if (!in || in->dtype != ir::DType::Float32 || !in->shape || in->shape->size() != 1) continue;
    if (scores) return false;
    scores = in;
  }
  p.kind = PointKind::kNmsOrder;
  p.value = scores;
  p.indices = kept;
  return scores != nullptr;
}

std::vector<Point> points_of(const ir::Graph& graph, const ExposedGraph& exposed) {
  std::vector<Point> points;
  std::set<const ir::Value*> boxes_seen;
  auto exposable = [&exposed](const ir::Value* v) {
    return v && !v->reference.empty() && exposed.find(v) != nullptr;
  };
  for (const auto& node : graph.nodes()) {
    Point p;
    p.node = node.get();
    if (node->op == "TopK" && node->outputs.size() == 2) {
      p.value = node->input(0);
      p.indices = node->outputs[1];
      p.kept = node->outputs[0];
      if (!exposable(p.value) || !exposable(p.indices)) continue;
      p.axis = node->i("axis", -1);
      p.largest = node->i("largest", 1) != 0;
    } else if (nms_point(*node, p)) {
      if (!exposable(p.value) || !exposable(p.indices)) continue;
    } else if (node->op == "RoiAlign" || node->op == "MaxRoiPool") {
      p.kind = PointKind::kRoiBoxes;
      p.value = rois_behind(node->input(1));
      if (!exposable(p.value) || !boxes_seen.insert(p.value).second) continue;
    } else {
      continue;
    }
    points.push_back(p);
  }
  return points;
}

std::string where(const ir::Node& node) {
  const std::string location = ir::split_source(node.source).second;
  return node.name + (location.empty() ? "" : " (" + location + ")");
}

bool identical(const ir::Tensor& a, const ir::Tensor& b) {
  if (a.shape != b.shape || a.dtype != b.dtype) return false;
  return std::equal(a.raw(), a.raw() + a.nbytes(), b.raw());
}

enum class Verdict { kSame, kExplained, kRefused };

struct Check {
  Verdict verdict = Verdict::kSame;
  std::string line;  // explained: what differs; refused: why
};

using Values = std::map<std::string, ir::Tensor>;
using Exposed = std::map<const ir::Value*, ir::Tensor>;

// The point's value in the model's run against the export's. A value either side lacks is not
// checked (kSame).
Check check_point(const Point& p, const Values& model, const Exposed& exported,
                  const validate::Tolerance& tolerance) {
  Check c;
  const auto model_value = model.find(p.value->reference);
  const auto export_value = exported.find(p.value);
  if (model_value == model.end() || export_value == exported.end()) return c;
  if (p.kind == PointKind::kRoiBoxes) {
    if (identical(model_value->second, export_value->second)) return c;
    c.verdict = Verdict::kRefused;
    if (model_value->second.shape != export_value->second.shape) {
      c.line = "the export samples " + ir::shape_to_string(export_value->second.shape) +
               " boxes where the model samples " + ir::shape_to_string(model_value->second.shape);
      return c;
    }
    const OutputMetrics m = validate::compare_output(p.value->name, model_value->second,
                                                     export_value->second, tolerance);
    if (m.status == "FAIL") {
      c.line = "the boxes it samples differ past the bands (max difference " +
               scientific(m.max_diff) + ")";
      return c;
    }
    c.verdict = Verdict::kExplained;
    c.line = "samples the export's boxes, within " + scientific(m.max_diff) + " of the model's";
    return c;
  }
  const auto model_choice = model.find(p.indices->reference);
  const auto export_choice = exported.find(p.indices);
  if (model_choice == model.end() || export_choice == exported.end()) return c;
  if (identical(model_choice->second, export_choice->second.cast(model_choice->second.dtype)))
    return c;
  c.verdict = Verdict::kRefused;
  const OutputMetrics ranked =
      validate::compare_output(p.value->name, model_value->second, export_value->second, tolerance);
  if (ranked.status == "FAIL") {
    c.line =
        "the values it ranks already differ (max difference " + scientific(ranked.max_diff) + ")";
    return c;
  }
  const bool nms = p.kind == PointKind::kNmsOrder;
  const validate::TopKChoice choice =
      nms ? validate::same_elements_in_order_within(model_value->second, model_choice->second,
                                                    export_choice->second, ranked.max_diff)
          : validate::top_k_choice_within(model_value->second, model_choice->second,
                                          export_choice->second, p.axis, p.largest,
                                          ranked.max_diff);
  if (!choice.explained) {
    c.line = choice.reason;
    return c;
  }
  c.verdict = Verdict::kExplained;
  if (nms) {
    c.line = "(NMS) keeps the same elements in another order at " +
             std::to_string(choice.differing) + " of " +
             std::to_string(export_choice->second.numel()) +
             " positions, scores out of order by at most " + scientific(choice.gap) +
             " (the scores differ by up to " + scientific(ranked.max_diff) + ")";
    return c;
  }
  c.line = "keeps other elements at " + std::to_string(choice.differing) + " of " +
           std::to_string(export_choice->second.numel()) +
           " positions, none past the cut by more than " + scientific(choice.gap) +
           " (the values it ranks differ by up to " + scientific(ranked.max_diff) + ")";
  return c;
}

// The export's value at a point, as the model's run is to read it.
void take_from_export(const Point& p, const Values& model, const Exposed& exported,
                      std::map<std::string, ir::Tensor>& replaced) {
  if (p.kind == PointKind::kRoiBoxes) {
    const ir::Tensor& mine = model.at(p.value->reference);
    replaced[p.value->reference] = exported.at(p.value).cast(mine.dtype);
    return;
  }
  const ir::Tensor& choice = model.at(p.indices->reference);
  const ir::Tensor& indices = exported.at(p.indices);
  replaced[p.indices->reference] = indices.cast(choice.dtype);
  if (!p.kept || p.kept->reference.empty()) return;
  // The kept values as the export computed them, or else the model's own at the export's choice.
  const auto kept = exported.find(p.kept);
  replaced[p.kept->reference] =
      kept != exported.end()
          ? kept->second
          : validate::gather_along(model.at(p.value->reference), indices, p.axis);
}

}  // namespace

SampleReplay replay_at_points(ExportJob& job, const ExposedGraph& exposed,
                              const validate::Tolerance& tolerance,
                              const std::vector<ir::Tensor>& inputs) {
  SampleReplay replay;
  if (!job.graph || !job.model.reference) return replay;
  const std::vector<Point> points = points_of(*job.graph, exposed);
  if (points.empty()) return replay;

  std::vector<const ir::Value*> asked;
  std::vector<std::string> keys;
  for (const Point& p : points)
    for (const ir::Value* v : {p.value, p.indices, p.kept})
      if (v && !v->reference.empty() && exposed.find(v)) {
        asked.push_back(v);
        keys.push_back(v->reference);
      }
  Exposed exported;
  {
    std::vector<std::optional<ir::Tensor>> got = run_exposed(exposed, inputs, asked);
    for (size_t k = 0; k < asked.size(); ++k)
      if (got[k]) exported.emplace(asked[k], std::move(*got[k]));
  }

  std::map<std::string, ir::Tensor> replaced;
  std::set<size_t> taken;
  // Each round runs the model with the points taken so far; a point whose check depends on one
  // taken in the same round is checked again in the next. The last round changes nothing.
  for (size_t round = 0; round <= points.size(); ++round) {
    auto run = job.model.reference->replay(inputs, keys, replaced);
    if (!run) return replay;
    std::vector<size_t> fresh;
    std::vector<std::string> lines;
    std::string refusal;
    for (size_t k = 0; k < points.size(); ++k) {
      const Check c = check_point(points[k], run->values, exported, tolerance);
      if (c.verdict == Verdict::kSame) continue;
      if (c.verdict == Verdict::kRefused) {
        // The first point that differs decides at once; a later one may follow an earlier
        // point not yet taken.
        if (lines.empty() && fresh.empty()) {
          replay.refused = where(*points[k].node) + ": " + c.line;
          return replay;
        }
        if (refusal.empty()) refusal = where(*points[k].node) + ": " + c.line;
        continue;
      }
      lines.push_back(where(*points[k].node) + " " + c.line);
      if (!taken.count(k)) fresh.push_back(k);
    }
    if (fresh.empty()) {
      if (!refusal.empty()) {
        replay.refused = refusal;
      } else if (!taken.empty()) {
        replay.replayed = true;
        replay.outputs = std::move(run->outputs);
        replay.points = std::move(lines);
      }
      return replay;
    }
    for (size_t k : fresh) {
      take_from_export(points[k], run->values, exported, replaced);
      taken.insert(k);
    }
  }
  return replay;
}

ReplayPoints::ReplayPoints(ExportJob& job, const ExposedGraph& exposed,
                           const validate::Tolerance& tolerance)
    : job_(job) {
  if (!job.graph) return;
  job.replay_sample = [&job, &exposed, &tolerance](const std::vector<ir::Tensor>& inputs) {
    try {
      return replay_at_points(job, exposed, tolerance, inputs);
    } catch (const std::exception& e) {
      SampleReplay failed;
      failed.refused = "the replay stopped: " + first_line(e.what());
      return failed;
    }
  };
}

}  // namespace mlexport::core

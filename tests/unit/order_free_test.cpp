// Detections compared as sets (--compare detections): which pairs match, and the verdict after.
#include <gtest/gtest.h>

#include "validate/order_free.h"

namespace mlexport::validate {
namespace {

struct Detection {
  float x0, y0, x1, y1, score;
  int64_t label;
};

// boxes [N,4], scores [N], labels [N]: the outputs of a torchvision detector.
std::vector<ir::Tensor> outputs(const std::vector<Detection>& ds) {
  const auto n = static_cast<int64_t>(ds.size());
  ir::Tensor boxes(ir::DType::Float32, {n, 4}), scores(ir::DType::Float32, {n}),
      labels(ir::DType::Int64, {n});
  for (size_t i = 0; i < ds.size(); ++i) {
    const Detection& d = ds[i];
    float* b = boxes.data<float>() + 4 * i;
    b[0] = d.x0, b[1] = d.y0, b[2] = d.x1, b[3] = d.y1;
    scores.data<float>()[i] = d.score;
    labels.data<int64_t>()[i] = d.label;
  }
  return {boxes, scores, labels};
}

const std::vector<std::string> kNames = {"boxes", "scores", "labels"};

const std::vector<Detection> kReference = {
    {10, 10, 100, 120, 0.90f, 3},
    {50, 40, 300, 310, 0.75f, 1},
    {12, 11, 101, 119, 0.40f, 3},
};

struct Case {
  const char* name;
  std::vector<Detection> exported;
  size_t matched;        // pairs found
  const char* verdict;   // the worst output's status
  size_t exchanged = 0;  // exchanged at the top-k cut
};

class CompareDetections : public ::testing::TestWithParam<Case> {};

TEST_P(CompareDetections, PairsAndJudges) {
  const Case& c = GetParam();
  const auto reference = outputs(kReference);
  const auto layout = find_detection_layout(reference);
  ASSERT_TRUE(layout);
  const DetectionComparison d =
      compare_detections(kNames, reference, outputs(c.exported), *layout, Tolerance{});
  EXPECT_EQ(d.matched, c.matched);
  EXPECT_EQ(d.reference_count, kReference.size());
  EXPECT_EQ(d.exported_count, c.exported.size());
  std::string worst = "PASS";
  for (const auto& m : d.outputs)
    if (m.status == "FAIL" || (m.status == "WARN" && worst == "PASS")) worst = m.status;
  EXPECT_EQ(worst, c.verdict);
  EXPECT_EQ(d.exchanged.size(), c.exchanged);
  EXPECT_EQ(d.unmatched.size(), kReference.size() - c.matched - c.exchanged);
}

INSTANTIATE_TEST_SUITE_P(
    Sets, CompareDetections,
    ::testing::Values(
        // Another order is the same set.
        Case{"reordered", {kReference[2], kReference[0], kReference[1]}, 3, "PASS"},
        // A score 5e-4 away is the same detection (paired), and that drift decides the verdict.
        Case{"score_drift_past_the_warn_band",
             {kReference[0], {50, 40, 300, 310, 0.7505f, 1}, kReference[2]},
             3,
             "FAIL"},
        Case{"score_drift_within_the_warn_band",
             {kReference[0], {50, 40, 300, 310, 0.75005f, 1}, kReference[2]},
             3,
             "WARN"},
        // A score 5e-3 away is another detection.
        Case{"score_too_far",
             {kReference[0], {50, 40, 300, 310, 0.755f, 1}, kReference[2]},
             2,
             "FAIL"},
        // A box a fifth of a pixel off (scaled 6e-4 on a 310-pixel box scale) pairs; 2 px does not.
        Case{"box_drift",
             {kReference[0], {50.2f, 40, 300, 310, 0.75f, 1}, kReference[2]},
             3,
             "FAIL"},
        Case{
            "box_too_far", {kReference[0], {52, 40, 300, 310, 0.75f, 1}, kReference[2]}, 2, "FAIL"},
        Case{
            "other_label", {kReference[0], {50, 40, 300, 310, 0.75f, 2}, kReference[2]}, 2, "FAIL"},
        Case{"one_missing", {kReference[0], kReference[1]}, 2, "FAIL"},
        // The lowest-scored detection on each side, one label, scores 3e-4 apart: the model's
        // top-k cut fell on another side of a near-tie. Reported, not a failure.
        Case{"exchanged_at_the_cut",
             {kReference[0], kReference[1], {200, 200, 260, 250, 0.4003f, 3}},
             2,
             "WARN",
             1},
        // At the lowest score, but the same box moved by a pixel: the same detection drifted
        // past the pairing band, not an exchange.
        Case{"same_detection_drifted_at_the_cut",
             {kReference[0], kReference[1], {13, 11, 101, 119, 0.40f, 3}},
             2,
             "FAIL"},
        // At the lowest score, a detection drifted past the band and, elsewhere, another of its
        // label and score: the drifted one is not exchanged with the other.
        Case{"drifted_not_exchanged_with_another",
             {kReference[0], {52, 40, 300, 310, 0.40f, 3}, {13, 11, 101, 119, 0.40f, 3}},
             1,
             "FAIL"},
        // A near-tie at the cut in a file that misses another detection as well: no exchange.
        Case{"no_exchange_while_others_are_missing",
             {kReference[0], {90, 40, 200, 310, 0.75f, 1}, {200, 200, 260, 250, 0.4003f, 3}},
             1,
             "FAIL"},
        // Not at the lowest score: a detection of nearly the same score replaced by another.
        Case{"exchanged_above_the_cut",
             {kReference[0], {90, 40, 200, 310, 0.7502f, 1}, kReference[2]},
             2,
             "FAIL"},
        Case{"other_label_at_the_cut",
             {kReference[0], kReference[1], {200, 200, 260, 250, 0.4003f, 5}},
             2,
             "FAIL"},
        Case{"score_too_far_at_the_cut",
             {kReference[0], kReference[1], {200, 200, 260, 250, 0.45f, 3}},
             2,
             "FAIL"},
        Case{"one_extra",
             {kReference[0], kReference[1], kReference[2], {0, 0, 5, 5, 0.1f, 7}},
             3,
             "FAIL"}),
    [](const auto& info) { return std::string(info.param.name); });

// Two detections of one label whose scores both lie within the pairing band: each pairs with
// the closest, not the first that qualifies, so the compared outputs are exact.
TEST(CompareDetections, PairsTheClosestCandidate) {
  const std::vector<Detection> reference = {{10, 10, 100, 100, 0.5003f, 4},
                                            {10, 10, 100, 100, 0.5000f, 4}};
  const std::vector<Detection> exported = {reference[1], reference[0]};
  const auto ref = outputs(reference);
  const DetectionComparison d =
      compare_detections(kNames, ref, outputs(exported), *find_detection_layout(ref), Tolerance{});
  ASSERT_EQ(d.matched, 2u);
  for (const auto& m : d.outputs) EXPECT_EQ(m.max_diff, 0) << m.name;
}

// Masks [N,1,16,16] beside the detections: each a rectangle, `inside` within and 0.1 outside.
struct MaskRect {
  int y0, x0, y1, x1;  // inclusive corners
  float inside = 0.9f;
};

ir::Tensor masks(const std::vector<MaskRect>& rects) {
  const auto n = static_cast<int64_t>(rects.size());
  ir::Tensor t(ir::DType::Float32, {n, 1, 16, 16});
  for (int64_t i = 0; i < n; ++i)
    for (int y = 0; y < 16; ++y)
      for (int x = 0; x < 16; ++x) {
        const MaskRect& r = rects[static_cast<size_t>(i)];
        const bool in = y >= r.y0 && y <= r.y1 && x >= r.x0 && x <= r.x1;
        t.data<float>()[(i * 16 + y) * 16 + x] = in ? r.inside : 0.1f;
      }
  return t;
}

const std::vector<MaskRect> kMasks = {{2, 2, 9, 9}, {4, 3, 12, 13}, {1, 1, 5, 6}};

struct MaskCase {
  const char* name;
  std::vector<MaskRect> exported;
  const char* verdict;
  size_t moved;     // masks reported with an edge moved by a pixel
  float hole = -1;  // when set, the value at (7, 7) of the first exported mask
};

class CompareMasks : public ::testing::TestWithParam<MaskCase> {};

TEST_P(CompareMasks, EdgeMovedByAPixelIsReportedApart) {
  const MaskCase& c = GetParam();
  auto reference = outputs(kReference);
  reference.push_back(masks(kMasks));
  auto exported = outputs(kReference);
  exported.push_back(masks(c.exported));
  if (c.hole >= 0) exported[3].data<float>()[7 * 16 + 7] = c.hole;
  const auto layout = find_detection_layout(reference);
  ASSERT_TRUE(layout);
  ASSERT_EQ(layout->extras, std::vector<size_t>{3});
  const DetectionComparison d = compare_detections({"boxes", "scores", "labels", "masks"},
                                                   reference, exported, *layout, Tolerance{});
  EXPECT_EQ(d.matched, kReference.size());
  std::string worst = "PASS";
  for (const auto& m : d.outputs)
    if (m.status == "FAIL" || (m.status == "WARN" && worst == "PASS")) worst = m.status;
  EXPECT_EQ(worst, c.verdict);
  EXPECT_EQ(d.mask_edges_moved.size(), c.moved);
}

INSTANTIATE_TEST_SUITE_P(
    Sets, CompareMasks,
    ::testing::Values(
        MaskCase{"same", kMasks, "PASS", 0},
        // One column more on the right: every differing pixel touches the reference's edge.
        MaskCase{"edge_moved_by_a_pixel", {kMasks[0], {4, 3, 12, 14}, kMasks[2]}, "WARN", 1},
        MaskCase{"two_edges_moved", {{2, 2, 10, 9}, {3, 3, 12, 13}, kMasks[2]}, "WARN", 2},
        // Two columns more: the outer column lies two pixels from the edge.
        MaskCase{"edge_moved_by_two_pixels", {kMasks[0], {4, 3, 12, 15}, kMasks[2]}, "FAIL", 0},
        // A hole inside the first mask, far from its edge.
        MaskCase{"hole_inside", kMasks, "FAIL", 0, 0.2f},
        // A value that drifts without crossing 0.5 is judged on the bands.
        MaskCase{"drift_without_crossing", kMasks, "FAIL", 0, 0.8f},
        MaskCase{"drift_within_the_band", kMasks, "PASS", 0, 0.900001f}),
    [](const auto& info) { return std::string(info.param.name); });

// Values past 1 are not masks (heatmaps, logits): a moved edge there is a difference.
TEST(CompareMasks, ValuesPastOneAreNotMasks) {
  auto reference = outputs(kReference);
  std::vector<MaskRect> rects = kMasks;
  for (auto& r : rects) r.inside = 1.5f;
  reference.push_back(masks(rects));
  auto exported = outputs(kReference);
  rects[1].x1 += 1;
  exported.push_back(masks(rects));
  const DetectionComparison d =
      compare_detections({"boxes", "scores", "labels", "heatmaps"}, reference, exported,
                         *find_detection_layout(reference), Tolerance{});
  EXPECT_TRUE(d.mask_edges_moved.empty());
  EXPECT_EQ(d.outputs[3].status, "FAIL");
}

}  // namespace
}  // namespace mlexport::validate

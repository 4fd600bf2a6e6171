// Validation metrics and the verdict bands of the export guide.
#include <gtest/gtest.h>

#include <cmath>

#include "validate/metrics.h"

namespace mlexport::validate {
namespace {

ir::Tensor vec(std::vector<float> values) {
  ir::Tensor t(ir::DType::Float32, {static_cast<int64_t>(values.size())});
  for (size_t i = 0; i < values.size(); ++i) t.data<float>()[i] = values[i];
  return t;
}

TEST(Metrics, IdenticalOutputsPass) {
  auto m = compare_output("y", vec({1, 2, 3}), vec({1, 2, 3}), {});
  EXPECT_EQ(m.status, "PASS");
  EXPECT_EQ(m.max_diff, 0);
  EXPECT_DOUBLE_EQ(m.cosine_similarity, 1.0);
}

TEST(Metrics, BandsUseDifferenceScaledByOutputMagnitude) {
  // Logits near 400: a raw difference of 1e-3 is float32 rounding, scaled 2.5e-6 -> PASS.
  auto m = compare_output("y", vec({400, -300}), vec({400.001f, -300}), {});
  EXPECT_NEAR(m.max_diff, 1e-3, 1e-4);
  EXPECT_NEAR(m.scaled_max_diff, m.max_diff / 400.0, 1e-9);
  EXPECT_EQ(m.status, "PASS");
}

TEST(Metrics, AbsoluteStatusIsTheGuidesBandsOnTheRawDifference) {
  // Raw difference 1e-3 on logits near 400: PASS scaled, FAIL by the guide's absolute bands.
  auto m = compare_output("y", vec({400, -300}), vec({400.001f, -300}), {});
  EXPECT_EQ(m.status, "PASS");
  EXPECT_EQ(m.absolute_status, "FAIL");
  ValidationResult r;
  r.outputs = {m};
  summarize(r);
  EXPECT_EQ(r.status, "PASS");
  EXPECT_EQ(r.absolute_status, "FAIL");
  // --absolute_bands: the verdict is the absolute one.
  Tolerance absolute;
  absolute.absolute = true;
  auto a = compare_output("y", vec({400, -300}), vec({400.00003f, -300}), absolute);
  EXPECT_EQ(a.status, a.absolute_status);
  EXPECT_EQ(a.status, "WARN");
}

TEST(Metrics, WarnAndFailBands) {
  EXPECT_EQ(compare_output("y", vec({0.5f, 0.2f}), vec({0.50005f, 0.2f}), {}).status, "WARN");
  EXPECT_EQ(compare_output("y", vec({0.5f, 0.2f}), vec({0.6f, 0.2f}), {}).status, "FAIL");
}

TEST(Metrics, MseAndCosine) {
  auto m = compare_output("y", vec({1, 0}), vec({0, 1}), {});
  EXPECT_DOUBLE_EQ(m.mse, 1.0);
  EXPECT_DOUBLE_EQ(m.cosine_similarity, 0.0);
  EXPECT_EQ(m.status, "FAIL");
}

TEST(Metrics, ToleranceReplacesBands) {
  Tolerance t;
  t.atol = 0.2;
  t.rtol = 0.0;
  EXPECT_EQ(compare_output("y", vec({0.5f}), vec({0.6f}), t).status, "PASS");
  t.atol = 0.05;
  EXPECT_EQ(compare_output("y", vec({0.5f}), vec({0.6f}), t).status, "FAIL");
}

TEST(Metrics, NanOnOneSideFails) {
  auto m = compare_output("y", vec({1, 2}), vec({1, NAN}), {});
  EXPECT_EQ(m.status, "FAIL");
}

TEST(Metrics, ShapeMismatchIsAnError) {
  EXPECT_THROW(compare_output("y", vec({1, 2}), vec({1, 2, 3}), {}), Error);
}

TEST(Metrics, SummaryTakesTheWorstOutput) {
  ValidationResult r;
  r.outputs.push_back(compare_output("a", vec({1}), vec({1}), {}));
  r.outputs.push_back(compare_output("b", vec({0.5f, 0.2f}), vec({0.50005f, 0.2f}), {}));
  summarize(r);
  EXPECT_EQ(r.status, "WARN");
  EXPECT_TRUE(r.passed);
}

}  // namespace
}  // namespace mlexport::validate

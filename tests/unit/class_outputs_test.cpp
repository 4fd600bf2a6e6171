// Segmentation class outputs on reference tensors: softmax and argmax over the class axis, and
// class maps compared pixel by pixel with near-tie flips judged by the reference scores.
#include <gtest/gtest.h>

#include <cmath>

#include "mlexport/diagnostics.h"
#include "validate/class_outputs.h"

namespace mlexport::validate {
namespace {

// [1, classes, 1, pixels] scores, given per pixel as {class 0, class 1, ...}.
ir::Tensor scores(const std::vector<std::vector<float>>& per_pixel) {
  const int64_t pixels = static_cast<int64_t>(per_pixel.size());
  const int64_t classes = static_cast<int64_t>(per_pixel.front().size());
  ir::Tensor t(ir::DType::Float32, {1, classes, 1, pixels});
  for (int64_t p = 0; p < pixels; ++p)
    for (int64_t c = 0; c < classes; ++c)
      t.data<float>()[c * pixels + p] = per_pixel[static_cast<size_t>(p)][static_cast<size_t>(c)];
  return t;
}

ir::Tensor labels(const std::vector<int64_t>& values) {
  ir::Tensor t(ir::DType::Int64, {1, 1, static_cast<int64_t>(values.size())});
  for (size_t i = 0; i < values.size(); ++i) t.data<int64_t>()[i] = values[i];
  return t;
}

TEST(ClassOutputs, ArgmaxPicksTheFirstHighestClassPerPixel) {
  const ir::Tensor map = argmax_over_classes(scores({{0, 2, 1}, {5, -1, 5}, {-3, -2, -1}}));
  EXPECT_EQ(map.shape, (std::vector<int64_t>{1, 1, 3}));
  EXPECT_EQ(map.to_int_vector(), (std::vector<int64_t>{1, 0, 2}));
}

TEST(ClassOutputs, SoftmaxSumsToOneOverClasses) {
  const ir::Tensor p = softmax_over_classes(scores({{0, 0}, {1000, 0}, {1, 2}}));
  EXPECT_EQ(p.dtype, ir::DType::Float32);
  EXPECT_NEAR(p.data<float>()[0], 0.5, 1e-7);                           // class 0, pixel 0
  EXPECT_NEAR(p.data<float>()[1], 1.0, 1e-7);                           // large logits stay finite
  EXPECT_NEAR(p.data<float>()[5], 1.0 / (1.0 + std::exp(-1.0)), 1e-6);  // class 1, pixel 2
  for (int pixel = 0; pixel < 3; ++pixel)
    EXPECT_NEAR(p.data<float>()[pixel] + p.data<float>()[3 + pixel], 1.0, 1e-6);
}

TEST(ClassOutputs, EqualMapsPass) {
  const ir::Tensor s = scores({{0, 1}, {1, 0}});
  const ir::Tensor map = argmax_over_classes(s);
  const OutputMetrics m = compare_class_maps("out", s, map, map, {});
  EXPECT_EQ(m.status, "PASS");
  EXPECT_EQ(m.max_diff, 0);
  EXPECT_EQ(m.class_map, "pixels equal 2/2 (100.0000%)");
}

TEST(ClassOutputs, AFlipAtANearTiePassesAndIsCounted) {
  // Pixel 1's two classes differ by 1e-7 in the reference: float rounding may pick either.
  const ir::Tensor s = scores({{0, 1}, {0.5f, 0.5f - 1e-7f}, {3, 0}});
  const OutputMetrics m =
      compare_class_maps("out", s, argmax_over_classes(s), labels({1, 1, 0}), {});
  EXPECT_EQ(m.status, "PASS");
  EXPECT_NEAR(m.max_diff, 1e-7, 5e-8);
  EXPECT_NEAR(m.mse, 1.0 / 3.0, 1e-12);  // the fraction of differing pixels
  EXPECT_NE(m.class_map.find("pixels equal 2/3"), std::string::npos) << m.class_map;
  EXPECT_NE(m.class_map.find("1 flipped"), std::string::npos) << m.class_map;
}

TEST(ClassOutputs, AFlipWhereTheReferenceIsClearFails) {
  const ir::Tensor s = scores({{0, 1}, {2, 0}});
  const OutputMetrics m = compare_class_maps("out", s, argmax_over_classes(s), labels({1, 1}), {});
  EXPECT_EQ(m.status, "FAIL");
  EXPECT_NEAR(m.max_diff, 2.0, 1e-9);
}

TEST(ClassOutputs, AClassOutsideTheScoresFails) {
  const ir::Tensor s = scores({{0, 1}});
  EXPECT_EQ(compare_class_maps("out", s, argmax_over_classes(s), labels({7}), {}).status, "FAIL");
}

TEST(ClassOutputs, ExplicitTolerancesJudgeTheGap) {
  const ir::Tensor s = scores({{0, 1}, {1, 0.99f}});
  Tolerance loose;
  loose.atol = 0.05;
  loose.rtol = 0.0;
  EXPECT_EQ(compare_class_maps("out", s, argmax_over_classes(s), labels({1, 1}), loose).status,
            "PASS");
  loose.atol = 0.001;
  EXPECT_EQ(compare_class_maps("out", s, argmax_over_classes(s), labels({1, 1}), loose).status,
            "FAIL");
}

TEST(ClassOutputs, ShapeMismatchIsAValidationFailure) {
  const ir::Tensor s = scores({{0, 1}, {1, 0}});
  try {
    compare_class_maps("out", s, argmax_over_classes(s), labels({1}), {});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kValidationFailed);
  }
}

}  // namespace
}  // namespace mlexport::validate

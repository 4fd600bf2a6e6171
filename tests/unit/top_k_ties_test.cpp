// A TopK chosen differently by the export: explained by near-equal values at the cut, or not.
#include <gtest/gtest.h>

#include "validate/top_k_ties.h"

namespace mlexport::validate {
namespace {

ir::Tensor floats(std::vector<int64_t> shape, const std::vector<float>& values) {
  ir::Tensor t(ir::DType::Float32, std::move(shape));
  std::copy(values.begin(), values.end(), t.data<float>());
  return t;
}

ir::Tensor indices(std::vector<int64_t> shape, const std::vector<int64_t>& values) {
  ir::Tensor t(ir::DType::Int64, std::move(shape));
  std::copy(values.begin(), values.end(), t.data<int64_t>());
  return t;
}

// x = [0.9, 0.5, 0.50001, 0.1, 0.7]; the model's top 3 (largest): 0, 4, 2.
const std::vector<float> kRanked = {0.9f, 0.5f, 0.50001f, 0.1f, 0.7f};

struct Case {
  const char* name;
  std::vector<int64_t> exported;  // the export's top 3
  bool largest;
  double delta;
  bool explained;
  int64_t differing;
};

class TopKTies : public ::testing::TestWithParam<Case> {};

TEST_P(TopKTies, ExplainedOnlyByNearEqualValues) {
  const Case& c = GetParam();
  const std::vector<int64_t> model =
      c.largest ? std::vector<int64_t>{0, 4, 2} : std::vector<int64_t>{3, 1, 2};
  const TopKChoice choice = top_k_choice_within(floats({5}, kRanked), indices({3}, model),
                                                indices({3}, c.exported), 0, c.largest, c.delta);
  EXPECT_EQ(choice.explained, c.explained) << choice.reason;
  EXPECT_EQ(choice.differing, c.differing);
  EXPECT_EQ(choice.reason.empty(), c.explained);
}

INSTANTIATE_TEST_SUITE_P(
    Rows, TopKTies,
    ::testing::Values(
        Case{"same_choice", {0, 4, 2}, true, 0.0, true, 0},
        // 0.5 kept instead of 0.50001: the inputs differ by 1e-5, so either may rank first.
        Case{"other_element_at_the_cut", {0, 4, 1}, true, 1e-5, true, 1},
        Case{"other_element_past_the_inputs_difference", {0, 4, 1}, true, 1e-6, false, 1},
        Case{"element_far_below_the_cut", {0, 4, 3}, true, 1e-5, false, 1},
        Case{"order_swapped_far_apart", {4, 0, 2}, true, 1e-5, false, 2},
        // Smallest first: 0.1, 0.5, 0.50001; 0.50001 and 0.5 may trade places.
        Case{"smallest_order_swapped_near_equal", {3, 2, 1}, false, 1e-5, true, 2},
        Case{"smallest_chose_largest", {0, 4, 2}, false, 1e-5, false, 2},
        Case{"repeated_index", {0, 0, 2}, true, 1.0, false, 1},
        Case{"index_out_of_range", {0, 4, 5}, true, 1.0, false, 1}),
    [](const auto& info) { return std::string(info.param.name); });

// Along axis 1 of [2, 4, 2]: each (row, column) pair is ranked on its own.
TEST(TopKTies, EachRowAlongTheAxisOnItsOwn) {
  const ir::Tensor x = floats({2, 4, 2}, {
                                             1, 8,  //
                                             2, 7,  //
                                             3, 6,  //
                                             4, 5,  //
                                             5, 1,  //
                                             6, 2,  //
                                             7, 3,  //
                                             8, 4,  //
                                         });
  const ir::Tensor model = indices({2, 2, 2}, {3, 0, 2, 1, 3, 3, 2, 2});
  EXPECT_TRUE(top_k_choice_within(x, model, model, 1, true, 0).explained);
  // Column 1 of the first row keeps 7 then 6 instead of 8 then 7.
  const ir::Tensor wrong = indices({2, 2, 2}, {3, 1, 2, 2, 3, 3, 2, 2});
  const TopKChoice c = top_k_choice_within(x, model, wrong, 1, true, 0.5);
  EXPECT_FALSE(c.explained);
  EXPECT_EQ(c.differing, 2);
  EXPECT_DOUBLE_EQ(c.gap, 2.0);
}

TEST(TopKTies, GatherAlongTakesTheChosenValues) {
  const ir::Tensor x = floats({2, 3}, {1, 2, 3, 4, 5, 6});
  const ir::Tensor got = gather_along(x, indices({2, 2}, {2, 0, 1, 1}), 1);
  ASSERT_EQ(got.shape, (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(got.to_double_vector(), (std::vector<double>{3, 1, 5, 5}));
  EXPECT_THROW(gather_along(x, indices({2, 1}, {3, 0}), 1), std::out_of_range);
}

// NMS kept [0, 4, 2] of scores [0.9, 0.5, 0.50001, 0.1, 0.7] (suppressed: 1, 3).
struct OrderCase {
  const char* name;
  std::vector<int64_t> exported;
  double delta;
  bool explained;
};

class NmsOrder : public ::testing::TestWithParam<OrderCase> {};

TEST_P(NmsOrder, SameElementsInAnOrderNearEqualScoresAllow) {
  const OrderCase& c = GetParam();
  const std::vector<float> scores = {0.9f, 0.5f, 0.50001f, 0.1f, 0.7f};
  const auto kept = static_cast<int64_t>(c.exported.size());
  const TopKChoice choice = same_elements_in_order_within(
      floats({5}, scores), indices({3}, {0, 4, 2}), indices({kept}, c.exported), c.delta);
  EXPECT_EQ(choice.explained, c.explained) << choice.reason;
  EXPECT_EQ(choice.reason.empty(), c.explained);
}

INSTANTIATE_TEST_SUITE_P(
    Rows, NmsOrder,
    ::testing::Values(OrderCase{"same", {0, 4, 2}, 0.0, true},
                      OrderCase{"far_apart_swapped", {4, 0, 2}, 1e-5, false},
                      OrderCase{"suppressed_one_kept_instead", {0, 4, 1}, 1.0, false},
                      OrderCase{"one_fewer", {0, 4}, 1.0, false}),
    [](const auto& info) { return std::string(info.param.name); });

// Near-equal scores in either order: 0.50001 and 0.5 both kept, swapped.
TEST(NmsOrder, NearEqualScoresSwapped) {
  const ir::Tensor scores = floats({4}, {0.9f, 0.5f, 0.50001f, 0.1f});
  const ir::Tensor model = indices({3}, {0, 2, 1});
  EXPECT_TRUE(
      same_elements_in_order_within(scores, model, indices({3}, {0, 1, 2}), 1e-5).explained);
  EXPECT_FALSE(
      same_elements_in_order_within(scores, model, indices({3}, {0, 1, 2}), 1e-6).explained);
}

}  // namespace
}  // namespace mlexport::validate

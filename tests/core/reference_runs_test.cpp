// ReferenceRuns: the reference runs once per input, and what it hands out is the caller's own.
#include <gtest/gtest.h>

#include "core/reference_runs.h"

namespace mlexport::core {
namespace {

// Doubles its one float input, counting its runs.
class CountingReference : public runtime::Reference {
 public:
  int runs = 0;
  std::vector<ir::Tensor> run(const std::vector<ir::Tensor>& inputs) override {
    ++runs;
    ir::Tensor out(ir::DType::Float32, inputs[0].shape);
    for (int64_t i = 0; i < out.numel(); ++i) out.data<float>()[i] = 2 * inputs[0].data<float>()[i];
    return {out};
  }
};

ir::Tensor filled(std::vector<int64_t> shape, float value) {
  ir::Tensor t(ir::DType::Float32, std::move(shape));
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = value;
  return t;
}

TEST(ReferenceRuns, RunsEachInputOnce) {
  CountingReference reference;
  ReferenceRuns runs;
  const std::vector<ir::Tensor> a = {filled({2, 3}, 1)};
  EXPECT_EQ(runs.run(reference, a)[0].data<float>()[0], 2);
  // Equal values in another tensor are the same input.
  EXPECT_EQ(runs.run(reference, {filled({2, 3}, 1)})[0].data<float>()[5], 2);
  EXPECT_EQ(reference.runs, 1);
  // Another value, another shape or another dtype is another input.
  runs.run(reference, {filled({2, 3}, 4)});
  runs.run(reference, {filled({3, 2}, 1)});
  EXPECT_EQ(reference.runs, 3);
  runs.run(reference, {filled({2, 3}, 1).cast(ir::DType::Float64)});
  EXPECT_EQ(reference.runs, 4);
}

TEST(ReferenceRuns, HandsOutCopies) {
  CountingReference reference;
  ReferenceRuns runs;
  std::vector<ir::Tensor> input = {filled({4}, 1)};
  runs.run(reference, input)[0].data<float>()[0] = 100;  // the caller's copy
  EXPECT_EQ(runs.run(reference, input)[0].data<float>()[0], 2);
  input[0].data<float>()[0] = 7;  // the caller's input changes: a new input
  EXPECT_EQ(runs.run(reference, input)[0].data<float>()[0], 14);
  EXPECT_EQ(reference.runs, 2);
}

TEST(ReferenceRuns, KeepsTheLatestFew) {
  CountingReference reference;
  ReferenceRuns runs;
  for (int k = 0; k < 10; ++k) runs.run(reference, {filled({1}, static_cast<float>(k))});
  EXPECT_EQ(reference.runs, 10);
  runs.run(reference, {filled({1}, 9)});  // recent
  EXPECT_EQ(reference.runs, 10);
  runs.run(reference, {filled({1}, 0)});  // long gone
  EXPECT_EQ(reference.runs, 11);
}

}  // namespace
}  // namespace mlexport::core

// The registry's shapes for the IR ops of real exported files, held against ONNX's own inference
// (libonnx with data propagation) on the same files: wherever libonnx knows a dim, the registry
// knows the same, so taking the registry's shapes at import loses nothing.
#include <gtest/gtest.h>

#include "frontend/onnx/model_file.h"
#include "frontend/onnx/onnx_import.h"
#include "frontend/onnx/shape_inference.h"
#include "ir/ops/op_def.h"
#include "support.h"

namespace mlexport::frontend::onnx {
namespace {

class RegistryShapes : public ::testing::TestWithParam<std::string> {};

TEST_P(RegistryShapes, KnowWhatOnnxInferenceKnows) {
  const std::string path = testing::fixture(GetParam() + ".onnx");
  ASSERT_FALSE(path.empty()) << "fixture " << GetParam() << " was not generated";
  ModelFile file = load_model_file(path);
  const TypeMap libonnx = infer_types(file.proto);
  auto graph = import_onnx(path, ImportOptions{}).graph;
  int compared = 0, named = 0;
  for (const auto& n : graph->nodes()) {
    if (!ir::ops::find(n->op)) continue;
    for (const ir::Value* out : n->outputs) {
      auto it = libonnx.find(out->name);
      if (it == libonnx.end() || !it->second.shape) continue;
      const ir::Shape& theirs = *it->second.shape;
      ASSERT_TRUE(out->shape) << out->name << " (" << n->op << "): libonnx knows "
                              << ir::shape_to_string(theirs) << ", the registry not even the rank";
      const ir::Shape& ours = *out->shape;
      ASSERT_EQ(ours.size(), theirs.size())
          << out->name << " (" << n->op << "): " << ir::shape_to_string(ours) << " against "
          << ir::shape_to_string(theirs);
      for (size_t d = 0; d < ours.size(); ++d) {
        // libonnx names a dim it cannot relate to any other "unk__N": that is unknown.
        if (theirs[d].symbol.rfind("unk__", 0) == 0) continue;
        if (theirs[d].is_fixed() || !theirs[d].symbol.empty())
          EXPECT_EQ(ours[d], theirs[d])
              << out->name << " (" << n->op << ") dim " << d << ": " << ir::shape_to_string(ours)
              << " against " << ir::shape_to_string(theirs);
        named += !theirs[d].symbol.empty();
      }
      ++compared;
    }
  }
  EXPECT_GT(compared, 0);
  RecordProperty("values_compared", compared);
  RecordProperty("named_dims", named);
}

// torch.onnx.export's files (batch and sequence named where exported so) and older forms.
INSTANTIATE_TEST_SUITE_P(Exported, RegistryShapes,
                         ::testing::Values("resnet18_op11", "resnet18_op13", "resnet18_op17",
                                           "mobilenet_v3_small_op13", "mobilenet_v3_small_op17",
                                           "transformer_op11", "transformer_op13",
                                           "transformer_op17", "old_cnn_7", "slice_10",
                                           "resize_sizes_13", "symbolic_13"));

}  // namespace
}  // namespace mlexport::frontend::onnx

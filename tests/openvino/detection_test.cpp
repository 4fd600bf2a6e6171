// Scatter, NonZero, GridSample, RoI, NMS and bit-shift translators through OpenVINO IR and back,
// against the same IR emitted straight to ONNX; and the read-back's refusals of OpenVINO variants
// that have no exact ONNX form.
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>

#include "frontend/openvino_ir/openvino_reader.h"
#include "graph_builders.h"
#include "mlexport/diagnostics.h"

namespace mlexport::testing {
namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
}

// Replaces the one occurrence of `from` in `text` (a test fails when it is not there).
std::string replaced(std::string text, const std::string& from, const std::string& to) {
  size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << "'" << from << "' is not in the XML";
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

// Emits `g`, edits its .xml with `edit` and reads it back: the exit code of the read's error, or
// kOk when it reads.
ExitCode read_back_edited(const Graph& g, const std::function<std::string(std::string)>& edit) {
  TempDir dir;
  emit::emit_openvino(g, dir.file("m.xml"), {});
  write_text(dir.file("m.xml"), edit(read_text(dir.file("m.xml"))));
  try {
    frontend::openvino_ir::read_openvino_ir(dir.file("m.xml"));
  } catch (const Error& e) {
    return e.code();
  }
  return ExitCode::kOk;
}

Tensor int64s(const std::vector<int64_t>& shape, const std::vector<int64_t>& values) {
  Tensor t = Tensor::vector_int64(values);
  t.shape = shape;
  return t;
}

Tensor float32s(const std::vector<int64_t>& shape, const std::vector<float>& values) {
  Tensor t(DType::Float32, shape);
  for (int64_t k = 0; k < t.numel(); ++k) t.data<float>()[k] = values[static_cast<size_t>(k)];
  return t;
}

Tensor uint8s(const std::vector<int64_t>& shape, const std::vector<uint8_t>& values) {
  Tensor t(DType::UInt8, shape);
  for (int64_t k = 0; k < t.numel(); ++k)
    t.data<uint8_t>()[k] = values[static_cast<size_t>(k) % values.size()];
  return t;
}

TEST(OpenVinoScatter, ScatterElementsAndReductions) {
  REQUIRE_ORT();
  for (const char* reduction : {"none", "add", "mul"}) {
    SCOPED_TRACE(reduction);
    Graph g;
    Value* x = input(g, {3, 5});
    Value* u = input(g, {3, 4}, DType::Float32, "u");
    // Duplicate indices along axis 1: the reductions must combine them.
    Value* idx = g.add_constant(int64s({3, 4}, {0, 2, 2, 4, 1, 1, 3, 0, 4, 3, 2, 4}), "idx");
    std::map<std::string, Attribute> attrs = {{"axis", int64_t{1}}};
    if (std::string(reduction) != "none") attrs["reduction"] = std::string(reduction);
    // Without a reduction duplicates are undefined: overwrite distinct positions only.
    if (std::string(reduction) == "none")
      idx = g.add_constant(int64s({3, 4}, {0, 2, 3, 4, 1, 0, 3, 2, 4, 3, 2, 1}), "idx");
    g.mark_output(op_(g, "ScatterElements", {x, idx, u}, attrs));
    RoundTrip rt = expect_same(g);
    EXPECT_EQ(count_layers(rt.xml, "ScatterElementsUpdate",
                           std::string(reduction) == "none" ? "opset3" : "opset12"),
              1);
  }
}

TEST(OpenVinoScatter, ScatterNdAccumulates) {
  REQUIRE_ORT();
  Graph g;
  Value* x = input(g, {5, 3});
  Value* u = input(g, {4, 3}, DType::Float32, "u");
  Value* idx = g.add_constant(int64s({4, 1}, {1, 4, 1, 2}), "idx");
  g.mark_output(op_(g, "ScatterND", {x, idx, u}, {{"reduction", std::string("add")}}));
  RoundTrip rt = expect_same(g);
  EXPECT_EQ(count_layers(rt.xml, "ScatterNDUpdate", "opset15"), 1);
  EXPECT_NE(rt.xml.find("reduction=\"sum\""), std::string::npos);
}

TEST(OpenVinoScatter, MaxReductionIsRefused) {
  Graph g;
  Value* x = input(g, {3, 5});
  Value* idx = g.add_constant(int64s({3, 1}, {0, 1, 2}), "idx");
  g.mark_output(op_(g, "ScatterElements", {x, idx, input(g, {3, 1}, DType::Float32, "u")},
                    {{"axis", int64_t{1}}, {"reduction", std::string("max")}}));
  TempDir dir;
  try {
    emit::emit_openvino(g, dir.file("m.xml"), {});
    ADD_FAILURE() << "reduction=max was written";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kUnsupportedOps) << e.what();
  }
  EXPECT_EQ(dir.entries(), 0u);
}

TEST(OpenVinoScatter, NonZeroCountsAtRunTime) {
  REQUIRE_ORT();
  Graph g;
  Value* x = input(g, {2, 3, 4});
  Value* mask = op_(g, "Greater", {x, scalar(g, 0.3)}, {}, DType::Bool);
  Value* nz = op_(g, "NonZero", {mask}, {}, DType::Int64);
  g.mark_output(nz);
  RoundTrip rt = expect_same(g, 0.0);
  EXPECT_EQ(count_layers(rt.xml, "NonZero", "opset3"), 1);
}

TEST(OpenVinoSampling, GridSampleModes) {
  REQUIRE_ORT();
  for (const char* mode : {"bilinear", "nearest", "bicubic"})
    for (const char* padding : {"zeros", "border", "reflection"})
      for (int64_t align : {0, 1}) {
        SCOPED_TRACE(std::string(mode) + " " + padding + " " + std::to_string(align));
        Graph g;
        Value* x = input(g, {2, 3, 5, 6});
        Value* grid = op_(g, "Tanh", {input(g, {2, 4, 7, 2}, DType::Float32, "grid")});
        grid = op_(g, "Mul", {grid, scalar(g, 1.3)});  // reaches past the border
        g.mark_output(op_(g, "GridSample", {x, grid},
                          {{"mode", std::string(mode)},
                           {"padding_mode", std::string(padding)},
                           {"align_corners", align}}));
        RoundTrip rt = expect_same(g);
        EXPECT_EQ(count_layers(rt.xml, "GridSample", "opset9"), 1);
      }
}

std::unique_ptr<Graph> roi_align_graph(const std::string& ctm) {
  auto owned = std::make_unique<Graph>();
  Graph& g = *owned;
  Value* x = input(g, {2, 3, 8, 8});
  Value* rois = g.add_constant(
      float32s({3, 4}, {0.5f, 1.f, 6.f, 7.f, 2.f, 2.f, 2.3f, 2.2f, -1.f, 3.f, 9.f, 5.f}), "rois");
  Value* batch = ints(g, {1, 0, 1}, "batch");
  g.mark_output(op_(g, "RoiAlign", {x, rois, batch},
                    {{"mode", std::string("avg")},
                     {"output_height", int64_t{2}},
                     {"output_width", int64_t{3}},
                     {"sampling_ratio", int64_t{0}},
                     {"spatial_scale", 0.5},
                     {"coordinate_transformation_mode", ctm}}));
  return owned;
}

TEST(OpenVinoDetection, RoiAlignBothCoordinateModes) {
  REQUIRE_ORT();
  for (const char* ctm : {"half_pixel", "output_half_pixel"}) {
    SCOPED_TRACE(ctm);
    RoundTrip rt = expect_same(*roi_align_graph(ctm));
    EXPECT_EQ(count_layers(rt.xml, "ROIAlign", "opset9"), 1);
    EXPECT_NE(
        rt.xml.find(std::string("aligned_mode=\"") +
                    (std::string(ctm) == "half_pixel" ? "half_pixel_for_nn" : "asymmetric") + "\""),
        std::string::npos);
  }
}

TEST(OpenVinoDetection, ReadBackRefusesOpenVinoHalfPixel) {
  // ROIAlign-9's half_pixel is ((x + 0.5) * scale) - 0.5: no ONNX RoiAlign computes that.
  auto g = roi_align_graph("half_pixel");
  EXPECT_EQ(read_back_edited(*g,
                             [](std::string xml) {
                               return replaced(xml, "aligned_mode=\"half_pixel_for_nn\"",
                                               "aligned_mode=\"half_pixel\"");
                             }),
            ExitCode::kUnsupportedOps);
  EXPECT_EQ(read_back_edited(*g, [](std::string xml) { return xml; }), ExitCode::kOk);
}

TEST(OpenVinoDetection, MaxRoiPool) {
  REQUIRE_ORT();
  Graph g;
  Value* x = input(g, {2, 3, 8, 8});
  Value* rois = g.add_constant(float32s({3, 5}, {0.f, 0.5f, 1.f, 6.f, 7.f, 1.f, 2.f, 2.f, 2.3f,
                                                 2.2f, 1.f, -1.f, 3.f, 9.f, 5.f}),
                               "rois");
  g.mark_output(op_(g, "MaxRoiPool", {x, rois},
                    {{"pooled_shape", std::vector<int64_t>{3, 2}}, {"spatial_scale", 0.5}}));
  RoundTrip rt = expect_same(g);
  EXPECT_EQ(count_layers(rt.xml, "ROIPooling", "opset2"), 1);
}

// NMS over boxes [1, 6, 4] and scores [1, classes, 6].
std::unique_ptr<Graph> nms_graph(int64_t classes) {
  auto owned = std::make_unique<Graph>();
  Graph& g = *owned;
  Value* boxes = input(g, {1, 6, 4}, DType::Float32, "boxes");
  Value* scores = op_(g, "Sigmoid", {input(g, {1, classes, 6}, DType::Float32, "scores")});
  // Corners from the random input: (y, x) and (y, x) + 1 + |d| so every box is proper and
  // boxes overlap often.
  Value* lo = op_(g, "Slice", {boxes, ints(g, {0}), ints(g, {2}), ints(g, {2})});
  Value* size =
      op_(g, "Add",
          {op_(g, "Abs", {op_(g, "Slice", {boxes, ints(g, {2}), ints(g, {4}), ints(g, {2})})}),
           scalar(g, 1.0)});
  Value* corners = op_(g, "Concat", {lo, op_(g, "Add", {lo, size})}, {{"axis", int64_t{2}}});
  Value* max_out = ints(g, {6}, "max_out");
  Tensor iou(DType::Float32, {1});
  iou.data<float>()[0] = 0.3f;
  ir::Node* n =
      g.add_node("NonMaxSuppression", {corners, scores, max_out, g.add_constant(iou, "iou")}, 1,
                 {{"center_point_box", int64_t{0}}});
  n->outputs[0]->dtype = DType::Int64;
  g.mark_output(n->outputs[0]);
  return owned;
}

TEST(OpenVinoDetection, NonMaxSuppressionCutToValidOutputs) {
  REQUIRE_ORT();
  for (int64_t classes : {1, 2}) {
    SCOPED_TRACE(classes);
    auto owned = nms_graph(classes);
    const Graph& g = *owned;
    for (unsigned seed : {1u, 2u, 3u}) {
      RoundTrip rt = round_trip(g, random_inputs(g, seed));
      EXPECT_EQ(rt.max_abs_diff, 0.0);
      ASSERT_EQ(rt.through_openvino.size(), 1u);
      EXPECT_EQ(rt.through_openvino[0].shape, rt.direct[0].shape);
      EXPECT_EQ(count_layers(rt.xml, "NonMaxSuppression", "opset9"), 1);
      EXPECT_NE(rt.xml.find("sort_result_descending=\"false\""), std::string::npos);
    }
  }
}

TEST(OpenVinoDetection, ReadBackRefusesScoreSortAcrossClasses) {
  // sort_result_descending=true orders rows by score across classes; ONNX orders by class.
  auto to_true = [](std::string xml) {
    return replaced(xml, "sort_result_descending=\"false\"", "sort_result_descending=\"true\"");
  };
  EXPECT_EQ(read_back_edited(*nms_graph(2), to_true), ExitCode::kUnsupportedOps);
  EXPECT_EQ(read_back_edited(*nms_graph(1), to_true), ExitCode::kOk);
}

TEST(OpenVinoBitwise, Uint8Shifts) {
  REQUIRE_ORT();
  for (const char* direction : {"LEFT", "RIGHT"}) {
    SCOPED_TRACE(direction);
    Graph g;
    Value* a = input(g, {2, 5}, DType::UInt8, "a");
    Value* s = input(g, {5}, DType::UInt8, "s");
    g.mark_output(
        op_(g, "BitShift", {a, s}, {{"direction", std::string(direction)}}, DType::UInt8));
    std::vector<Tensor> inputs = {uint8s({2, 5}, {1, 7, 200, 255, 0, 3, 129, 64, 16, 9}),
                                  uint8s({5}, {0, 1, 3, 7, 2})};
    RoundTrip rt = round_trip(g, inputs);
    EXPECT_EQ(rt.max_abs_diff, 0.0);
    EXPECT_EQ(
        count_layers(rt.xml,
                     std::string(direction) == "LEFT" ? "BitwiseLeftShift" : "BitwiseRightShift",
                     "opset15"),
        1);
  }
}

TEST(OpenVinoBitwise, IntegerAndIsRefusedWithTheReason) {
  Graph g;
  Value* a = input(g, {2, 5}, DType::Int64, "a");
  Value* b = input(g, {2, 5}, DType::Int64, "b");
  g.mark_output(op_(g, "BitwiseAnd", {a, b}, {}, DType::Int64));
  TempDir dir;
  try {
    emit::emit_openvino(g, dir.file("m.xml"), {});
    ADD_FAILURE() << "BitwiseAnd was written";
  } catch (const UnsupportedOpsError& e) {
    ASSERT_EQ(e.ops().size(), 1u);
    EXPECT_NE(e.ops()[0].kind.find("opset 18"), std::string::npos) << e.ops()[0].kind;
  }
  EXPECT_EQ(dir.entries(), 0u);
}

}  // namespace
}  // namespace mlexport::testing

// Resize -> Interpolate-11 and back: each mode and coordinate rule, sizes and scales given as
// attributes, constants or computed at run time, compared with the same graph run directly.
#include "graph_builders.h"
#include "mlexport/diagnostics.h"

namespace mlexport::testing {
namespace {

using D = std::vector<double>;
using V = std::vector<int64_t>;

Value* resize(Graph& g, std::vector<Value*> inputs, std::map<std::string, Attribute> attrs,
              ir::Shape out) {
  Value* y = op_(g, "Resize", std::move(inputs), std::move(attrs));
  y->shape = std::move(out);
  return y;
}

TEST(OpenVinoResize, ModesAndCoordinateRules) {
  REQUIRE_ORT();
  struct Case {
    const char* mode;
    const char* coordinates;
    std::map<std::string, Attribute> extra;
  };
  const std::vector<Case> cases = {
      {"linear", "half_pixel", {}},
      {"linear", "align_corners", {}},
      {"linear", "pytorch_half_pixel", {}},
      {"cubic", "half_pixel", {{"cubic_coeff_a", -0.75}}},
      {"cubic", "align_corners", {{"cubic_coeff_a", -0.5}}},
      {"nearest", "asymmetric", {{"nearest_mode", std::string("floor")}}},
      {"nearest", "half_pixel", {{"nearest_mode", std::string("round_prefer_ceil")}}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.mode) + " " + c.coordinates);
    Graph g;
    Value* x = input(g, {2, 3, 5, 7});
    std::map<std::string, Attribute> attrs = c.extra;
    attrs["mode"] = std::string(c.mode);
    attrs["coordinate_transformation_mode"] = std::string(c.coordinates);
    attrs["sizes"] = V{2, 3, 9, 4};
    g.mark_output(resize(g, {x}, attrs, ir::fixed_shape({2, 3, 9, 4})));
    RoundTrip rt = expect_same(g, 1e-5);
    EXPECT_EQ(count_layers(rt.xml, "Interpolate", "opset11"), 1);
  }
}

TEST(OpenVinoResize, ScalesAsAttributeAndAsConstantInput) {
  REQUIRE_ORT();
  Graph g;
  Value* x = input(g, {1, 2, 4, 6});
  g.mark_output(resize(g, {x},
                       {{"mode", std::string("linear")},
                        {"coordinate_transformation_mode", std::string("half_pixel")},
                        {"scales", D{1, 1, 2, 0.5}}},
                       ir::fixed_shape({1, 2, 8, 3})));
  Tensor scales(DType::Float32, {4});
  for (int k = 0; k < 4; ++k) scales.data<float>()[k] = k < 2 ? 1.0f : 3.0f;
  Value* s = g.add_constant(scales, "scales");
  g.mark_output(resize(g, {x, nullptr, s},
                       {{"mode", std::string("nearest")},
                        {"coordinate_transformation_mode", std::string("asymmetric")},
                        {"nearest_mode", std::string("floor")}},
                       ir::fixed_shape({1, 2, 12, 18})));
  RoundTrip rt = expect_same(g, 1e-5);
  EXPECT_NE(rt.xml.find("shape_calculation_mode=\"scales\""), std::string::npos);
}

TEST(OpenVinoResize, SizesComputedAtRunTimeWithADynamicBatch) {
  REQUIRE_ORT();
  // Concat(Shape(x)[0:2], [10, 12]): what a traced interpolate(size=...) becomes.
  Graph g;
  ir::Shape s = {ir::Dim::named("batch"), ir::Dim::fixed(3), ir::Dim::fixed(5), ir::Dim::fixed(6)};
  Value* x = g.add_input("x", DType::Float32, s);
  Value* shape = op_(g, "Shape", {x}, {}, DType::Int64);
  shape->shape = ir::fixed_shape({4});
  Value* lead =
      op_(g, "Slice", {shape, ints(g, {0}), ints(g, {2}), ints(g, {0})}, {}, DType::Int64);
  lead->shape = ir::fixed_shape({2});
  Value* sizes = op_(g, "Concat", {lead, ints(g, {10, 12})}, {{"axis", int64_t{0}}}, DType::Int64);
  sizes->shape = ir::fixed_shape({4});
  g.mark_output(
      resize(g, {x, nullptr, nullptr, sizes},
             {{"mode", std::string("linear")},
              {"coordinate_transformation_mode", std::string("half_pixel")}},
             {ir::Dim::named("batch"), ir::Dim::fixed(3), ir::Dim::fixed(10), ir::Dim::fixed(12)}));
  for (int64_t batch : {1, 3}) {
    RoundTrip rt = round_trip(g, {random_tensor(DType::Float32, {batch, 3, 5, 6}, 7)});
    EXPECT_LE(rt.max_abs_diff, 1e-5) << "batch " << batch;
    EXPECT_EQ(rt.direct.at(0).shape, (V{batch, 3, 10, 12}));
  }
}

TEST(OpenVinoResize, RefusesWhatInterpolateCannotSay) {
  Graph g;
  Value* x = input(g, {1, 2, 4, 4});
  g.mark_output(resize(g, {x},
                       {{"mode", std::string("linear")},
                        {"coordinate_transformation_mode", std::string("tf_crop_and_resize")},
                        {"sizes", V{1, 2, 8, 8}}},
                       ir::fixed_shape({1, 2, 8, 8})));
  Graph h;
  Value* y = input(h, {1, 2, 4, 4});
  h.mark_output(resize(h, {y}, {{"mode", std::string("nearest")}, {"sizes", V{2, 2, 8, 8}}},
                       ir::fixed_shape({2, 2, 8, 8})));
  for (const Graph* graph : {&g, &h}) {
    try {
      emit::emit_openvino(*graph, ::testing::TempDir() + "/refused.xml", {});
      ADD_FAILURE() << "no error";
    } catch (const mlexport::Error& e) {
      EXPECT_EQ(e.code(), mlexport::ExitCode::kUnsupportedOps) << e.what();
    }
  }
}

}  // namespace
}  // namespace mlexport::testing

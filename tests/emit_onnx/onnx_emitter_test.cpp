// The ONNX emitter: small IR graphs built by hand, emitted at several opsets, read back with
// ONNX's protobuf classes and checked for structure, bytes and failure behaviour.
#include <gtest/gtest.h>

#include <onnx/onnx_pb.h>
#include <stdlib.h>
#include "common/temp_dir.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include "emit/onnx/onnx_emitter.h"
#include "ir/graph.h"
#include "mlexport/diagnostics.h"

namespace fs = std::filesystem;
using mlexport::Error;
using mlexport::ExitCode;
using mlexport::emit::emit_onnx;
using mlexport::emit::onnx_bytes;
using mlexport::emit::OnnxOptions;
using mlexport::ir::Dim;
using mlexport::ir::DType;
using mlexport::ir::fixed_shape;
using mlexport::ir::Graph;
using mlexport::ir::Node;
using mlexport::ir::Tensor;
using mlexport::ir::Value;

namespace {

using TempDir = mlexport::test_support::TempDir;

onnx::ModelProto load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  onnx::ModelProto model;
  EXPECT_TRUE(in && model.ParseFromIstream(&in)) << path;
  return model;
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

const onnx::NodeProto* find_node(const onnx::ModelProto& m, const std::string& op, int nth = 0) {
  for (const auto& n : m.graph().node())
    if (n.op_type() == op && nth-- == 0) return &n;
  return nullptr;
}

const onnx::AttributeProto* find_attr(const onnx::NodeProto& n, const std::string& name) {
  for (const auto& a : n.attribute())
    if (a.name() == name) return &a;
  return nullptr;
}

const onnx::TensorProto* find_init(const onnx::ModelProto& m, const std::string& name) {
  for (const auto& t : m.graph().initializer())
    if (t.name() == name) return &t;
  return nullptr;
}

std::vector<int64_t> int64_values(const onnx::TensorProto& t) {
  std::vector<int64_t> out(t.raw_data().size() / sizeof(int64_t));
  std::memcpy(out.data(), t.raw_data().data(), t.raw_data().size());
  return out;
}

std::vector<float> float_values(const onnx::TensorProto& t) {
  std::vector<float> out(t.raw_data().size() / sizeof(float));
  std::memcpy(out.data(), t.raw_data().data(), t.raw_data().size());
  return out;
}

std::string bytes_of(const Tensor& t) {
  return std::string(reinterpret_cast<const char*>(t.raw()), t.nbytes());
}

Tensor ramp(std::vector<int64_t> shape, float scale = 0.01f) {
  Tensor t(DType::Float32, std::move(shape));
  for (int64_t i = 0; i < t.numel(); ++i)
    t.data<float>()[i] = scale * static_cast<float>(i % 97 - 40);
  return t;
}

Value* set_out(Node* n, DType dtype, mlexport::ir::Shape shape, size_t k = 0) {
  n->outputs[k]->dtype = dtype;
  n->outputs[k]->shape = std::move(shape);
  return n->outputs[k];
}

// input[batch_size,3,8,8] -> Conv(4x3x3x3, pad 1) -> Relu -> output[batch_size,4,8,8]
struct ConvRelu {
  Graph g;
  Value* weight;
  Value* bias;
  Node* conv;
  explicit ConvRelu(int64_t out_channels = 4) {
    Value* x = g.add_input("input", DType::Float32,
                           {Dim::named("batch_size"), Dim::fixed(3), Dim::fixed(8), Dim::fixed(8)});
    weight = g.add_constant(ramp({out_channels, 3, 3, 3}), "conv.weight");
    bias = g.add_constant(ramp({out_channels}, 0.5f), "conv.bias");
    conv = g.add_node("Conv", {x, weight, bias}, 1,
                      {{"kernel_shape", std::vector<int64_t>{3, 3}},
                       {"pads", std::vector<int64_t>{1, 1, 1, 1}},
                       {"strides", std::vector<int64_t>{1, 1}}});
    conv->source = "features.0 (model.py:12)";
    mlexport::ir::Shape out = {Dim::named("batch_size"), Dim::fixed(out_channels), Dim::fixed(8),
                               Dim::fixed(8)};
    set_out(conv, DType::Float32, out);
    Node* relu = g.add_node("Relu", {conv->outputs[0]});
    g.mark_output(set_out(relu, DType::Float32, out));
    g.outputs().back()->name = "output";
    g.metadata["mlexport.source"] = "unit test";
  }
};

OnnxOptions at(int opset) {
  OnnxOptions o;
  o.opset_version = opset;
  return o;
}

ExitCode code_of(const std::function<void()>& f, std::string* message = nullptr) {
  try {
    f();
  } catch (const Error& e) {
    if (message) *message = e.what();
    return e.code();
  }
  return ExitCode::kOk;
}

}  // namespace

TEST(OnnxEmitter, IrVersionFollowsOpset) {
  EXPECT_EQ(mlexport::emit::onnx_ir_version_for_opset(11), 6);
  EXPECT_EQ(mlexport::emit::onnx_ir_version_for_opset(12), 7);
  EXPECT_EQ(mlexport::emit::onnx_ir_version_for_opset(13), 7);
  EXPECT_EQ(mlexport::emit::onnx_ir_version_for_opset(14), 7);
  EXPECT_EQ(mlexport::emit::onnx_ir_version_for_opset(15), 8);
  EXPECT_EQ(mlexport::emit::onnx_ir_version_for_opset(17), 8);
}

TEST(OnnxEmitter, ConvReluStructureAtSeveralOpsets) {
  for (int opset : {11, 13, 14, 17}) {
    SCOPED_TRACE("opset " + std::to_string(opset));
    ConvRelu m;
    TempDir dir;
    std::string path = dir.file("conv.onnx");
    auto result = emit_onnx(m.g, path, at(opset));
    EXPECT_EQ(result.node_count, 2);
    EXPECT_TRUE(result.external_data_path.empty());
    EXPECT_EQ(result.bytes, fs::file_size(path));
    EXPECT_EQ(dir.entries(), 1u);  // no temp file left over

    onnx::ModelProto model = load(path);
    EXPECT_EQ(model.ir_version(), mlexport::emit::onnx_ir_version_for_opset(opset));
    ASSERT_EQ(model.opset_import_size(), 1);
    EXPECT_EQ(model.opset_import(0).domain(), "");
    EXPECT_EQ(model.opset_import(0).version(), opset);
    EXPECT_EQ(model.producer_name(), "mlexport");
    ASSERT_EQ(model.metadata_props_size(), 1);
    EXPECT_EQ(model.metadata_props(0).key(), "mlexport.source");
    EXPECT_EQ(model.metadata_props(0).value(), "unit test");

    const auto& g = model.graph();
    ASSERT_EQ(g.node_size(), 2);
    EXPECT_EQ(g.node(0).op_type(), "Conv");
    EXPECT_EQ(g.node(0).name(), m.conv->name);
    EXPECT_EQ(g.node(0).doc_string(), "features.0 (model.py:12)");
    EXPECT_EQ(g.node(1).op_type(), "Relu");
    ASSERT_EQ(g.node(0).input_size(), 3);
    EXPECT_EQ(g.node(0).input(1), "conv.weight");
    const auto* pads = find_attr(g.node(0), "pads");
    ASSERT_NE(pads, nullptr);
    EXPECT_EQ(pads->type(), onnx::AttributeProto::INTS);
    EXPECT_EQ(std::vector<int64_t>(pads->ints().begin(), pads->ints().end()),
              (std::vector<int64_t>{1, 1, 1, 1}));
    EXPECT_EQ(g.value_info_size(), 0);  // no value_info for intermediates

    // Initializers: raw_data holds exactly the IR bytes.
    ASSERT_EQ(g.initializer_size(), 2);
    const auto* w = find_init(model, "conv.weight");
    ASSERT_NE(w, nullptr);
    EXPECT_EQ(w->data_type(), onnx::TensorProto::FLOAT);
    EXPECT_EQ(std::vector<int64_t>(w->dims().begin(), w->dims().end()),
              (std::vector<int64_t>{4, 3, 3, 3}));
    EXPECT_EQ(w->raw_data(), bytes_of(*m.weight->constant));
    EXPECT_EQ(find_init(model, "conv.bias")->raw_data(), bytes_of(*m.bias->constant));

    // Inputs and outputs: dtype and dims, with the batch dimension symbolic.
    ASSERT_EQ(g.input_size(), 1);
    const auto& in = g.input(0).type().tensor_type();
    EXPECT_EQ(g.input(0).name(), "input");
    EXPECT_EQ(in.elem_type(), onnx::TensorProto::FLOAT);
    ASSERT_EQ(in.shape().dim_size(), 4);
    EXPECT_EQ(in.shape().dim(0).dim_param(), "batch_size");
    EXPECT_FALSE(in.shape().dim(0).has_dim_value());
    EXPECT_EQ(in.shape().dim(1).dim_value(), 3);
    EXPECT_EQ(in.shape().dim(3).dim_value(), 8);
    ASSERT_EQ(g.output_size(), 1);
    EXPECT_EQ(g.output(0).name(), "output");
    const auto& out = g.output(0).type().tensor_type();
    EXPECT_EQ(out.shape().dim(0).dim_param(), "batch_size");
    EXPECT_EQ(out.shape().dim(1).dim_value(), 4);
  }
}

TEST(OnnxEmitter, OnnxBytesMatchesTheWrittenFile) {
  ConvRelu m;
  TempDir dir;
  std::string path = dir.file("m.onnx");
  OnnxOptions o;
  o.doc_string = "exported by a test";
  emit_onnx(m.g, path, o);
  std::string bytes = onnx_bytes(m.g, o);
  EXPECT_EQ(bytes, read_bytes(path));
  onnx::ModelProto model;
  ASSERT_TRUE(model.ParseFromString(bytes));
  EXPECT_EQ(model.doc_string(), "exported by a test");
}

// x[2,3] -> Unsqueeze(0) -> [1,2,3] -> ReduceSum(2, keepdims) -> [1,2,1] -> Squeeze(0,2) -> [2]
// and ReduceMean(axes=[1]) of x, which keeps an attribute up to opset 17.
static void build_axes_graph(Graph& g) {
  Value* x = g.add_input("x", DType::Float32, fixed_shape({2, 3}));
  Node* unsq = g.add_node("Unsqueeze", {x}, 1, {{"axes", std::vector<int64_t>{0}}});
  set_out(unsq, DType::Float32, fixed_shape({1, 2, 3}));
  Node* sum = g.add_node("ReduceSum", {unsq->outputs[0]}, 1,
                         {{"axes", std::vector<int64_t>{2}}, {"keepdims", int64_t{1}}});
  set_out(sum, DType::Float32, fixed_shape({1, 2, 1}));
  Node* sq = g.add_node("Squeeze", {sum->outputs[0]}, 1, {{"axes", std::vector<int64_t>{0, 2}}});
  g.mark_output(set_out(sq, DType::Float32, fixed_shape({2})));
  Node* mean = g.add_node("ReduceMean", {x}, 1,
                          {{"axes", std::vector<int64_t>{1}}, {"keepdims", int64_t{0}}});
  g.mark_output(set_out(mean, DType::Float32, fixed_shape({2})));
}

TEST(OnnxEmitter, AxesAreAttributesBeforeOpset13AndInputsFrom13) {
  for (int opset : {11, 12, 13, 17}) {
    SCOPED_TRACE("opset " + std::to_string(opset));
    Graph g;
    build_axes_graph(g);
    TempDir dir;
    std::string path = dir.file("axes.onnx");
    emit_onnx(g, path, at(opset));
    onnx::ModelProto model = load(path);
    EXPECT_EQ(model.opset_import(0).version(), opset);
    struct Expect {
      const char* op;
      std::vector<int64_t> axes;
    };
    for (const Expect& e :
         {Expect{"Unsqueeze", {0}}, Expect{"ReduceSum", {2}}, Expect{"Squeeze", {0, 2}}}) {
      SCOPED_TRACE(e.op);
      const auto* n = find_node(model, e.op);
      ASSERT_NE(n, nullptr);
      const auto* attr = find_attr(*n, "axes");
      if (opset < 13) {
        EXPECT_EQ(n->input_size(), 1);
        ASSERT_NE(attr, nullptr);
        EXPECT_EQ(std::vector<int64_t>(attr->ints().begin(), attr->ints().end()), e.axes);
      } else {
        EXPECT_EQ(attr, nullptr);
        ASSERT_EQ(n->input_size(), 2);
        const auto* t = find_init(model, n->input(1));
        ASSERT_NE(t, nullptr);
        EXPECT_EQ(t->data_type(), onnx::TensorProto::INT64);
        EXPECT_EQ(int64_values(*t), e.axes);
      }
    }
    const auto* mean = find_node(model, "ReduceMean");
    ASSERT_NE(mean, nullptr);
    EXPECT_EQ(mean->input_size(), 1);
    ASSERT_NE(find_attr(*mean, "axes"), nullptr);
  }
}

TEST(OnnxEmitter, AxesGivenAsConstantInputFoldIntoAttributeAtOldOpsets) {
  Graph g;
  Value* x = g.add_input("x", DType::Float32, fixed_shape({2, 3}));
  Value* axes = g.add_constant(Tensor::vector_int64({0}), "axes");
  Node* unsq = g.add_node("Unsqueeze", {x, axes});
  g.mark_output(set_out(unsq, DType::Float32, fixed_shape({1, 2, 3})));

  onnx::ModelProto m11, m13;
  ASSERT_TRUE(m11.ParseFromString(onnx_bytes(g, at(11))));
  ASSERT_TRUE(m13.ParseFromString(onnx_bytes(g, at(13))));
  const auto* n11 = find_node(m11, "Unsqueeze");
  EXPECT_EQ(n11->input_size(), 1);
  ASSERT_NE(find_attr(*n11, "axes"), nullptr);
  EXPECT_EQ(find_attr(*n11, "axes")->ints(0), 0);
  const auto* n13 = find_node(m13, "Unsqueeze");
  ASSERT_EQ(n13->input_size(), 2);
  EXPECT_EQ(n13->input(1), "axes");
}

TEST(OnnxEmitter, RunTimeAxesNeedOpset13) {
  Graph g;
  Value* x = g.add_input("x", DType::Float32, fixed_shape({2, 3}));
  Value* axes = g.add_input("axes", DType::Int64, fixed_shape({1}));
  Node* unsq = g.add_node("Unsqueeze", {x, axes});
  g.mark_output(set_out(unsq, DType::Float32, {Dim{}, Dim{}, Dim{}}));
  std::string message;
  EXPECT_EQ(code_of([&] { onnx_bytes(g, at(12)); }, &message), ExitCode::kUnsupportedOps);
  EXPECT_NE(message.find("needs opset 13 (requested 12)"), std::string::npos) << message;
  onnx::ModelProto m;
  ASSERT_TRUE(m.ParseFromString(onnx_bytes(g, at(13))));
  EXPECT_EQ(find_node(m, "Unsqueeze")->input(1), "axes");  // passed through
}

TEST(OnnxEmitter, SplitSizesAttributeOrInput) {
  for (int opset : {11, 13, 17}) {
    SCOPED_TRACE("opset " + std::to_string(opset));
    Graph g;
    Value* x = g.add_input("x", DType::Float32, fixed_shape({6, 4}));
    Node* split =
        g.add_node("Split", {x}, 2, {{"axis", int64_t{0}}, {"split", std::vector<int64_t>{2, 4}}});
    g.mark_output(set_out(split, DType::Float32, fixed_shape({2, 4}), 0));
    g.mark_output(set_out(split, DType::Float32, fixed_shape({4, 4}), 1));
    onnx::ModelProto m;
    ASSERT_TRUE(m.ParseFromString(onnx_bytes(g, at(opset))));
    const auto* n = find_node(m, "Split");
    ASSERT_NE(n, nullptr);
    EXPECT_EQ(n->output_size(), 2);
    if (opset < 13) {
      ASSERT_EQ(n->input_size(), 1);
      ASSERT_NE(find_attr(*n, "split"), nullptr);
      EXPECT_EQ(find_attr(*n, "split")->ints_size(), 2);
    } else {
      ASSERT_EQ(n->input_size(), 2);
      EXPECT_EQ(find_attr(*n, "split"), nullptr);
      EXPECT_EQ(int64_values(*find_init(m, n->input(1))), (std::vector<int64_t>{2, 4}));
    }
  }
}

TEST(OnnxEmitter, ClipBoundsBecomeScalarInputs) {
  for (int opset : {11, 17}) {
    SCOPED_TRACE("opset " + std::to_string(opset));
    Graph g;
    Value* x = g.add_input("x", DType::Float32, fixed_shape({2, 3}));
    Node* both = g.add_node("Clip", {x}, 1, {{"min", 0.0}, {"max", 6.0}});
    set_out(both, DType::Float32, fixed_shape({2, 3}));
    Node* only_max = g.add_node("Clip", {both->outputs[0]}, 1, {{"max", 4.5}});
    set_out(only_max, DType::Float32, fixed_shape({2, 3}));
    Node* only_min = g.add_node("Clip", {only_max->outputs[0]}, 1, {{"min", -1.0}});
    set_out(only_min, DType::Float32, fixed_shape({2, 3}));
    Node* none = g.add_node("Clip", {only_min->outputs[0]});
    g.mark_output(set_out(none, DType::Float32, fixed_shape({2, 3})));

    onnx::ModelProto m;
    ASSERT_TRUE(m.ParseFromString(onnx_bytes(g, at(opset))));
    const auto* n0 = find_node(m, "Clip", 0);
    ASSERT_EQ(n0->input_size(), 3);
    EXPECT_EQ(n0->attribute_size(), 0);
    const auto* lo = find_init(m, n0->input(1));
    ASSERT_NE(lo, nullptr);
    EXPECT_EQ(lo->dims_size(), 0);  // a scalar
    EXPECT_EQ(lo->data_type(), onnx::TensorProto::FLOAT);
    EXPECT_EQ(float_values(*lo), (std::vector<float>{0.0f}));
    EXPECT_EQ(float_values(*find_init(m, n0->input(2))), (std::vector<float>{6.0f}));

    const auto* n1 = find_node(m, "Clip", 1);
    ASSERT_EQ(n1->input_size(), 3);
    EXPECT_EQ(n1->input(1), "");  // absent min, present max
    EXPECT_EQ(float_values(*find_init(m, n1->input(2))), (std::vector<float>{4.5f}));

    const auto* n2 = find_node(m, "Clip", 2);
    EXPECT_EQ(n2->input_size(), 2);  // trailing absent max omitted
    EXPECT_EQ(find_node(m, "Clip", 3)->input_size(), 1);
  }
}

TEST(OnnxEmitter, PadsAndValueBecomeInputs) {
  Graph g;
  Value* x = g.add_input("x", DType::Float32, fixed_shape({1, 2, 3, 3}));
  Node* pad = g.add_node("Pad", {x}, 1,
                         {{"pads", std::vector<int64_t>{0, 0, 1, 2, 0, 0, 1, 2}},
                          {"value", 0.5},
                          {"mode", std::string("constant")}});
  g.mark_output(set_out(pad, DType::Float32, fixed_shape({1, 2, 5, 7})));
  for (int opset : {11, 13, 17}) {
    onnx::ModelProto m;
    ASSERT_TRUE(m.ParseFromString(onnx_bytes(g, at(opset))));
    const auto* n = find_node(m, "Pad");
    ASSERT_EQ(n->input_size(), 3);
    EXPECT_EQ(int64_values(*find_init(m, n->input(1))),
              (std::vector<int64_t>{0, 0, 1, 2, 0, 0, 1, 2}));
    EXPECT_EQ(float_values(*find_init(m, n->input(2))), (std::vector<float>{0.5f}));
    ASSERT_EQ(n->attribute_size(), 1);
    EXPECT_EQ(n->attribute(0).name(), "mode");
    EXPECT_EQ(n->attribute(0).s(), "constant");
  }
}

TEST(OnnxEmitter, ResizeScalesOrSizesWithRoiPlaceholders) {
  auto build = [](Graph& g, bool with_sizes) {
    Value* x = g.add_input("x", DType::Float32, fixed_shape({1, 3, 4, 4}));
    std::map<std::string, mlexport::ir::Attribute> attrs = {
        {"mode", std::string("nearest")},
        {"coordinate_transformation_mode", std::string("asymmetric")},
        {"nearest_mode", std::string("floor")}};
    if (with_sizes)
      attrs["sizes"] = std::vector<int64_t>{1, 3, 8, 8};
    else
      attrs["scales"] = std::vector<double>{1.0, 1.0, 2.0, 2.0};
    Node* r = g.add_node("Resize", {x}, 1, attrs);
    g.mark_output(set_out(r, DType::Float32, fixed_shape({1, 3, 8, 8})));
  };
  for (int opset : {11, 12, 13, 17}) {
    for (bool with_sizes : {false, true}) {
      SCOPED_TRACE("opset " + std::to_string(opset) + (with_sizes ? " sizes" : " scales"));
      Graph g;
      build(g, with_sizes);
      onnx::ModelProto m;
      ASSERT_TRUE(m.ParseFromString(onnx_bytes(g, at(opset))));
      const auto* n = find_node(m, "Resize");
      ASSERT_NE(n, nullptr);
      EXPECT_EQ(find_attr(*n, "scales"), nullptr);
      EXPECT_EQ(find_attr(*n, "sizes"), nullptr);
      EXPECT_EQ(find_attr(*n, "mode")->s(), "nearest");
      ASSERT_EQ(n->input_size(), with_sizes ? 4 : 3);
      if (opset < 13) {  // Resize-11: roi and scales must be present
        const auto* roi = find_init(m, n->input(1));
        ASSERT_NE(roi, nullptr);
        EXPECT_EQ(roi->data_type(), onnx::TensorProto::FLOAT);
        ASSERT_EQ(roi->dims_size(), 1);
        EXPECT_EQ(roi->dims(0), 0);
      } else {
        EXPECT_EQ(n->input(1), "");
      }
      if (with_sizes) {
        EXPECT_EQ(int64_values(*find_init(m, n->input(3))), (std::vector<int64_t>{1, 3, 8, 8}));
        if (opset < 13)
          EXPECT_EQ(find_init(m, n->input(2))->dims(0), 0);
        else
          EXPECT_EQ(n->input(2), "");
      } else {
        EXPECT_EQ(float_values(*find_init(m, n->input(2))),
                  (std::vector<float>{1.0f, 1.0f, 2.0f, 2.0f}));
      }
    }
  }
}

// The lowering below opset 13 is the legalize-onnx-opset pass's (unit.PassText.*); the emitter
// writes a last axis as it is and refuses any other.
TEST(OnnxEmitter, SoftmaxOverAMiddleAxisBeforeOpset13IsLeftToTheLegalizer) {
  Graph g;
  Value* x = g.add_input("x", DType::Float32, fixed_shape({2, 5, 3}));
  Node* last = g.add_node("LogSoftmax", {x}, 1, {{"axis", int64_t{2}}});
  g.mark_output(set_out(last, DType::Float32, fixed_shape({2, 5, 3})));
  onnx::ModelProto m11;
  ASSERT_TRUE(m11.ParseFromString(onnx_bytes(g, at(11))));
  ASSERT_EQ(m11.graph().node_size(), 1);
  EXPECT_EQ(find_attr(m11.graph().node(0), "axis")->i(), -1);

  Node* sm = g.add_node("Softmax", {x}, 1, {{"axis", int64_t{1}}});
  g.mark_output(set_out(sm, DType::Float32, fixed_shape({2, 5, 3})));
  TempDir dir;
  std::string message;
  EXPECT_EQ(code_of([&] { emit_onnx(g, dir.file("m.onnx"), at(11)); }, &message),
            ExitCode::kUnsupportedOps);
  EXPECT_NE(message.find("Softmax over a non-last axis needs opset 13 (requested 11)"),
            std::string::npos)
      << message;
  onnx::ModelProto m13;
  ASSERT_TRUE(m13.ParseFromString(onnx_bytes(g, at(13))));
  EXPECT_EQ(find_attr(m13.graph().node(1), "axis")->i(), 1);
}

TEST(OnnxEmitter, LateAttributesAtTheirDefaultAreDropped) {
  Graph g;
  Value* x = g.add_input("x", DType::Float32, fixed_shape({2, 6}));
  Value* shape = g.add_constant(Tensor::vector_int64({3, 4}), "shape");
  Node* r = g.add_node("Reshape", {x, shape}, 1, {{"allowzero", int64_t{0}}});
  g.mark_output(set_out(r, DType::Float32, fixed_shape({3, 4})));
  onnx::ModelProto m;
  ASSERT_TRUE(m.ParseFromString(onnx_bytes(g, at(13))));
  EXPECT_EQ(find_node(m, "Reshape")->attribute_size(), 0);
  ASSERT_TRUE(m.ParseFromString(onnx_bytes(g, at(14))));
  EXPECT_EQ(find_node(m, "Reshape")->attribute_size(), 1);

  r->attrs["allowzero"] = int64_t{1};
  std::string message;
  EXPECT_EQ(code_of([&] { onnx_bytes(g, at(13)); }, &message), ExitCode::kUnsupportedOps);
  EXPECT_NE(message.find("needs opset 14 (requested 13)"), std::string::npos) << message;
}

TEST(OnnxEmitter, ExternalDataForced) {
  ConvRelu m(16);  // weight 16x3x3x3 floats = 1728 bytes: moved out; bias 64 bytes: stays
  TempDir dir;
  std::string path = dir.file("model.onnx");
  OnnxOptions o;
  o.external_data = true;
  auto result = emit_onnx(m.g, path, o);
  std::string data_path = dir.file("model.onnx.data");
  EXPECT_EQ(result.external_data_path, data_path);
  ASSERT_TRUE(fs::exists(data_path));
  EXPECT_EQ(result.bytes, fs::file_size(path) + fs::file_size(data_path));
  EXPECT_EQ(dir.entries(), 2u);  // the model and its data, no temp directory

  onnx::ModelProto model = load(path);
  const auto* w = find_init(model, "conv.weight");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->data_location(), onnx::TensorProto::EXTERNAL);
  EXPECT_FALSE(w->has_raw_data());
  std::map<std::string, std::string> entries;
  for (const auto& e : w->external_data()) entries[e.key()] = e.value();
  EXPECT_EQ(entries["location"], "model.onnx.data");
  ASSERT_TRUE(entries.count("offset") && entries.count("length"));
  uint64_t offset = std::stoull(entries["offset"]);
  uint64_t length = std::stoull(entries["length"]);
  EXPECT_EQ(offset % 4096, 0u);
  EXPECT_EQ(length, m.weight->constant->nbytes());
  std::string data = read_bytes(data_path);
  ASSERT_GE(data.size(), offset + length);
  EXPECT_EQ(data.substr(offset, length), bytes_of(*m.weight->constant));

  const auto* b = find_init(model, "conv.bias");  // under 1 KiB: inline
  EXPECT_NE(b->data_location(), onnx::TensorProto::EXTERNAL);
  EXPECT_EQ(b->raw_data(), bytes_of(*m.bias->constant));
}

TEST(OnnxEmitter, ExternalDataAboveThresholdWithSeveralTensors) {
  Graph g;
  Value* x = g.add_input("x", DType::Float32, {Dim::named("batch_size"), Dim::fixed(300)});
  Value* w1 = g.add_constant(ramp({300, 400}), "fc1.weight");
  Value* w2 = g.add_constant(ramp({400, 10}, 0.02f), "fc2.weight");
  Node* mm1 = g.add_node("MatMul", {x, w1});
  set_out(mm1, DType::Float32, {Dim::named("batch_size"), Dim::fixed(400)});
  Node* mm2 = g.add_node("MatMul", {mm1->outputs[0], w2});
  g.mark_output(set_out(mm2, DType::Float32, {Dim::named("batch_size"), Dim::fixed(10)}));
  TempDir dir;
  OnnxOptions o;
  o.external_data_threshold = 100000;  // 480 KB + 16 KB of weights is above it
  auto result = emit_onnx(g, dir.file("fc.onnx"), o);
  ASSERT_FALSE(result.external_data_path.empty());
  onnx::ModelProto model = load(dir.file("fc.onnx"));
  std::string data = read_bytes(result.external_data_path);
  for (const Value* v : {w1, w2}) {
    const auto* t = find_init(model, v->name);
    std::map<std::string, std::string> entries;
    for (const auto& e : t->external_data()) entries[e.key()] = e.value();
    uint64_t offset = std::stoull(entries["offset"]);
    EXPECT_EQ(offset % 4096, 0u);
    EXPECT_EQ(data.substr(offset, std::stoull(entries["length"])), bytes_of(*v->constant));
  }

  // Below the threshold the same graph is written inline.
  TempDir dir2;
  auto inline_result = emit_onnx(g, dir2.file("fc.onnx"), OnnxOptions{});
  EXPECT_TRUE(inline_result.external_data_path.empty());
  EXPECT_EQ(dir2.entries(), 1u);
}

TEST(OnnxEmitter, InvalidConvWeightFailsAndLeavesNoFile) {
  Graph g;
  Value* x = g.add_input("x", DType::Float32, fixed_shape({1, 3, 8, 8}));
  Value* w = g.add_constant(ramp({27}), "bad.weight");  // rank 1 instead of 4
  Node* conv = g.add_node("Conv", {x, w});
  g.mark_output(set_out(conv, DType::Float32, fixed_shape({1, 1, 6, 6})));
  for (bool external : {false, true}) {
    TempDir dir;
    std::string path = dir.file("bad.onnx");
    OnnxOptions o;
    o.external_data = external;
    std::string message;
    EXPECT_EQ(code_of([&] { emit_onnx(g, path, o); }, &message), ExitCode::kInternal);
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    EXPECT_NE(message.find("ONNX"), std::string::npos) << message;
    EXPECT_FALSE(fs::exists(path));
    EXPECT_EQ(dir.entries(), 0u) << "temp files left behind";
  }
}

TEST(OnnxEmitter, UnknownOpFailsTheCheckerAndLeavesNoFile) {
  Graph g;
  Value* x = g.add_input("x", DType::Float32, fixed_shape({2}));
  Node* n = g.add_node("NotAnOp", {x});
  g.mark_output(set_out(n, DType::Float32, fixed_shape({2})));
  TempDir dir;
  std::string path = dir.file("bad.onnx");
  std::string message;
  EXPECT_EQ(code_of([&] { emit_onnx(g, path, OnnxOptions{}); }, &message), ExitCode::kInternal);
  EXPECT_EQ(message.rfind("ONNX checker: ", 0), 0u) << message;
  EXPECT_NE(message.find("NotAnOp"), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  EXPECT_FALSE(fs::exists(path));
  EXPECT_EQ(dir.entries(), 0u);
}

TEST(OnnxEmitter, DeclaredOutputShapeThatContradictsInferenceFails) {
  ConvRelu m;
  m.g.outputs()[0]->shape = fixed_shape({1, 4, 6, 6});  // Conv with pad 1 keeps 8x8
  TempDir dir;
  std::string message;
  EXPECT_EQ(code_of([&] { emit_onnx(m.g, dir.file("m.onnx"), OnnxOptions{}); }, &message),
            ExitCode::kInternal);
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  EXPECT_EQ(message.rfind("ONNX shape inference: ", 0), 0u) << message;
  EXPECT_NE(message.find("node name: " + m.g.nodes()[1]->name), std::string::npos) << message;
  EXPECT_EQ(dir.entries(), 0u);
}

TEST(OnnxEmitter, ReplacesAnExistingFileOnlyOnSuccess) {
  TempDir dir;
  std::string path = dir.file("m.onnx");
  std::ofstream(path) << "old contents";
  Graph bad;
  Value* x = bad.add_input("x", DType::Float32, fixed_shape({2}));
  Node* n = bad.add_node("NotAnOp", {x});
  bad.mark_output(set_out(n, DType::Float32, fixed_shape({2})));
  EXPECT_EQ(code_of([&] { emit_onnx(bad, path, OnnxOptions{}); }), ExitCode::kInternal);
  EXPECT_EQ(read_bytes(path), "old contents");
  EXPECT_EQ(dir.entries(), 1u);

  ConvRelu m;
  emit_onnx(m.g, path, OnnxOptions{});
  EXPECT_EQ(load(path).graph().node_size(), 2);
  EXPECT_EQ(dir.entries(), 1u);
}

TEST(OnnxEmitter, OpsNewerThanTheOpsetAreUnsupported) {
  struct Case {
    const char* op;
    int opset;
    const char* expected;
  };
  for (const Case& c :
       {Case{"LayerNormalization", 16, "LayerNormalization needs opset 17 (requested 16)"},
        Case{"HardSwish", 13, "HardSwish needs opset 14 (requested 13)"},
        Case{"Trilu", 11, "Trilu needs opset 14 (requested 11)"},
        Case{"GridSample", 15, "GridSample needs opset 16 (requested 15)"},
        Case{"Mish", 17, "Mish needs opset 18 (requested 17)"},
        Case{"BitwiseXor", 17, "BitwiseXor needs opset 18 (requested 17)"},
        Case{"Celu", 11, "Celu needs opset 12 (requested 11)"}}) {
    SCOPED_TRACE(c.op);
    Graph g;
    Value* x = g.add_input("x", DType::Float32, fixed_shape({2, 4}));
    Node* n = g.add_node(c.op, {x});
    g.mark_output(set_out(n, DType::Float32, fixed_shape({2, 4})));
    TempDir dir;
    std::string message;
    EXPECT_EQ(code_of([&] { emit_onnx(g, dir.file("m.onnx"), at(c.opset)); }, &message),
              ExitCode::kUnsupportedOps);
    EXPECT_EQ(message, c.expected);
    EXPECT_EQ(dir.entries(), 0u);
  }
}

TEST(OnnxEmitter, UnsupportedOpsAreReportedTogether) {
  Graph g;
  Value* x = g.add_input("x", DType::Float32, fixed_shape({2, 4}));
  Node* a = g.add_node("HardSwish", {x});
  set_out(a, DType::Float32, fixed_shape({2, 4}));
  Node* b = g.add_node("HardSwish", {a->outputs[0]});
  set_out(b, DType::Float32, fixed_shape({2, 4}));
  Node* c = g.add_node("Mish", {b->outputs[0]});
  g.mark_output(set_out(c, DType::Float32, fixed_shape({2, 4})));
  std::string message;
  EXPECT_EQ(code_of([&] { onnx_bytes(g, at(13)); }, &message), ExitCode::kUnsupportedOps);
  EXPECT_EQ(
      message,
      "HardSwish needs opset 14 (requested 13) [2 nodes]; Mish needs opset 18 (requested 13)");
}

TEST(OnnxEmitter, OpsetOutsideTheSupportedRangeIsBadInput) {
  ConvRelu m;
  EXPECT_EQ(code_of([&] { onnx_bytes(m.g, at(10)); }), ExitCode::kBadInput);
  EXPECT_EQ(code_of([&] { onnx_bytes(m.g, at(18)); }), ExitCode::kBadInput);
}

TEST(OnnxEmitter, MissingDirectoryIsBadInput) {
  ConvRelu m;
  EXPECT_EQ(code_of([&] { emit_onnx(m.g, "/nonexistent-dir-for-test/m.onnx", OnnxOptions{}); }),
            ExitCode::kBadInput);
}

TEST(OnnxEmitter, OutputOfUnknownRankGetsTheInferredShape) {
  Graph g;
  Value* x = g.add_input("x", DType::Float32, {Dim::named("n"), Dim::fixed(3)});
  Node* relu = g.add_node("Relu", {x});
  relu->outputs[0]->shape.reset();
  g.mark_output(relu->outputs[0]);
  onnx::ModelProto m;
  ASSERT_TRUE(m.ParseFromString(onnx_bytes(g, OnnxOptions{})));
  const auto& shape = m.graph().output(0).type().tensor_type().shape();
  ASSERT_EQ(shape.dim_size(), 2);
  EXPECT_EQ(shape.dim(0).dim_param(), "n");
  EXPECT_EQ(shape.dim(1).dim_value(), 3);
}

TEST(OnnxEmitter, ConstantGraphOutputGoesThroughIdentity) {
  Graph g;
  Value* x = g.add_input("x", DType::Float32, fixed_shape({2}));
  Node* relu = g.add_node("Relu", {x});
  g.mark_output(set_out(relu, DType::Float32, fixed_shape({2})));
  Value* c = g.add_constant(Tensor::vector_int64({7, 8}), "table");
  g.mark_output(c);
  onnx::ModelProto m;
  ASSERT_TRUE(m.ParseFromString(onnx_bytes(g, OnnxOptions{})));
  const auto* id = find_node(m, "Identity");
  ASSERT_NE(id, nullptr);
  EXPECT_EQ(id->output(0), "table");
  EXPECT_EQ(int64_values(*find_init(m, id->input(0))), (std::vector<int64_t>{7, 8}));
  EXPECT_EQ(m.graph().output(1).name(), "table");
}

TEST(OnnxEmitter, HalfAndBoolInitializersKeepTheirBits) {
  Graph g;
  Value* x = g.add_input("x", DType::Float16, fixed_shape({3}));
  Tensor h(DType::Float16, {3});
  h.data<uint16_t>()[0] = mlexport::ir::float_to_half(1.5f);
  h.data<uint16_t>()[2] = mlexport::ir::float_to_half(-2.0f);
  Value* hc = g.add_constant(h, "h");
  Node* add = g.add_node("Add", {x, hc});
  set_out(add, DType::Float16, fixed_shape({3}));
  Tensor mask(DType::Bool, {3});
  mask.data<uint8_t>()[1] = 1;
  Value* mc = g.add_constant(mask, "mask");
  Value* zero = g.add_constant(Tensor::scalar_of(DType::Float16, 0.0), "zero");
  Node* where = g.add_node("Where", {mc, zero, add->outputs[0]});
  g.mark_output(set_out(where, DType::Float16, fixed_shape({3})));
  onnx::ModelProto m;
  ASSERT_TRUE(m.ParseFromString(onnx_bytes(g, OnnxOptions{})));
  EXPECT_EQ(find_init(m, "h")->data_type(), onnx::TensorProto::FLOAT16);
  EXPECT_EQ(find_init(m, "h")->raw_data(), bytes_of(h));
  EXPECT_EQ(find_init(m, "mask")->data_type(), onnx::TensorProto::BOOL);
  EXPECT_EQ(find_init(m, "mask")->raw_data(), std::string("\0\1\0", 3));
  EXPECT_EQ(m.graph().input(0).type().tensor_type().elem_type(), onnx::TensorProto::FLOAT16);
}

// Optional end-to-end check: the emitted Conv+Relu (inline and with external data) runs in ONNX
// Runtime through its Node binding and matches a direct computation.
TEST(OnnxEmitter, RunsInOnnxRuntime) {
  fs::path ort = fs::path(MLEXPORT_SOURCE_DIR) / "tools/ort-runner/node_modules/onnxruntime-node";
  if (!fs::exists("/usr/bin/node") || !fs::exists(ort)) GTEST_SKIP() << "no onnxruntime-node";
  ConvRelu m;
  TempDir dir;
  emit_onnx(m.g, dir.file("inline.onnx"), at(11));
  OnnxOptions ext = at(17);
  ext.external_data = true;
  emit_onnx(m.g, dir.file("ext.onnx"), ext);

  // Input: x[n,c,h,w] = (n+1) * 0.1 * ((c*64 + h*8 + w) % 7 - 3), batch 2.
  const int N = 2, C = 3, H = 8, W = 8, K = 4;
  auto xval = [](int n, int c, int h, int w) {
    return (n + 1) * 0.1f * static_cast<float>((c * 64 + h * 8 + w) % 7 - 3);
  };
  std::ofstream js(dir.file("run.js"));
  js << "const ort = require('" << ort.string() << "');\n"
     << "(async () => {\n"
     << "  const x = new Float32Array(" << N * C * H * W << ");\n"
     << "  for (let n = 0; n < " << N << "; n++) for (let c = 0; c < 3; c++)\n"
     << "    for (let h = 0; h < 8; h++) for (let w = 0; w < 8; w++)\n"
     << "      x[((n * 3 + c) * 8 + h) * 8 + w] = Math.fround((n + 1) * Math.fround(0.1) *\n"
     << "          (((c * 64 + h * 8 + w) % 7) - 3));\n"
     << "  for (const f of process.argv.slice(2)) {\n"
     << "    const s = await ort.InferenceSession.create(f);\n"
     << "    const r = await s.run({input: new ort.Tensor('float32', x, [" << N << ",3,8,8])});\n"
     << "    console.log(Array.from(r.output.data).join(' '));\n"
     << "  }\n"
     << "})().catch(e => { console.error(e.message); process.exit(1); });\n";
  js.close();
  std::string cmd = "/usr/bin/node " + dir.file("run.js") + " " + dir.file("inline.onnx") + " " +
                    dir.file("ext.onnx") + " 2>&1";
  FILE* pipe = ::popen(cmd.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string out;
  char buf[4096];
  while (size_t got = std::fread(buf, 1, sizeof buf, pipe)) out.append(buf, got);
  ASSERT_EQ(::pclose(pipe), 0) << out;

  const float* wt = m.weight->constant->data<float>();
  const float* bs = m.bias->constant->data<float>();
  std::vector<float> expected;
  for (int n = 0; n < N; ++n)
    for (int k = 0; k < K; ++k)
      for (int h = 0; h < H; ++h)
        for (int w = 0; w < W; ++w) {
          float acc = bs[k];
          for (int c = 0; c < C; ++c)
            for (int i = 0; i < 3; ++i)
              for (int j = 0; j < 3; ++j) {
                int y = h + i - 1, z = w + j - 1;
                if (y < 0 || y >= H || z < 0 || z >= W) continue;
                acc += wt[((k * C + c) * 3 + i) * 3 + j] * xval(n, c, y, z);
              }
          expected.push_back(std::max(acc, 0.0f));
        }
  std::istringstream lines(out);
  int runs = 0;
  for (std::string line; std::getline(lines, line);) {
    std::istringstream values(line);
    std::vector<float> got;
    for (float v; values >> v;) got.push_back(v);
    ASSERT_EQ(got.size(), expected.size()) << out;
    for (size_t i = 0; i < got.size(); ++i) ASSERT_NEAR(got[i], expected[i], 1e-4) << i;
    ++runs;
  }
  EXPECT_EQ(runs, 2);
}

// Emitter behaviour outside the numbers: unsupported ops, paths, atomic writes, the file layout,
// and the reader's own refusals.
#include <fstream>
#include <sstream>

#include "emit/openvino/openvino_check.h"
#include "frontend/openvino_ir/openvino_reader.h"
#include "graph_builders.h"
#include "mlexport/diagnostics.h"

namespace mlexport::testing {
namespace {

namespace fs = std::filesystem;
using V = std::vector<int64_t>;

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

void small_graph(Graph& g) {
  Value* x = input(g, {1, 3, 4, 4});
  g.mark_output(op_(g, "Relu", {op_(g, "Conv", {x, weight(g, {2, 3, 1, 1}, 1)})}));
}

TEST(OpenVinoEmitter, UnsupportedOpsAreListedOnceWithCountsAndNothingIsWritten) {
  TempDir dir;
  Graph g;
  Value* x = input(g, {2, 2});
  Value* a = op_(g, "Frobnicate", {x});
  Value* b = op_(g, "Frobnicate", {op_(g, "Relu", {a})});
  g.mark_output(op_(g, "Twiddle", {b}));
  try {
    emit::emit_openvino(g, dir.file("model.xml"), {});
    FAIL() << "no error";
  } catch (const UnsupportedOpsError& e) {
    EXPECT_EQ(e.code(), ExitCode::kUnsupportedOps);
    ASSERT_EQ(e.ops().size(), 2u);
    EXPECT_EQ(e.ops()[0].kind, "Frobnicate");
    EXPECT_EQ(e.ops()[0].count, 2);
    EXPECT_EQ(e.ops()[1].kind, "Twiddle");
    EXPECT_EQ(e.ops()[1].count, 1);
    EXPECT_NE(std::string(e.what()).find("No conversion rule found"), std::string::npos);
  }
  EXPECT_EQ(dir.entries(), 0u);
}

TEST(OpenVinoEmitter, UnsupportedVariantWritesNothingAndKeepsOldFiles) {
  TempDir dir;
  std::ofstream(dir.file("model.xml")) << "old xml";
  std::ofstream(dir.file("model.bin")) << "old bin";
  Graph g;
  Value* x = input(g, {1, 1, 4, 4});
  g.mark_output(op_(g, "MaxPool", {x}, {{"kernel_shape", V{2, 2}}, {"storage_order", int64_t{1}}}));
  try {
    emit::emit_openvino(g, dir.file("model.xml"), {});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kUnsupportedOps);
    EXPECT_NE(std::string(e.what()).find("storage_order"), std::string::npos) << e.what();
  }
  EXPECT_EQ(dir.entries(), 2u);  // no temporary left behind
  EXPECT_EQ(read_text(dir.file("model.xml")), "old xml");
  EXPECT_EQ(read_text(dir.file("model.bin")), "old bin");
}

TEST(OpenVinoEmitter, BadPathsAreBadInput) {
  TempDir dir;
  Graph g;
  small_graph(g);
  for (const std::string& path : {dir.file("model.onnx"), dir.file("missing/model.xml")}) {
    try {
      emit::emit_openvino(g, path, {});
      ADD_FAILURE() << "no error for " << path;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::kBadInput) << e.what();
    }
  }
  EXPECT_EQ(dir.entries(), 0u);
}

TEST(OpenVinoEmitter, InputOfUnknownRankIsBadInput) {
  TempDir dir;
  Graph g;
  Value* x = g.add_input("x", DType::Float32, {});
  x->shape.reset();
  g.mark_output(op_(g, "Relu", {x}));
  try {
    emit::emit_openvino(g, dir.file("model.xml"), {});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kBadInput);
    EXPECT_NE(std::string(e.what()).find("%x"), std::string::npos) << e.what();
  }
  EXPECT_EQ(dir.entries(), 0u);
}

TEST(OpenVinoEmitter, WritesXmlAndBinWithAlignedConstants) {
  TempDir dir;
  Graph g;
  small_graph(g);
  auto r = emit::emit_openvino(g, dir.file("net.xml"), {});
  EXPECT_EQ(r.xml_bytes, fs::file_size(dir.file("net.xml")));
  EXPECT_EQ(r.bin_bytes, fs::file_size(dir.file("net.bin")));
  EXPECT_EQ(r.layer_count, 5);  // Parameter, Const, Convolution, ReLU, Result
  EXPECT_EQ(dir.entries(), 2u);
  std::string xml = read_text(dir.file("net.xml"));
  EXPECT_NE(xml.find("<net name=\"model\" version=\"11\">"), std::string::npos);
  EXPECT_NE(xml.find("<edges>"), std::string::npos);
  EXPECT_NE(xml.find("<rt_info>"), std::string::npos);
  EXPECT_NE(xml.find("type=\"Convolution\" version=\"opset1\""), std::string::npos);
  EXPECT_NE(xml.find("auto_pad=\"explicit\""), std::string::npos);
  // Output ports are numbered after the input ports.
  EXPECT_NE(xml.find("<port id=\"2\" precision=\"FP32\" names=\"Conv_0\">"), std::string::npos);
}

TEST(OpenVinoEmitter, ModelNameOption) {
  TempDir dir;
  Graph g;
  small_graph(g);
  emit::OpenVinoOptions options;
  options.model_name = "resnet";
  emit::emit_openvino(g, dir.file("m.xml"), options);
  EXPECT_NE(read_text(dir.file("m.xml")).find("<net name=\"resnet\""), std::string::npos);
}

TEST(OpenVinoEmitter, Fp16CompressionKeepsTheInterfaceFp32) {
  TempDir dir;
  Graph g;
  small_graph(g);
  emit::OpenVinoOptions options;
  options.compress_to_fp16 = true;
  auto r = emit::emit_openvino(g, dir.file("m.xml"), options);
  std::string xml = read_text(dir.file("m.xml"));
  EXPECT_NE(xml.find("element_type=\"f16\" shape=\"2, 3, 1, 1\" offset=\"0\" size=\"12\""),
            std::string::npos);
  EXPECT_NE(xml.find("destination_type=\"f32\""), std::string::npos);
  EXPECT_NE(xml.find("name=\"decompression\""), std::string::npos);
  EXPECT_EQ(r.bin_bytes, 12u);
  auto back = frontend::openvino_ir::read_openvino_ir(dir.file("m.xml"));
  ASSERT_EQ(back->inputs().size(), 1u);
  EXPECT_EQ(back->inputs()[0]->dtype, DType::Float32);
  EXPECT_EQ(back->outputs()[0]->dtype, DType::Float32);
}

TEST(OpenVinoEmitter, SupportedOpsCoverTheSevenReferenceModels) {
  // Every op the TorchScript frontend produced for resnet18, mobilenet_v3_small,
  // efficientnet_b0, densenet121, vgg11, vit_b_32 and convnext_tiny (with and without
  // simplification and --dynamic_axes).
  auto ops = emit::openvino_supported_ops();
  for (const char* op : {"Conv",
                         "Add",
                         "Mul",
                         "Relu",
                         "BatchNormalization",
                         "MatMul",
                         "Transpose",
                         "Sigmoid",
                         "Concat",
                         "Reshape",
                         "LayerNormalization",
                         "Div",
                         "GlobalAveragePool",
                         "Erf",
                         "HardSwish",
                         "Split",
                         "Softmax",
                         "Gemm",
                         "HardSigmoid",
                         "MaxPool",
                         "Flatten",
                         "AveragePool",
                         "Gather",
                         "Shape",
                         "Cast",
                         "Unsqueeze",
                         "Sub",
                         "Mod",
                         "Slice",
                         "Expand"})
    EXPECT_NE(std::find(ops.begin(), ops.end(), op), ops.end()) << op;
}

TEST(OpenVinoReader, UnknownLayerTypesAreReportedTogether) {
  TempDir dir;
  Graph g;
  small_graph(g);
  emit::emit_openvino(g, dir.file("m.xml"), {});
  std::string xml = read_text(dir.file("m.xml"));
  for (const auto& [from, to] :
       {std::pair<std::string, std::string>{"ReLU", "Zap"}, {"Convolution", "Frob"}}) {
    std::string needle = "type=\"" + from + "\"";
    xml.replace(xml.find(needle), needle.size(), "type=\"" + to + "\"");
  }
  std::ofstream(dir.file("m.xml"), std::ios::trunc) << xml;
  try {
    frontend::openvino_ir::read_openvino_ir(dir.file("m.xml"));
    FAIL() << "no error";
  } catch (const UnsupportedOpsError& e) {
    ASSERT_EQ(e.ops().size(), 2u);
    EXPECT_EQ(e.ops()[0].kind, "Frob-opset1");
    EXPECT_EQ(e.ops()[1].kind, "Zap-opset1");
  } catch (const Error& e) {
    FAIL() << e.what();
  }
}

TEST(OpenVinoReader, MissingFileIsBadInput) {
  try {
    frontend::openvino_ir::read_openvino_ir("/nonexistent/model.xml");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kBadInput);
  }
}

TEST(OpenVinoReader, ConstOutsideTheBinIsBadInput) {
  TempDir dir;
  Graph g;
  small_graph(g);
  emit::emit_openvino(g, dir.file("m.xml"), {});
  fs::resize_file(dir.file("m.bin"), 4);
  try {
    frontend::openvino_ir::read_openvino_ir(dir.file("m.xml"));
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kBadInput);
    EXPECT_NE(std::string(e.what()).find("outside the .bin"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace mlexport::testing

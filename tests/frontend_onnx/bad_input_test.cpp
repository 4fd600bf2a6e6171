// Files the importer must refuse: each gives an mlexport::Error with the documented exit code and
// a one-line message that says what is wrong.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "frontend/onnx/onnx_import.h"
#include "frontend/onnx/onnx_source.h"
#include "mlexport/diagnostics.h"
#include "support.h"

namespace mlexport::frontend::onnx {
namespace {

namespace fs = std::filesystem;
using testing::fixture;

struct Refusal {
  ExitCode code = ExitCode::kOk;
  std::string message;
  std::vector<UnsupportedOp> ops;
};

Refusal refusal_of(const std::string& path) {
  Refusal r;
  if (path.empty()) return r;  // a missing fixture, reported already
  try {
    import_onnx(path, ImportOptions{});
    ADD_FAILURE() << path << " was imported";
  } catch (const UnsupportedOpsError& e) {
    r = {e.code(), e.what(), e.ops()};
  } catch (const Error& e) {
    r = {e.code(), e.what(), {}};
  }
  EXPECT_EQ(r.message.find('\n'), std::string::npos) << "not one line: " << r.message;
  EXPECT_FALSE(r.message.empty());
  return r;
}

void expect_bad_input(const std::string& path, const std::string& mentions) {
  SCOPED_TRACE(path);
  if (path.empty()) return;
  const Refusal r = refusal_of(path);
  EXPECT_EQ(r.code, ExitCode::kBadInput) << r.message;
  EXPECT_NE(r.message.find(mentions), std::string::npos) << r.message;
}

std::string write_file(const std::string& name, const std::string& bytes) {
  const std::string path = testing::scratch_dir("bad") + "/" + name;
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(BadInput, TruncatedFile) {
  const std::string full = read_file(fixture("resnet18_op13.onnx"));
  ASSERT_GT(full.size(), 1000u);
  expect_bad_input(write_file("truncated.onnx", full.substr(0, full.size() / 2)),
                   "not a readable ONNX model");
  expect_bad_input(write_file("header_only.onnx", full.substr(0, 64)), "not a readable ONNX model");
}

TEST(BadInput, TextFileNamedOnnx) {
  expect_bad_input(write_file("notes.onnx", "This is not a model.\nJust some notes.\n"),
                   "not a readable ONNX model");
  expect_bad_input(write_file("empty.onnx", ""), "empty");
}

TEST(BadInput, MissingFileAndDirectory) {
  expect_bad_input("/nonexistent/model.onnx", "no such file");
  expect_bad_input(testing::scratch_dir("a_folder.onnx"), "directory");
}

TEST(BadInput, FileOverTwoGigabytes) {
  // A sparse file: its size is what is checked, before anything is read.
  const std::string path = testing::scratch_dir("huge") + "/huge.onnx";
  std::ofstream(path).put('\x08');
  fs::resize_file(path, (uint64_t{2} << 30) + 1);
  expect_bad_input(path, "external data");
  fs::remove(path);
}

TEST(BadInput, ExternalDataMustStayInTheModelsFolder) {
  expect_bad_input(fixture("bad/models/dotdot.onnx"), "'..'");
  expect_bad_input(fixture("bad/models/absolute.onnx"), "absolute");
  expect_bad_input(fixture("bad/models/symlink.onnx"), "outside the model's folder");
  expect_bad_input(fixture("bad/models/missing_data.onnx"), "missing.bin");
}

TEST(BadInput, MalformedGraphs) {
  expect_bad_input(fixture("bad/undefined_value.onnx"), "'nowhere'");
  expect_bad_input(fixture("bad/short_raw.onnx"), "initializer 'w'");
  expect_bad_input(fixture("bad/empty_input.onnx"), "required input 'input' empty");
  expect_bad_input(fixture("bad/extra_input.onnx"), "has 2 inputs; Relu-");
}

// What fuzz_onnx found (fuzz/corpus/fuzz_onnx): files that crashed libonnx's shape inference,
// reached undefined behaviour or took seconds, before the importer refused them.
std::string fuzz_reproducer(const std::string& name) {
  return std::string(MLEXPORT_FUZZ_CORPUS) + "/fuzz_onnx/" + name;
}

TEST(BadInput, FuzzReproducersNeverReachShapeInferenceBroken) {
  expect_bad_input(fuzz_reproducer("crash_shape_of_undefined_input.onnx"),
                   "Shape node reads 'x', which no input, initializer or earlier node defines");
  expect_bad_input(fuzz_reproducer("crash_reshape_reads_missing_initializer.onnx"),
                   "which no input, initializer or earlier node defines");
  expect_bad_input(fuzz_reproducer("crash_graph_input_without_type.onnx"),
                   "graph input 'x' has no type");
}

TEST(BadInput, FuzzReproducersThatCrashedInsideLibonnx) {
  // A Conv whose input has a lower rank than its weight: libonnx read past the kernel shape.
  expect_bad_input(fuzz_reproducer("crash_conv_input_rank_below_weight_rank.onnx"),
                   "is never computed");
  // A Shape of an unknown op's output: libonnx's data propagation read a null type.
  expect_bad_input(fuzz_reproducer("crash_shape_of_unknown_op_output.onnx"),
                   "Shape node has 3 inputs; Shape-15 takes 1");
}

// A Resize scale that takes the size past int64 (fuzz_onnx, UBSan): the registry's shape rule
// converted it to an integer. The size is now unknown, and ONNX Runtime says what it makes of it.
TEST(BadInput, ResizeScalePastInt64GivesAnUnknownSize) {
  auto graph =
      import_onnx(fuzz_reproducer("ubsan_resize_scale_past_int64.onnx"), ImportOptions{}).graph;
  const ir::Node* resize = nullptr;
  for (const auto& n : graph->nodes())
    if (n->op == "Resize") resize = n.get();
  ASSERT_TRUE(resize);
  ASSERT_TRUE(resize->outputs[0]->shape);
  bool some_unknown = false;
  for (const ir::Dim& d : *resize->outputs[0]->shape) {
    EXPECT_TRUE(!d.is_fixed() || d.size < (int64_t{1} << 62)) << d.size;
    some_unknown = some_unknown || !d.is_fixed();
  }
  EXPECT_TRUE(some_unknown);
}

TEST(Unsupported, FloatAxesOperandIsReportedNotCast) {
  // A float32 initializer of NaN as Squeeze's axes: casting it to int64 was undefined behaviour.
  const Refusal r = refusal_of(fuzz_reproducer("ubsan_nan_squeeze_axes.onnx"));
  EXPECT_EQ(r.code, ExitCode::kUnsupportedOps) << r.message;
  EXPECT_NE(r.message.find("its axes operand is float32, not an integer tensor"), std::string::npos)
      << r.message;
}

TEST(Unsupported, IfNodeIsReportedWithItsReason) {
  const Refusal r = refusal_of(fixture("bad/if.onnx"));
  EXPECT_EQ(r.code, ExitCode::kUnsupportedOps) << r.message;
  ASSERT_EQ(r.ops.size(), 1u) << r.message;
  EXPECT_EQ(r.ops[0].kind, "If");
  EXPECT_NE(r.message.find("subgraphs"), std::string::npos) << r.message;
}

TEST(Unsupported, UnknownDomainOpsAreListedWithTheirDomain) {
  const Refusal r = refusal_of(fixture("bad/custom_domain.onnx"));
  EXPECT_EQ(r.code, ExitCode::kUnsupportedOps) << r.message;
  ASSERT_EQ(r.ops.size(), 1u) << r.message;
  EXPECT_EQ(r.ops[0].kind, "com.example::MyOp");
  EXPECT_EQ(r.ops[0].count, 2);
  EXPECT_NE(r.message.find("custom domain 'com.example'"), std::string::npos) << r.message;
}

TEST(Unsupported, EveryProblemInOneReport) {
  const Refusal r = refusal_of(fixture("bad/many_unsupported.onnx"));
  EXPECT_EQ(r.code, ExitCode::kUnsupportedOps) << r.message;
  std::vector<std::string> kinds;
  for (const auto& op : r.ops) kinds.push_back(op.kind);
  EXPECT_EQ(kinds, (std::vector<std::string>{"If", "ai.onnx.ml::Scaler", "com.example::Gadget"}));
  EXPECT_NE(r.message.find("ONNX-ML"), std::string::npos) << r.message;
}

TEST(Unsupported, DtypesWithoutIrForm) {
  const Refusal r = refusal_of(fixture("bad/uint32.onnx"));
  EXPECT_EQ(r.code, ExitCode::kUnsupportedOps) << r.message;
  EXPECT_NE(r.message.find("uint32"), std::string::npos) << r.message;
}

TEST(Unsupported, OpsetsOutsideSevenToSeventeen) {
  for (const char* name : {"bad/opset18.onnx", "bad/opset6.onnx"}) {
    const Refusal r = refusal_of(fixture(name));
    EXPECT_EQ(r.code, ExitCode::kUnsupportedOps) << r.message;
    EXPECT_NE(r.message.find("7 to 17"), std::string::npos) << r.message;
  }
}

TEST(Unsupported, SourceRefusesAtOpen) {
  try {
    open_onnx_source(fixture("bad/custom_domain.onnx"));
    ADD_FAILURE() << "opened";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kUnsupportedOps);
  }
}

}  // namespace
}  // namespace mlexport::frontend::onnx

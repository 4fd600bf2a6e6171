// The structural checker accepts what the emitter writes and rejects hand-corrupted files, one
// corruption per test, with a message naming the problem.
#include <fstream>
#include <regex>
#include <sstream>

#include "emit/openvino/openvino_check.h"
#include "graph_builders.h"
#include "mlexport/diagnostics.h"

namespace mlexport::testing {
namespace {

using V = std::vector<int64_t>;

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

class CheckerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Graph g;
    Value* x = input(g, {1, 3, 8, 8});
    Value* c = op_(g, "Conv", {x, weight(g, {4, 3, 3, 3}, 1), weight(g, {4}, 2)},
                   {{"pads", V{1, 1, 1, 1}}, {"strides", V{1, 1}}});
    g.mark_output(op_(g, "Relu", {c}));
    xml_ = dir_.file("model.xml");
    emit::emit_openvino(g, xml_, {});
    text_ = read_text(xml_);
  }

  // Applies `from` -> `to` once (the pattern must be there) and returns the checker's message.
  std::string corrupt_and_check(const std::string& from, const std::string& to) {
    return corrupt_and_check_ir(xml_, text_, from, to);
  }

  TempDir dir_;
  std::string xml_, text_;
};

TEST_F(CheckerTest, AcceptsTheEmittersOutput) {
  EXPECT_NO_THROW(emit::check_openvino_ir(xml_));
}

TEST_F(CheckerTest, RejectsConstOutsideTheBin) {
  std::string msg = corrupt_and_check(R"(offset="\d+")", R"(offset="99999999")");
  EXPECT_NE(msg.find("outside"), std::string::npos) << msg;
}

TEST_F(CheckerTest, RejectsConstSizeThatDoesNotMatchItsShape) {
  std::string msg = corrupt_and_check(R"(size="432")", R"(size="400")");
  EXPECT_NE(msg.find("size 400"), std::string::npos) << msg;
}

TEST_F(CheckerTest, RejectsDanglingEdge) {
  std::string msg = corrupt_and_check(R"(<edge from-layer="\d+")", R"(<edge from-layer="77")");
  EXPECT_NE(msg.find("dangling"), std::string::npos) << msg;
}

TEST_F(CheckerTest, RejectsEdgeToMissingPort) {
  std::string msg = corrupt_and_check(R"(to-port="1")", R"(to-port="5")");
  EXPECT_NE(msg.find("no input port 5"), std::string::npos) << msg;
}

TEST_F(CheckerTest, RejectsMissingRequiredAttribute) {
  std::string msg = corrupt_and_check(R"(strides="1, 1" )", "");
  EXPECT_NE(msg.find("required attribute 'strides' is missing"), std::string::npos) << msg;
}

TEST_F(CheckerTest, RejectsWrongPrecisionAcrossAnEdge) {
  // The Relu's input port claims FP16 while the producer writes FP32.
  std::string msg = corrupt_and_check(
      R"re((type="ReLU" version="opset1">\s*<input>\s*<port id="0" precision=)"FP32")re",
      R"re($1"FP16")re");
  EXPECT_NE(msg.find("precision FP32 flows into FP16"), std::string::npos) << msg;
}

TEST_F(CheckerTest, RejectsUnknownPrecision) {
  std::string msg = corrupt_and_check(R"(precision="FP32")", R"(precision="FP33")");
  EXPECT_NE(msg.find("unknown precision FP33"), std::string::npos) << msg;
}

TEST_F(CheckerTest, RejectsIncompatibleDims) {
  std::string msg = corrupt_and_check(
      R"re((type="ReLU" version="opset1">\s*<input>\s*<port id="0" precision="FP32">\s*<dim>)1<)re",
      "$012<");
  EXPECT_NE(msg.find("dims"), std::string::npos) << msg;
}

TEST_F(CheckerTest, RejectsTypeUnknownInItsOpset) {
  std::string msg =
      corrupt_and_check(R"(type="ReLU" version="opset1")", R"(type="ReLU" version="opset8")");
  EXPECT_NE(msg.find("not known in opset8"), std::string::npos) << msg;
}

TEST_F(CheckerTest, RejectsOtherIrVersion) {
  std::string msg =
      corrupt_and_check(R"(<net name="model" version="11")", R"(<net name="model" version="10")");
  EXPECT_NE(msg.find("not 11"), std::string::npos) << msg;
}

TEST_F(CheckerTest, RejectsDuplicateLayerId) {
  std::string msg = corrupt_and_check(R"(<layer id="1")", R"(<layer id="0")");
  EXPECT_NE(msg.find("used twice"), std::string::npos) << msg;
}

TEST_F(CheckerTest, RejectsInputPortWithoutEdge) {
  std::string msg = corrupt_and_check(
      R"(\s*<edge from-layer="\d+" from-port="\d+" to-layer="\d+" to-port="1" />)", "");
  EXPECT_NE(msg.find("0 incoming edges"), std::string::npos) << msg;
}

TEST_F(CheckerTest, RejectsMalformedXml) {
  std::string msg = corrupt_and_check(R"(</layers>)", "</layer>");
  EXPECT_NE(msg.find("not well-formed"), std::string::npos) << msg;
}

TEST_F(CheckerTest, RejectsWrongPortCount) {
  std::string msg = corrupt_and_check(R"(type="Result")", R"(type="ReLU")");
  // The former Result has an input and no output: a ReLU needs one of each.
  EXPECT_NE(msg.find("has 0 output ports"), std::string::npos) << msg;
}

TEST_F(CheckerTest, RejectsGraphWithoutResult) {
  write_text(xml_,
             std::regex_replace(
                 std::regex_replace(text_, std::regex(R"(<layer id="6"[\s\S]*?</layer>)"), ""),
                 std::regex(R"(<edge[^>]*to-layer="6"[^>]*/>)"), ""));
  try {
    emit::check_openvino_ir(xml_);
    ADD_FAILURE() << "accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no Result layer"), std::string::npos) << e.what();
  }
}

TEST_F(CheckerTest, RejectsCycle) {
  // The Add (layer 4) takes the Relu's output (layer 5) instead of the convolution's:
  // Add -> Relu -> Add.
  std::string msg = corrupt_and_check(R"(<edge from-layer="2" from-port="2")",
                                      R"(<edge from-layer="5" from-port="1")");
  EXPECT_NE(msg.find("cycle"), std::string::npos) << msg;
}

}  // namespace
}  // namespace mlexport::testing

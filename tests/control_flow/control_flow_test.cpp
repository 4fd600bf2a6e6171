// Scripted models with data-dependent control flow
// (tests/control_flow/make_control_flow_models.py): each is exported to ONNX from its first input
// set, then run in ONNX Runtime on every input set (inputs chosen to take every branch and several
// loop counts) and compared with what the scripted module gave in LibTorch; the same for OpenVINO
// IR (If-8, Loop-5), whose files are read back into ONNX and run in ONNX Runtime, as its
// validation does (no OpenVINO runtime exists on this platform).
#include <gtest/gtest.h>

#include <stdlib.h>
#include "common/temp_dir.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "emit/onnx/onnx_emitter.h"
#include "frontend/openvino_ir/openvino_reader.h"
#include "io/npy.h"
#include "mlexport/diagnostics.h"
#include "mlexport/export.h"
#include "runtime/onnxruntime_runner.h"

namespace mlexport {
namespace {

namespace fs = std::filesystem;
using ir::Tensor;

const std::vector<std::string> kModels = {"if_on_value",    "if_on_size",     "for_over_size",
                                          "while_on_value", "greedy_decoder", "nested",
                                          "list_in_loop",   "list_len_index", "size_in_loop"};

fs::path models_dir() {
  const char* dir = std::getenv("MLEXPORT_CONTROL_FLOW_MODELS");
  return dir ? fs::path(dir) : fs::path();
}

using TempDir = mlexport::test_support::TempDir;

struct Run {
  std::vector<Tensor> inputs, expected;
  std::string what;
};

struct Case {
  std::string dynamic_axes;
  std::vector<Run> runs;
};

Case load_case(const std::string& name) {
  const fs::path dir = models_dir() / name;
  std::ifstream in(dir / "case.json");
  nlohmann::json j = nlohmann::json::parse(in);
  Case c;
  c.dynamic_axes = j.at("dynamic_axes").get<std::string>();
  size_t k = 0;
  for (const auto& r : j.at("runs")) {
    Run run;
    run.what = r.at("what").get<std::string>();
    const fs::path run_dir = dir / ("run_" + std::to_string(k++));
    for (int i = 0; i < r.at("inputs").get<int>(); ++i)
      run.inputs.push_back(
          io::read_npy((run_dir / ("input_" + std::to_string(i) + ".npy")).string()));
    for (int i = 0; i < r.at("outputs").get<int>(); ++i)
      run.expected.push_back(
          io::read_npy((run_dir / ("expected_" + std::to_string(i) + ".npy")).string()));
    c.runs.push_back(std::move(run));
  }
  return c;
}

ExportRequest request_for(const std::string& name, const Case& c, const fs::path& tmp,
                          const std::string& format) {
  ExportRequest r;
  r.model_path = (models_dir() / name / "model.pt").string();
  r.format = format;
  r.output_path = (tmp / (name + (format == "onnx" ? ".onnx" : ".xml"))).string();
  r.opset_version = 17;
  io::NamedTensors named;
  for (size_t k = 0; k < c.runs[0].inputs.size(); ++k)
    named.emplace_back("input_" + std::to_string(k), c.runs[0].inputs[k]);
  const std::string sample = (tmp / (name + "_example.npz")).string();
  io::write_npz(sample, named);
  r.validation.sample_input = sample;
  for (size_t k = 0; k < c.runs[0].inputs.size(); ++k)
    r.inputs.push_back(
        {c.runs[0].inputs[k].shape, std::string(ir::dtype_name(c.runs[0].inputs[k].dtype))});
  if (!c.dynamic_axes.empty() && format == "onnx") {  // "input:1"
    const auto colon = c.dynamic_axes.find(':');
    const int64_t axis = std::stoll(c.dynamic_axes.substr(colon + 1));
    r.dynamic_axes_spec[c.dynamic_axes.substr(0, colon)][axis] = "dim" + std::to_string(axis);
  }
  return r;
}

std::string compare(const std::vector<Tensor>& got, const std::vector<Tensor>& want) {
  if (got.size() != want.size()) return std::to_string(got.size()) + " outputs";
  for (size_t k = 0; k < want.size(); ++k) {
    if (got[k].shape != want[k].shape)
      return "output " + std::to_string(k) + " shape " + ir::shape_to_string(got[k].shape) +
             " vs " + ir::shape_to_string(want[k].shape);
    for (int64_t i = 0; i < want[k].numel(); ++i) {
      const double a = got[k].value_as_double(i), b = want[k].value_as_double(i);
      if (!(std::fabs(a - b) <= 1e-5 + 1e-4 * std::fabs(b)))
        return "output " + std::to_string(k) + "[" + std::to_string(i) + "] " + std::to_string(a) +
               " vs " + std::to_string(b);
    }
  }
  return "";
}

bool ready(std::string* why) {
  if (models_dir().empty() || !fs::exists(models_dir() / "index.json")) {
    *why = "the models are written by the ctest fixture control_flow.generate";
    return false;
  }
  return runtime::onnxruntime_available(why);
}

class ControlFlow : public ::testing::TestWithParam<std::string> {};

TEST_P(ControlFlow, OnnxMatchesLibTorchOnEveryBranchAndLoopCount) {
  std::string why;
  if (!ready(&why)) GTEST_SKIP() << why;
  const std::string name = GetParam();
  const Case c = load_case(name);
  TempDir tmp;
  ExportRequest request = request_for(name, c, tmp.path(), "onnx");
  ExportResult result;
  ASSERT_NO_THROW(result = export_model(request)) << name;
  // Validation found the control flow and reports what its inputs took.
  EXPECT_FALSE(result.validation.control_flow.empty()) << name;
  EXPECT_NE(result.validation.status, "FAIL") << name;
  std::cout << name << ": " << result.validation.status << "; " << result.validation.control_flow
            << std::endl;
  for (size_t k = 0; k < c.runs.size(); ++k) {
    runtime::RunResult run = runtime::run_onnxruntime(request.output_path, c.runs[k].inputs);
    EXPECT_EQ(compare(run.outputs, c.runs[k].expected), "")
        << name << " run " << k << " (" << c.runs[k].what << ")";
  }
}

TEST_P(ControlFlow, OpenVinoMatchesLibTorchOnEveryBranchAndLoopCount) {
  std::string why;
  if (!ready(&why)) GTEST_SKIP() << why;
  const std::string name = GetParam();
  const Case c = load_case(name);
  if (!c.dynamic_axes.empty() && c.dynamic_axes != "input:0")
    GTEST_SKIP() << "OpenVINO IR takes a dynamic batch only; with " << c.dynamic_axes
                 << " fixed, this model's loop count is a constant and it has no control flow";
  TempDir tmp;
  ExportRequest request = request_for(name, c, tmp.path(), "openvino");
  request.dynamic_axes = !c.dynamic_axes.empty();
  ExportResult result;
  ASSERT_NO_THROW(result = export_model(request)) << name;
  EXPECT_FALSE(result.validation.control_flow.empty()) << name;
  EXPECT_NE(result.validation.status, "FAIL") << name;
  // The written IR still holds the control flow: If-8 or Loop-5 layers with their bodies.
  std::ifstream xml_in(request.output_path);
  const std::string xml((std::istreambuf_iterator<char>(xml_in)), std::istreambuf_iterator<char>());
  EXPECT_TRUE(xml.find("type=\"If\" version=\"opset8\"") != std::string::npos ||
              xml.find("type=\"Loop\" version=\"opset5\"") != std::string::npos)
      << name;
  const std::string onnx_path = (tmp.path() / (name + "_read_back.onnx")).string();
  emit::OnnxOptions onnx;
  onnx.opset_version = 17;
  emit::emit_onnx(*frontend::openvino_ir::read_openvino_ir(request.output_path), onnx_path, onnx);
  for (size_t k = 0; k < c.runs.size(); ++k) {
    runtime::RunResult run = runtime::run_onnxruntime(onnx_path, c.runs[k].inputs);
    EXPECT_EQ(compare(run.outputs, c.runs[k].expected), "")
        << name << " run " << k << " (" << c.runs[k].what << ")";
  }
}

INSTANTIATE_TEST_SUITE_P(Scripted, ControlFlow, ::testing::ValuesIn(kModels),
                         [](const auto& info) { return info.param; });

// Validation takes both branches although the example input takes one: it generates inputs
// until the other branch runs, and says so.
TEST(ControlFlowValidation, GeneratesInputsForTheBranchTheExampleMisses) {
  std::string why;
  if (!ready(&why)) GTEST_SKIP() << why;
  const Case c = load_case("if_on_value");
  TempDir tmp;
  ExportRequest request = request_for("if_on_value", c, tmp.path(), "onnx");
  ExportResult result = export_model(request);
  EXPECT_EQ(result.validation.status, "PASS");
  EXPECT_NE(result.validation.control_flow.find("both branches"), std::string::npos)
      << result.validation.control_flow;
}

}  // namespace
}  // namespace mlexport

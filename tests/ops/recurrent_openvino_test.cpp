// Recurrent op cases exported to OpenVINO IR end to end: TorchScript -> IR -> .xml/.bin ->
// structural check -> read back -> ONNX Runtime, compared by export_model's own validation with
// eager LibTorch on the case's inputs (at the case's tolerance). ONNX Runtime runs the read-back
// file because no OpenVINO runtime can be installed here.
#include <gtest/gtest.h>

#include <stdlib.h>
#include "common/temp_dir.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "io/npy.h"
#include "mlexport/diagnostics.h"
#include "mlexport/export.h"

namespace mlexport {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

json read_json(const fs::path& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  return json::parse(in);
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

using TempDir = mlexport::test_support::TempDir;

// The OpenVINO layer each case must contain: sequence ops map to one layer per layer and
// direction group; proj_size LSTMs and cells are unrolled into MatMul steps.
std::string expected_layer(const std::string& name) {
  if (name.find("cell") != std::string::npos || name.find("proj") != std::string::npos)
    return "MatMul";
  if (name.rfind("lstm", 0) == 0) return "LSTMSequence";
  if (name.rfind("gru", 0) == 0) return "GRUSequence";
  return "RNNSequence";
}

// Named so that `ctest -R recurrent` picks it up with the recurrent op family.
TEST(OpenVino, recurrent) {
  const char* dir = std::getenv("MLEXPORT_OP_CASES");
  if (!dir || !fs::exists(fs::path(dir) / "index.json"))
    GTEST_SKIP() << "no op cases (MLEXPORT_OP_CASES unset or ops.generate has not run)";
  const json index = read_json(fs::path(dir) / "index.json");
  if (!index.at("families").contains("recurrent"))
    GTEST_SKIP() << "index.json has no recurrent cases (a partial --only run)";

  TempDir tmp;
  int checked = 0;
  for (const auto& name_json : index.at("families").at("recurrent")) {
    const std::string name = name_json.get<std::string>();
    SCOPED_TRACE(name);
    const fs::path case_dir = fs::path(dir) / name;
    const json meta = read_json(case_dir / "case.json");

    io::NamedTensors named;
    ExportRequest request;
    for (size_t k = 0; k < meta.at("inputs").size(); ++k) {
      const json& in = meta.at("inputs")[k];
      request.inputs.push_back(
          {in.at("shape").get<std::vector<int64_t>>(), in.at("dtype").get<std::string>()});
      named.emplace_back(
          "input_" + std::to_string(k),
          io::read_npy((case_dir / ("input_" + std::to_string(k) + ".npy")).string()));
    }
    const std::string sample = (tmp.path() / (name + "_inputs.npz")).string();
    io::write_npz(sample, named);

    request.model_path = (case_dir / "model.pt").string();
    request.output_path = (tmp.path() / (name + ".xml")).string();
    request.format = "openvino";
    request.validation.sample_input = sample;
    request.validation.atol = meta.at("atol").get<double>();
    request.validation.rtol = meta.at("rtol").get<double>();

    ExportResult result;
    try {
      result = export_model(request);
    } catch (const Error& e) {
      ADD_FAILURE() << "export failed (exit code " << static_cast<int>(e.code())
                    << "): " << e.what();
      continue;
    }
    EXPECT_TRUE(result.validation.ran);
    EXPECT_TRUE(result.validation.passed) << "status " << result.validation.status;
    EXPECT_LE(result.validation.max_diff, meta.at("atol").get<double>());
    const std::string xml = read_text(request.output_path);
    EXPECT_NE(xml.find("type=\"" + expected_layer(name) + "\""), std::string::npos)
        << "no " << expected_layer(name) << " layer";
    std::cout << "[ " << name << " ] max|diff| " << result.validation.max_diff << " ("
              << result.validation.method << ")\n";
    ++checked;
  }
  EXPECT_GE(checked, 10);
}

}  // namespace
}  // namespace mlexport

// The JSON report is the library's: `ml-export --json` prints what export_report_json() returns
// for the same export, so API users, the CLI and the service (which stores the CLI's document)
// read the same fields.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <torch/torch.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "mlexport/exportable.h"
#include "mlexport/report.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct SmallNet : torch::nn::Module, mlexport::Exportable<SmallNet> {
  SmallNet() { fc = register_module("fc", torch::nn::Linear(6, 3)); }
  torch::Tensor forward(torch::Tensor x) { return torch::tanh(fc(x)); }
  mlexport::SampleInput sample_input() { return torch::randn({2, 6}); }
  torch::nn::Linear fc{nullptr};
};

// stdout of `command`, and its exit status in `status`.
std::string run_command(const std::string& command, int& status) {
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) return out;
  char buffer[4096];
  for (size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) out.append(buffer, n);
  status = ::pclose(pipe);
  return out;
}

// The fields that differ between two runs of one export: durations.
json without_durations(json doc) {
  doc.erase("timings");
  doc["validation"].erase("seconds");
  if (doc["validation"].contains("divergence")) doc["validation"]["divergence"].erase("seconds");
  return doc;
}

TEST(Report, TheCliPrintsTheLibrarysDocument) {
  const fs::path dir =
      fs::temp_directory_path() / ("mlexport-report-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string model = (dir / "small.ts").string();
  const std::string output = (dir / "small.onnx").string();
  SmallNet net;
  ASSERT_EQ(net.to_torchscript(model).validation.status, "PASS");

  int status = -1;
  const std::string printed =
      run_command(std::string(MLEXPORT_CLI) + " --checkpoint_path " + model + " --output_path " +
                      output + " --json 2>/dev/null",
                  status);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << printed;
  const json from_cli = json::parse(printed);

  mlexport::ExportRequest request;
  request.model_path = model;
  request.output_path = output;
  request.opset_version = 14;  // the CLI's default
  const mlexport::ExportResult result = mlexport::export_model(request);
  const json from_library = json::parse(mlexport::export_report_json(request, result));

  EXPECT_EQ(without_durations(from_cli), without_durations(from_library));
  // The fields the export service reads from the document.
  EXPECT_EQ(from_library["source_path"], model);
  EXPECT_EQ(from_library["output_path"], output);
  EXPECT_EQ(from_library["source_kind"], "torchscript");
  EXPECT_EQ(from_library["format"], "onnx");
  EXPECT_EQ(from_library["opset_version"], 14);
  EXPECT_GT(from_library["node_count"].get<int>(), 0);
  EXPECT_GT(from_library["file_size"].get<int64_t>(), 0);
  EXPECT_TRUE(from_library["timings"].contains("emit"));
  EXPECT_EQ(from_library["validation"]["status"], "PASS");
  EXPECT_EQ(from_library["validation"]["outputs"].size(), 1u);
  EXPECT_FALSE(from_library.contains("error"));
  fs::remove_all(dir);
}

TEST(Report, FailedValidationCarriesTheErrorBlock) {
  mlexport::ExportRequest request;
  request.model_path = "model.pt";
  mlexport::ExportResult result;
  result.format = "onnx";
  result.validation.ran = true;
  result.validation.status = "FAIL";
  result.validation.passed = false;
  const json doc = json::parse(mlexport::export_report_json(request, result));
  EXPECT_EQ(doc["error"]["code"], "validation_failed");
  EXPECT_EQ(doc["error"]["exit_code"], 1);
  EXPECT_EQ(doc["error"]["message"], "validation failed (FAIL)");
  EXPECT_EQ(doc["source_path"], "model.pt");
}

}  // namespace

// Op cases exported to OpenVINO IR end to end: TorchScript -> IR -> .xml/.bin -> structural
// check -> read back -> ONNX Runtime, compared by export_model's own validation with eager
// LibTorch on the case's inputs (at the case's tolerance). ONNX Runtime runs the read-back file
// because no OpenVINO runtime can be installed here. Each test is named after the op family
// whose cases it exports, so that `ctest -R <family>` runs it with that family's ONNX test.
#include <gtest/gtest.h>

#include <stdlib.h>
#include "common/temp_dir.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
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

std::optional<json> g_index;

// The case index, or nullptr when the fixtures are missing or `family` is not in them.
const json* index_with(const std::string& family) {
  const char* dir = std::getenv("MLEXPORT_OP_CASES");
  if (!dir || !fs::exists(fs::path(dir) / "index.json")) return nullptr;
  if (!g_index) g_index = read_json(fs::path(dir) / "index.json");
  if (!g_index->at("families").contains(family)) return nullptr;
  return &*g_index;
}

fs::path case_dir(const std::string& name) {
  return fs::path(std::getenv("MLEXPORT_OP_CASES")) / name;
}

// Exports case `name` to OpenVINO IR with validation on; the file lands in `tmp`.
ExportResult export_case(const std::string& name, const TempDir& tmp, ExportRequest& request) {
  const fs::path dir = case_dir(name);
  const json meta = read_json(dir / "case.json");
  io::NamedTensors named;
  for (size_t k = 0; k < meta.at("inputs").size(); ++k) {
    const json& in = meta.at("inputs")[k];
    request.inputs.push_back(
        {in.at("shape").get<std::vector<int64_t>>(), in.at("dtype").get<std::string>()});
    named.emplace_back("input_" + std::to_string(k),
                       io::read_npy((dir / ("input_" + std::to_string(k) + ".npy")).string()));
  }
  const std::string sample = (tmp.path() / (name + "_inputs.npz")).string();
  io::write_npz(sample, named);
  request.model_path = (dir / "model.pt").string();
  request.output_path = (tmp.path() / (name + ".xml")).string();
  request.format = "openvino";
  request.validation.sample_input = sample;
  request.validation.atol = meta.at("atol").get<double>();
  request.validation.rtol = meta.at("rtol").get<double>();
  return export_model(request);
}

// Exports case `name` and expects a validation PASS within the case's tolerance, with at least
// one `layer` in the written .xml. Returns false when the export failed.
bool expect_validated(const std::string& name, const std::string& layer) {
  SCOPED_TRACE(name);
  TempDir tmp;
  ExportRequest request;
  ExportResult result;
  try {
    result = export_case(name, tmp, request);
  } catch (const Error& e) {
    ADD_FAILURE() << "export failed (exit code " << static_cast<int>(e.code()) << "): " << e.what();
    return false;
  }
  const double atol = read_json(case_dir(name) / "case.json").at("atol").get<double>();
  EXPECT_TRUE(result.validation.ran);
  EXPECT_TRUE(result.validation.passed) << "status " << result.validation.status;
  EXPECT_LE(result.validation.max_diff, atol);
  const std::string xml = read_text(request.output_path);
  EXPECT_NE(xml.find("type=\"" + layer + "\""), std::string::npos) << "no " << layer << " layer";
  std::cout << "[ " << name << " ] " << layer << ": max|diff| " << result.validation.max_diff
            << " (" << result.validation.method << ")\n";
  return true;
}

// The OpenVINO layer each recurrent case must contain: sequence ops map to one layer per layer
// and direction group; proj_size LSTMs and cells are unrolled into MatMul steps.
std::string expected_recurrent_layer(const std::string& name) {
  if (name.find("cell") != std::string::npos || name.find("proj") != std::string::npos)
    return "MatMul";
  if (name.rfind("lstm", 0) == 0) return "LSTMSequence";
  if (name.rfind("gru", 0) == 0) return "GRUSequence";
  return "RNNSequence";
}

TEST(OpenVino, recurrent) {
  const json* index = index_with("recurrent");
  if (!index) GTEST_SKIP() << "no recurrent op cases (ops.generate has not run, or --only)";
  int checked = 0;
  for (const auto& name : index->at("families").at("recurrent"))
    checked += expect_validated(name.get<std::string>(),
                                expected_recurrent_layer(name.get<std::string>()));
  EXPECT_GE(checked, 10);
}

// Cases of other families with an OpenVINO translation, each with the layer it must produce.
struct OvCase {
  const char* name;
  const char* layer;
};

void run_cases(const std::string& family, const std::vector<OvCase>& cases) {
  const json* index = index_with(family);
  if (!index) GTEST_SKIP() << "no " << family << " op cases (ops.generate has not run, or --only)";
  const json& listed = index->at("families").at(family);
  for (const OvCase& c : cases) {
    ASSERT_NE(std::find(listed.begin(), listed.end(), c.name), listed.end())
        << c.name << " is not a " << family << " case";
    expect_validated(c.name, c.layer);
  }
}

// Scatters (ScatterElementsUpdate-3/-12, ScatterNDUpdate-3/-15) and NonZero-3.
TEST(OpenVino, select) {
  run_cases("select", {{"scatter_src_value", "ScatterElementsUpdate"},
                       {"scatter_add_reduce", "ScatterElementsUpdate"},
                       {"index_put", "ScatterNDUpdate"},
                       {"index_put_leading_none_mask", "ScatterNDUpdate"},
                       {"index_put_accumulate", "ScatterNDUpdate"},
                       {"masked_select", "NonZero"}});
}

// uint8 shifts: BitwiseLeftShift-15 / BitwiseRightShift-15 (other integer shifts are Mul/Div);
// integer and/or/xor as bit planes (pass legalize-openvino).
TEST(OpenVino, bitwise) {
  run_cases("bitwise", {{"shifts_uint8", "BitwiseLeftShift"},
                        {"bitwise_int", "ReduceSum"},
                        {"bitwise_int_widths", "ReduceSum"},
                        {"bitwise_int64_extremes", "ReduceSum"}});
}

// Indexing with several index tensors as GatherND-8.
TEST(OpenVino, shape) {
  run_cases("shape", {{"advanced_index_pairs", "GatherND"}});
}

// pixel_shuffle as DepthToSpace-1 (depth_first: ONNX's CRD), at ranks 4 and above.
TEST(OpenVino, pad) {
  run_cases("pad", {{"pixel_shuffle", "DepthToSpace"}, {"pixel_shuffle_ranks", "DepthToSpace"}});
}

// GridSample-9: bilinear and nearest, zeros/border/reflection padding, both align_corners.
TEST(OpenVino, sampling) {
  run_cases("sampling", {{"grid_sample", "GridSample"}});
}

// ONNX DFT as DFT-7 (complex, and real with a zero imaginary part), IDFT-7, RDFT-9 (one-sided).
TEST(OpenVino, spectral) {
  run_cases("spectral", {{"rfft_abs", "RDFT"},
                         {"fft_view_as_real", "DFT"},
                         {"fft_norms", "IDFT"},
                         {"fft_dim0", "DFT"},
                         {"fft2_fftn", "DFT"},
                         {"irfft_roundtrip", "IDFT"},
                         {"stft_spectrogram", "RDFT"}});
}

// NonMaxSuppression-9 (cut to valid_outputs), ROIAlign-9, ROIPooling-2; torchvision's batched_nms
// keeps its emptiness check as If-8.
TEST(OpenVino, detection) {
  run_cases("detection", {{"nms", "NonMaxSuppression"},
                          {"batched_nms", "If"},
                          {"batched_nms_offsets", "NonMaxSuppression"},
                          {"roi_align", "ROIAlign"},
                          {"roi_align_unaligned", "ROIAlign"},
                          {"roi_pool", "ROIPooling"}});
}

}  // namespace
}  // namespace mlexport

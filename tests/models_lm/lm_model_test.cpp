// Language-model tests: a BERT-style classifier with padding, a GPT-style causal decoder and an
// encoder-decoder nn.Transformer, traced by make_lm_models.py (int64 token ids), exported with
// mlexport::export_model and compared with LibTorch eager.
//
// Per model:
//   Fixed    ONNX at the traced shape, validated by the library in ONNX Runtime on the fixture's
//            own token ids (scaled max diff <= 1e-4).
//   Dynamic  ONNX with dynamic axes (batch through the library; the sequence dims of inputs and
//            outputs renamed to symbols in the written file, standing in for a --dynamic_axes
//            spec with sequence dims), run in ONNX Runtime at the traced shape and at another
//            batch size and sequence length, compared with eager on the same ids. This proves the
//            file computes masks, positions and reshapes from the input's shape.
//   OpenVINO IR at the traced shape, validated by the library (structural check + read back
//            into ONNX Runtime).
//
// Environment: MLEXPORT_LM_DIR (fixtures); exports go to MLEXPORT_LM_OUT, else out/ beside the
// fixtures folder, and are removed when a test passes.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "io/npy.h"
#include "mlexport/export.h"
#include "runtime/libtorch/torch_reference.h"
#include "runtime/onnxruntime_runner.h"
#include "torchmodel/torch_model_handle.h"

namespace mlexport {
namespace {

namespace fs = std::filesystem;
constexpr double kMaxScaledDiff = 1e-4;

std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

struct Fixture {
  fs::path pt, inputs_a, inputs_b;
  nlohmann::json meta;
};

Fixture load_fixture(const std::string& name) {
  const fs::path dir = env_or("MLEXPORT_LM_DIR", "");
  Fixture f{dir / (name + ".pt"), dir / (name + ".a.npz"), dir / (name + ".b.npz"), {}};
  const fs::path meta = dir / (name + ".json");
  if (dir.empty() || !fs::exists(f.pt) || !fs::exists(meta))
    throw std::runtime_error("fixture " + f.pt.string() +
                             " is missing (the lm.generate ctest fixture writes it)");
  f.meta = nlohmann::json::parse(std::ifstream(meta));
  return f;
}

std::vector<ir::Tensor> read_inputs(const fs::path& npz) {
  std::vector<ir::Tensor> out;
  for (auto& [name, t] : io::read_npz(npz.string())) out.push_back(t);
  return out;
}

fs::path out_dir() {
  const fs::path fixtures = env_or("MLEXPORT_LM_DIR", fs::temp_directory_path().string());
  fs::path dir = env_or("MLEXPORT_LM_OUT", (fixtures.parent_path() / "out").string());
  fs::create_directories(dir);
  return dir;
}

ExportRequest base_request(const Fixture& f, const fs::path& output) {
  ExportRequest r;
  r.model_path = f.pt.string();
  r.output_path = output.string();
  for (const auto& in : f.meta["inputs"])
    r.inputs.push_back({in["shape"].get<std::vector<int64_t>>(), in["dtype"]});
  r.validation.enabled = true;
  r.validation.sample_input = f.inputs_a.string();
  return r;
}

// Library validation: ran, passed, every output within the scaled bound and not all zeros.
void expect_validated(const ExportResult& result, const std::string& what) {
  const ValidationResult& v = result.validation;
  std::cout << what << ": " << result.node_count << " nodes, " << result.output_bytes / 1e6
            << " MB; " << v.status << " (" << v.method << ", " << v.runtime << ")\n";
  for (const auto& m : v.outputs)
    std::cout << "  [" << m.name << "] max diff " << m.max_diff << " scaled " << m.scaled_max_diff
              << "\n";
  for (const auto& note : v.notes) std::cout << "  note: " << note << "\n";
  EXPECT_TRUE(v.ran) << what;
  EXPECT_TRUE(v.passed) << what << ": " << v.status;
  ASSERT_FALSE(v.outputs.empty()) << what;
  for (const auto& m : v.outputs) {
    EXPECT_LE(m.scaled_max_diff, kMaxScaledDiff) << what << " " << m.name;
    EXPECT_GT(m.max_abs_reference, 1e-6) << what << " " << m.name << ": reference all zeros";
  }
}

// Max |a - b| / max(1, max |b|) over every output; shapes must agree.
double scaled_diff(const std::vector<ir::Tensor>& got, const std::vector<ir::Tensor>& want) {
  EXPECT_EQ(got.size(), want.size());
  double worst = 0;
  for (size_t k = 0; k < std::min(got.size(), want.size()); ++k) {
    EXPECT_EQ(got[k].shape, want[k].shape) << "output " << k;
    if (got[k].shape != want[k].shape) return INFINITY;
    double diff = 0, ref = 1;
    for (int64_t i = 0; i < want[k].numel(); ++i) {
      const double a = got[k].value_as_double(i), b = want[k].value_as_double(i);
      diff = std::max(diff, std::isnan(a - b) ? INFINITY : std::fabs(a - b));
      ref = std::max(ref, std::fabs(b));
    }
    worst = std::max(worst, diff / ref);
  }
  return worst;
}

// Renames dim 1 (the sequence) of every input, and each output dim past 0 whose size is one of
// the inputs' sequence lengths, to symbols.
void make_sequence_dynamic(const fs::path& onnx_path, const nlohmann::json& inputs) {
  onnx::ModelProto model;
  {
    std::ifstream in(onnx_path, std::ios::binary);
    ASSERT_TRUE(model.ParseFromIstream(&in)) << onnx_path;
  }
  std::map<int64_t, std::string> by_length;
  auto* graph = model.mutable_graph();
  for (int k = 0; k < graph->input_size(); ++k) {
    auto* shape = graph->mutable_input(k)->mutable_type()->mutable_tensor_type()->mutable_shape();
    ASSERT_GE(shape->dim_size(), 2);
    const int64_t length = inputs[k]["shape"][1].get<int64_t>();
    auto it = by_length.emplace(length, "sequence_" + std::to_string(k)).first;
    shape->mutable_dim(1)->set_dim_param(it->second);
  }
  for (auto& out : *graph->mutable_output()) {
    auto* shape = out.mutable_type()->mutable_tensor_type()->mutable_shape();
    for (int d = 1; d < shape->dim_size(); ++d) {
      auto it = by_length.find(shape->dim(d).dim_value());
      if (shape->dim(d).has_dim_value() && it != by_length.end())
        shape->mutable_dim(d)->set_dim_param(it->second);
    }
  }
  graph->clear_value_info();
  std::ofstream out(onnx_path, std::ios::binary | std::ios::trunc);
  ASSERT_TRUE(model.SerializeToOstream(&out));
}

class LanguageModel : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    std::string why;
    if (!runtime::onnxruntime_available(&why)) GTEST_SKIP() << "ONNX Runtime unavailable: " << why;
  }
};

TEST_P(LanguageModel, FixedShapeOnnx) {
  const Fixture f = load_fixture(GetParam());
  const fs::path onnx = out_dir() / (GetParam() + ".fixed.onnx");
  ExportResult result = export_model(base_request(f, onnx));
  expect_validated(result, GetParam() + " (ONNX, fixed shape)");
  if (!HasFailure()) fs::remove(onnx);
}

TEST_P(LanguageModel, DynamicBatchAndSequenceOnnx) {
  const Fixture f = load_fixture(GetParam());
  const fs::path onnx = out_dir() / (GetParam() + ".dynamic.onnx");
  ExportRequest request = base_request(f, onnx);
  request.dynamic_axes = true;
  ExportResult result = export_model(request);
  expect_validated(result, GetParam() + " (ONNX, dynamic batch)");
  make_sequence_dynamic(onnx, f.meta["inputs"]);
  if (HasFatalFailure()) return;

  auto eager = runtime::libtorch::make_torch_reference(torchmodel::load_torchscript(f.pt.string()));
  for (const fs::path& set : {f.inputs_a, f.inputs_b}) {
    std::vector<ir::Tensor> inputs = read_inputs(set);
    std::vector<ir::Tensor> want = eager->run(inputs);
    runtime::RunResult got = runtime::run_onnxruntime(onnx.string(), inputs);
    const double diff = scaled_diff(got.outputs, want);
    std::string shapes;
    for (const auto& t : inputs) shapes += ir::shape_to_string(t.shape) + " ";
    std::cout << GetParam() << " inputs " << shapes << "-> output "
              << ir::shape_to_string(want.at(0).shape) << ": scaled max diff vs eager " << diff
              << "\n";
    EXPECT_LE(diff, kMaxScaledDiff) << set;
  }
  if (!HasFailure()) fs::remove(onnx);
}

TEST_P(LanguageModel, OpenVinoReadBack) {
  const Fixture f = load_fixture(GetParam());
  const fs::path xml = out_dir() / (GetParam() + ".xml");
  ExportRequest request = base_request(f, xml);
  request.format = "openvino";
  ExportResult result = export_model(request);
  expect_validated(result, GetParam() + " (OpenVINO IR)");
  if (!HasFailure()) {
    fs::remove(xml);
    for (const auto& extra : result.extra_paths) fs::remove(extra);
  }
}

INSTANTIATE_TEST_SUITE_P(Models, LanguageModel,
                         ::testing::Values("bert_classifier", "gpt_decoder", "seq2seq_transformer"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

}  // namespace
}  // namespace mlexport

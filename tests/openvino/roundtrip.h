// Test support: hand-built IR graphs taken through both paths and compared in ONNX Runtime:
//   IR -> ONNX -> ONNX Runtime
//   IR -> OpenVINO IR -> check -> read back -> ONNX -> ONNX Runtime
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "emit/openvino/openvino_emitter.h"
#include "ir/graph.h"

namespace mlexport::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  const std::filesystem::path& path() const { return path_; }
  size_t entries() const;

 private:
  std::filesystem::path path_;
};

struct RoundTrip {
  double max_abs_diff = 0;  // over every output element
  std::vector<ir::Tensor> direct, through_openvino;
  std::string xml;  // the written .xml text
  int layers = 0;
};

// Seeded N(0, 1) floats (or small ints / bools for other dtypes).
ir::Tensor random_tensor(ir::DType dtype, const std::vector<int64_t>& shape, unsigned seed);
// Random inputs matching the graph's inputs, with `fixed` for symbolic dims.
std::vector<ir::Tensor> random_inputs(const ir::Graph& g, unsigned seed = 1, int64_t fixed = 2);

// Runs both paths; fails the current test (ADD_FAILURE) on any error and on shape or dtype
// mismatch between the two sets of outputs.
// `reference`, when given, is emitted to ONNX in place of `g` (for ops ONNX opset 17 lacks).
RoundTrip round_trip(const ir::Graph& g, const std::vector<ir::Tensor>& inputs,
                     const emit::OpenVinoOptions& options = {},
                     const ir::Graph* reference = nullptr);

// Rewrites the IR file `xml` (whose text is `text`) with `from` -> `to` applied once (the pattern
// must be there) and returns the structural checker's message; fails the test when the checker
// accepts the file.
std::string corrupt_and_check_ir(const std::string& xml, const std::string& text,
                                 const std::string& from, const std::string& to);

// Whether ONNX Runtime can run here; the reason if not.
bool ort_ready(std::string* why);

// Shorthands for building graphs.
ir::Tensor floats(const std::vector<int64_t>& shape, unsigned seed, float scale = 1.0f);
ir::Value* weight(ir::Graph& g, const std::vector<int64_t>& shape, unsigned seed,
                  float scale = 0.5f);

}  // namespace mlexport::testing

// Skips the test when ONNX Runtime is missing, saying why.
#define REQUIRE_ORT()                                       \
  do {                                                      \
    std::string why_;                                       \
    if (!mlexport::testing::ort_ready(&why_))               \
      GTEST_SKIP() << "ONNX Runtime unavailable: " << why_; \
  } while (0)

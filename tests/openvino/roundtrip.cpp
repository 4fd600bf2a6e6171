#include "roundtrip.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cmath>
#include <fstream>
#include <random>
#include <regex>
#include <sstream>

#include "emit/onnx/onnx_emitter.h"
#include "emit/openvino/openvino_check.h"
#include "frontend/openvino_ir/openvino_reader.h"
#include "mlexport/diagnostics.h"
#include "runtime/onnxruntime_runner.h"

namespace mlexport::testing {

namespace fs = std::filesystem;

TempDir::TempDir() {
  std::string tmpl = (fs::temp_directory_path() / "openvino_test-XXXXXX").string();
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

size_t TempDir::entries() const {
  return static_cast<size_t>(std::distance(fs::directory_iterator(path_), {}));
}

ir::Tensor random_tensor(ir::DType dtype, const std::vector<int64_t>& shape, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  ir::Tensor f(ir::DType::Float32, shape);
  for (int64_t k = 0; k < f.numel(); ++k) f.data<float>()[k] = normal(rng);
  if (dtype == ir::DType::Float32) return f;
  if (dtype == ir::DType::Bool) {
    ir::Tensor b(dtype, shape);
    for (int64_t k = 0; k < b.numel(); ++k) b.data<uint8_t>()[k] = f.data<float>()[k] > 0;
    return b;
  }
  if (!ir::is_floating(dtype)) {
    for (int64_t k = 0; k < f.numel(); ++k) f.data<float>()[k] = std::round(f.data<float>()[k] * 4);
  }
  return f.cast(dtype);
}

std::vector<ir::Tensor> random_inputs(const ir::Graph& g, unsigned seed, int64_t fixed) {
  std::vector<ir::Tensor> out;
  for (const ir::Value* v : g.inputs()) {
    std::vector<int64_t> shape;
    for (const ir::Dim& d : *v->shape) shape.push_back(d.is_fixed() ? d.size : fixed);
    out.push_back(random_tensor(v->dtype, shape, seed++));
  }
  return out;
}

std::string corrupt_and_check_ir(const std::string& xml, const std::string& text,
                                 const std::string& from, const std::string& to) {
  std::regex re(from);
  EXPECT_TRUE(std::regex_search(text, re)) << "pattern not in the file: " << from;
  std::ofstream(xml, std::ios::binary)
      << std::regex_replace(text, re, to, std::regex_constants::format_first_only);
  try {
    emit::check_openvino_ir(xml);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kInternal);
    return e.what();
  }
  ADD_FAILURE() << "the checker accepted the corrupted file";
  return "";
}

bool ort_ready(std::string* why) {
  return runtime::onnxruntime_available(why);
}

ir::Tensor floats(const std::vector<int64_t>& shape, unsigned seed, float scale) {
  ir::Tensor t = random_tensor(ir::DType::Float32, shape, seed);
  for (int64_t k = 0; k < t.numel(); ++k) t.data<float>()[k] *= scale;
  return t;
}

ir::Value* weight(ir::Graph& g, const std::vector<int64_t>& shape, unsigned seed, float scale) {
  return g.add_constant(floats(shape, seed, scale), "w");
}

namespace {

double as_double(const ir::Tensor& t, int64_t k) {
  return t.value_as_double(k);
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

}  // namespace

RoundTrip round_trip(const ir::Graph& g, const std::vector<ir::Tensor>& inputs,
                     const emit::OpenVinoOptions& options, const ir::Graph* reference) {
  RoundTrip rt;
  TempDir dir;
  try {
    emit::emit_onnx(reference ? *reference : g, dir.file("direct.onnx"), {});
    auto written = emit::emit_openvino(g, dir.file("model.xml"), options);
    rt.layers = written.layer_count;
    rt.xml = read_text(dir.file("model.xml"));
    emit::check_openvino_ir(dir.file("model.xml"));
    auto back = frontend::openvino_ir::read_openvino_ir(dir.file("model.xml"));
    emit::emit_onnx(*back, dir.file("readback.onnx"), {});
    rt.direct = runtime::run_onnxruntime(dir.file("direct.onnx"), inputs).outputs;
    rt.through_openvino = runtime::run_onnxruntime(dir.file("readback.onnx"), inputs).outputs;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "round trip failed: " << e.what();
    rt.max_abs_diff = INFINITY;
    return rt;
  }
  if (rt.direct.size() != rt.through_openvino.size()) {
    ADD_FAILURE() << "output count " << rt.direct.size() << " vs " << rt.through_openvino.size();
    rt.max_abs_diff = INFINITY;
    return rt;
  }
  for (size_t k = 0; k < rt.direct.size(); ++k) {
    const ir::Tensor& a = rt.direct[k];
    const ir::Tensor& b = rt.through_openvino[k];
    if (a.shape != b.shape || a.dtype != b.dtype) {
      ADD_FAILURE() << "output " << k << ": " << ir::dtype_name(a.dtype)
                    << ir::shape_to_string(a.shape) << " vs " << ir::dtype_name(b.dtype)
                    << ir::shape_to_string(b.shape);
      rt.max_abs_diff = INFINITY;
      continue;
    }
    for (int64_t i = 0; i < a.numel(); ++i) {
      double x = as_double(a, i), y = as_double(b, i);
      double d = (std::isnan(x) && std::isnan(y)) ? 0.0 : std::fabs(x - y);
      if (std::isnan(d)) d = INFINITY;
      rt.max_abs_diff = std::max(rt.max_abs_diff, d);
    }
  }
  return rt;
}

}  // namespace mlexport::testing

#include "support.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <random>

#include <unistd.h>

namespace mlexport::frontend::onnx::testing {

namespace fs = std::filesystem;

std::string fixture_dir() {
  const char* dir = std::getenv("MLEXPORT_ONNX_FIXTURES");
  return dir ? dir : "";
}

std::string fixture(const std::string& relative) {
  const fs::path path = fs::path(fixture_dir()) / relative;
  if (fixture_dir().empty() || !fs::exists(path)) {
    ADD_FAILURE() << "fixture " << path << " is missing (MLEXPORT_ONNX_FIXTURES='" << fixture_dir()
                  << "'; the frontend_onnx.generate ctest fixture writes it)";
    return "";
  }
  return path.string();
}

ir::Tensor random_tensor(ir::DType dtype, const std::vector<int64_t>& shape, uint32_t seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::uniform_int_distribution<int> bit(0, 1);
  ir::Tensor values(ir::DType::Float64, shape);
  for (int64_t i = 0; i < values.numel(); ++i)
    values.data<double>()[i] = ir::is_floating(dtype) ? normal(gen) : bit(gen);
  return values.cast(dtype);
}

double max_abs_diff(const ir::Tensor& a, const ir::Tensor& b) {
  if (a.shape != b.shape) return std::numeric_limits<double>::infinity();
  double worst = 0;
  for (int64_t i = 0; i < a.numel(); ++i) {
    const double x = a.value_as_double(i), y = b.value_as_double(i);
    if (std::isnan(x) != std::isnan(y)) return std::numeric_limits<double>::infinity();
    if (!std::isnan(x)) worst = std::max(worst, std::fabs(x - y));
  }
  return worst;
}

namespace {

fs::path scratch_root() {
  return fs::temp_directory_path() / ("mlexport_frontend_onnx_" + std::to_string(::getpid()));
}

// Removes every scratch directory when the test program ends.
class ScratchCleanup : public ::testing::Environment {
 public:
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(scratch_root(), ec);
  }
};

const auto* const kCleanup = ::testing::AddGlobalTestEnvironment(new ScratchCleanup);

}  // namespace

std::string scratch_dir(const std::string& name) {
  const fs::path dir = scratch_root() / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir.string();
}

}  // namespace mlexport::frontend::onnx::testing

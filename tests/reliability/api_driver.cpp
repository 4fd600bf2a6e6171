// The C++ API side of the bad-input table: calls export_model() or one reader directly, as a
// program embedding mlexport would, and reports an mlexport::Error the way the table checks it
// (one "ERROR: " line on stderr, the Error's exit code). Any other exception is a failure (99).
//
// usage: reliability_api export --model_path P|--onnx_path P --output_path O [--format F]
//                               [--input_shape 1,3,8,8] [--opset_version N] [--sample_input P]
//        reliability_api import_onnx|read_openvino_ir|read_npy|read_npz|read_checkpoint PATH
#include <cstdio>
#include <exception>
#include <map>
#include <sstream>
#include <string>

#include "core/checkpoint_info.h"
#include "frontend/onnx/onnx_import.h"
#include "frontend/openvino_ir/openvino_reader.h"
#include "io/npy.h"
#include "mlexport/export.h"

namespace {

std::vector<int64_t> parse_shape(const std::string& text) {
  std::vector<int64_t> dims;
  std::stringstream in(text);
  for (std::string d; std::getline(in, d, ',');) dims.push_back(std::stoll(d));
  return dims;
}

void run_export(const std::map<std::string, std::string>& flags) {
  mlexport::ExportRequest request;
  auto get = [&](const std::string& key) {
    auto it = flags.find(key);
    return it == flags.end() ? std::string() : it->second;
  };
  request.model_path = get("--model_path");
  request.onnx_path = get("--onnx_path");
  request.output_path = get("--output_path");
  request.format = get("--format");
  if (!get("--input_shape").empty()) request.inputs = {{parse_shape(get("--input_shape"))}};
  if (!get("--opset_version").empty()) request.opset_version = std::stoi(get("--opset_version"));
  request.validation.sample_input = get("--sample_input");
  (void)mlexport::export_model(request);
}

void run_reader(const std::string& what, const std::string& path) {
  using namespace mlexport;
  if (what == "import_onnx") {
    (void)frontend::onnx::import_onnx(path, frontend::ImportOptions{});
  } else if (what == "read_openvino_ir") {
    (void)frontend::openvino_ir::read_openvino_ir(path);
  } else if (what == "read_npy") {
    (void)io::read_npy(path);
  } else if (what == "read_npz") {
    (void)io::read_npz(path);
  } else if (what == "read_checkpoint") {
    (void)core::read_checkpoint(path, core::detect_source_kind(path));
  } else {
    throw std::invalid_argument("unknown entry point " + what);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: reliability_api export FLAGS... | READER PATH\n");
    return 99;
  }
  const std::string what = argv[1];
  try {
    if (what == "export") {
      std::map<std::string, std::string> flags;
      for (int k = 2; k + 1 < argc; k += 2) flags[argv[k]] = argv[k + 1];
      run_export(flags);
    } else {
      run_reader(what, argv[2]);
    }
  } catch (const mlexport::Error& e) {
    std::fprintf(stderr, "ERROR: %s\n", e.what());
    return static_cast<int>(e.code());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "UNEXPECTED %s\n", e.what());
    return 99;
  }
  std::printf("ok\n");
  return 0;
}

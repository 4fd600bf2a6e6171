// libFuzzer target: the export service's request parsing, as POST /api/projects/{id}/exports does
// it before touching the workspace: body -> JSON -> checked fields -> normalized options -> CLI
// flags. No server runs. Only store::RequestError (the API's 4xx) may escape.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "service/export_request.h"
#include "service/formats.h"
#include "store/errors.h"

namespace {

// What `ml-export --list_formats --json` prints, trimmed to the fields the registry reads.
const mlexport::service::FormatRegistry& registry() {
  static const mlexport::service::FormatRegistry formats(nlohmann::json::parse(R"([
    {"name": "onnx", "available": true},
    {"name": "openvino", "available": true},
    {"name": "torchscript", "available": true},
    {"name": "tensorrt", "available": false, "unavailable_reason": "no TensorRT runtime"}])"));
  return formats;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mlexport::service;
  try {
    const nlohmann::json body =
        parse_json_body(std::string_view(reinterpret_cast<const char*>(data), size));
    const ExportRequest request = check_export_request(body);
    const nlohmann::json options =
        registry().normalize_options(request.format, request.options, {1, 3, 224, 224});
    (void)FormatRegistry::cli_flags(request.format, options);
    (void)options.dump();
  } catch (const mlexport::store::RequestError&) {
  }
  return 0;
}

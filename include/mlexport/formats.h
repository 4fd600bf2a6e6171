// The export formats mlexport knows, whether each is available here, and why not.
#pragma once

#include <string>
#include <vector>

namespace mlexport {

struct FormatInfo {
  std::string name;                     // "onnx", as given to --format
  std::string display_name;             // "ONNX"
  std::vector<std::string> extensions;  // ".onnx"; the first is the default output extension
  bool available = false;
  std::string unavailable_reason;  // empty when available
  std::string validated_by;        // the runtime that checks an export in this format
  std::string description;
  std::string node_unit = "nodes";  // what ExportResult::node_count counts ("layers" in OpenVINO)
};

// Every format, available or not, in the order they are listed to users.
std::vector<FormatInfo> list_formats();
// The format called `name`, or nullptr.
const FormatInfo* find_format(const std::string& name);
// The format an output path's extension selects ("model.xml" -> openvino), or nullptr. Where two
// formats share an extension, the Exportable convention wins: ".pt" is TorchScript.
const FormatInfo* format_for_path(const std::string& path);

}  // namespace mlexport

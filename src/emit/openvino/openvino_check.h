// A structural checker for OpenVINO IR v11 files, standing in for OpenVINO's own reader (no
// OpenVINO runtime is available here). It knows the opset tables from the public specifications
// and shares no code with the emitter.
#pragma once

#include <string>

namespace mlexport::emit {

// Checks `xml_path` and the .bin beside it: well-formed XML, IR version 11, unique layer ids,
// every layer type known in its declared opset with its required attributes and port counts,
// every port with a known precision and integer dims, every edge between existing ports with
// equal precision and compatible dims, exactly one edge into every input port, Const data inside
// the .bin with size == elements * element size, at least one Parameter and one Result, and no
// cycle. Throws mlexport::Error(kInternal) naming the first problem found.
void check_openvino_ir(const std::string& xml_path);

}  // namespace mlexport::emit

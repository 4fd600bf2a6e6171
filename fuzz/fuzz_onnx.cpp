// libFuzzer target: the ONNX file frontend (what --onnx_path reads) on arbitrary bytes, with and
// without the dynamic-batch rewrite. Only mlexport::Error may escape.
#include <cstddef>
#include <cstdint>

#include "frontend/onnx/onnx_import.h"
#include "mlexport/diagnostics.h"
#include "scratch_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = fuzz::write_scratch("model.onnx", data, size);
  mlexport::frontend::ImportOptions options;
  // One input bit picks the option, so both paths see every shape of file.
  options.dynamic_batch = size > 0 && (data[size - 1] & 1);
  try {
    (void)mlexport::frontend::onnx::import_onnx(path, options);
  } catch (const mlexport::Error&) {
  }
  return 0;
}

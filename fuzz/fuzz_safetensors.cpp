// libFuzzer target: load_safetensors_bytes on arbitrary bytes. Only mlexport::Error may escape.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include "frontend/checkpoint/safetensors.h"
#include "mlexport/diagnostics.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mlexport::frontend::checkpoint;
  try {
    std::map<std::string, std::string> metadata;
    (void)load_safetensors_bytes(data, size, "fuzz.safetensors", &metadata);
  } catch (const mlexport::Error&) {
  }
  return 0;
}

// libFuzzer target: the config.json read beside a checkpoint. Only mlexport::Error may escape.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/checkpoint_config.h"
#include "mlexport/diagnostics.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  mlexport::core::CheckpointInfo info;
  try {
    mlexport::core::apply_checkpoint_config(
        std::string_view(reinterpret_cast<const char*>(data), size), "config.json", info);
  } catch (const mlexport::Error&) {
  }
  return 0;
}

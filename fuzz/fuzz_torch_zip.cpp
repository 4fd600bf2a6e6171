// libFuzzer target: load_torch_bytes (zip and legacy torch.save formats) on arbitrary bytes, then
// tensors_of and repr. Built with FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION, which skips the CRC
// check of data.pkl so mutations reach the unpickler. Only mlexport::Error may escape.
#include <cstddef>
#include <cstdint>

#include "frontend/checkpoint/state_dict_tensors.h"
#include "frontend/checkpoint/torch_file.h"
#include "mlexport/diagnostics.h"
#include "pyvalue/value.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mlexport::frontend::checkpoint;
  try {
    mlexport::pyvalue::ValuePtr root = load_torch_bytes(data, size, "fuzz.pt");
    (void)root->repr(4);
    (void)tensors_of(*root);
  } catch (const mlexport::Error&) {
  }
  return 0;
}

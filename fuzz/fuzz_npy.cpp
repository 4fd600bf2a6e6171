// libFuzzer target: the .npy parser and, for inputs that start like a zip, the .npz reader
// (libzip through a file, as --sample_input reads it). Only mlexport::Error may escape.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "io/npy.h"
#include "mlexport/diagnostics.h"
#include "scratch_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    if (size >= 2 && std::memcmp(data, "PK", 2) == 0) {
      (void)mlexport::io::read_npz(fuzz::write_scratch("input.npz", data, size));
    } else {
      (void)mlexport::io::parse_npy(data, size, "fuzz.npy");
    }
  } catch (const mlexport::Error&) {
  }
  return 0;
}

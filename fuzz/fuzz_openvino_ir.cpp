// libFuzzer target: the OpenVINO IR reader on an .xml and its .bin. The input is the XML, then
// kBinSeparator, then the weights; without the separator there is no .bin. Only mlexport::Error
// may escape.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "frontend/openvino_ir/openvino_reader.h"
#include "mlexport/diagnostics.h"
#include "scratch_file.h"

namespace {
constexpr std::string_view kBinSeparator = "@@BIN@@";
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t split = input.find(kBinSeparator);
  const std::string xml =
      fuzz::write_scratch("model.xml", data, split == std::string_view::npos ? size : split);
  if (split == std::string_view::npos) {
    fuzz::remove_scratch("model.bin");
  } else {
    const size_t bin = split + kBinSeparator.size();
    fuzz::write_scratch("model.bin", data + bin, size - bin);
  }
  try {
    (void)mlexport::frontend::openvino_ir::read_openvino_ir(xml);
  } catch (const mlexport::Error&) {
  }
  return 0;
}

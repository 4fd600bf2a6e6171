// What fuzz_openvino_ir found (fuzz/corpus/fuzz_openvino_ir; each file is the .xml, "@@BIN@@",
// then the .bin): before their fixes, these escaped as std::invalid_argument or
// std::out_of_range (terminating the process) or asked for terabytes. Each must now be one
// bad_input line.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "frontend/openvino_ir/openvino_reader.h"
#include "mlexport/diagnostics.h"

namespace mlexport::frontend::openvino_ir {
namespace {

namespace fs = std::filesystem;

// Splits a reproducer into model.xml and model.bin in a fresh folder; returns the .xml path.
std::string unpack(const std::string& name) {
  std::ifstream in(std::string(MLEXPORT_FUZZ_CORPUS) + "/fuzz_openvino_ir/" + name,
                   std::ios::binary);
  const std::string bytes(std::istreambuf_iterator<char>(in), {});
  EXPECT_FALSE(bytes.empty()) << name << " is missing";
  const fs::path dir = fs::temp_directory_path() / ("ov_fuzz_" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  const size_t split = bytes.find("@@BIN@@");
  std::ofstream(dir / "model.xml", std::ios::binary) << bytes.substr(0, split);
  if (split != std::string::npos)
    std::ofstream(dir / "model.bin", std::ios::binary) << bytes.substr(split + 7);
  return (dir / "model.xml").string();
}

void expect_refused(const std::string& name, const std::string& mentions) {
  SCOPED_TRACE(name);
  try {
    read_openvino_ir(unpack(name));
    ADD_FAILURE() << "read without an error";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_EQ(e.code(), ExitCode::kBadInput) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    EXPECT_NE(message.find(mentions), std::string::npos) << message;
  }
}

TEST(OpenVinoReaderFuzz, NonNumericAttributeIsMalformed) {
  expect_refused("crash_stoll_of_layer_attribute.ovir", "is not an integer");
}

TEST(OpenVinoReaderFuzz, ConstShapeBeyondTheBinIsRefusedBeforeAllocating) {
  expect_refused("oom_const_shape_beyond_bin.ovir", "does not match shape and type");
}

TEST(OpenVinoReaderFuzz, ConstWithNegativeShapeAndDataPastTheBin) {
  // Its shape made ir::Tensor ask for more than std::vector's max_size.
  expect_refused("crash_const_negative_dim.ovir", "is outside the .bin (63 bytes)");
}

TEST(OpenVinoReaderFuzz, LayerWithoutItsInputPort) {
  expect_refused("crash_convolution_without_weights_port.ovir", "input 1 is missing");
}

}  // namespace
}  // namespace mlexport::frontend::openvino_ir

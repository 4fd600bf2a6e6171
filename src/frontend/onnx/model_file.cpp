#include "frontend/onnx/model_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl.h>

#include "mlexport/diagnostics.h"

namespace mlexport::frontend::onnx {

namespace fs = std::filesystem;

namespace {

constexpr int kOldestOpset = 7;
constexpr int kNewestOpset = 17;  // the newest opset libonnx 1.12 knows
constexpr uintmax_t kProtobufLimit = INT_MAX;

std::string gigabytes(uintmax_t bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f GB", static_cast<double>(bytes) / 1e9);
  return text;
}

// Owns a file descriptor for the parse.
struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

ModelFile load_model_file(const std::string& path) {
  ModelFile file;
  file.path = fs::path(path);
  file.folder = file.path.parent_path();
  if (file.folder.empty()) file.folder = ".";

  std::error_code ec;
  if (!fs::exists(file.path, ec)) throw bad_input(path + ": no such file");
  if (fs::is_directory(file.path, ec)) throw bad_input(path + " is a directory, not an ONNX file");
  const uintmax_t size = fs::file_size(file.path, ec);
  if (ec) throw bad_input(path + ": cannot read: " + ec.message());
  if (size == 0) throw bad_input(path + " is empty, not an ONNX model");
  if (size >= kProtobufLimit)
    throw bad_input(path + " is " + gigabytes(size) +
                    "; an ONNX file over 2 GB must keep its weights in external data files");

  Fd in{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (in.fd < 0) throw bad_input(path + ": cannot open: " + std::strerror(errno));
  google::protobuf::io::FileInputStream stream(in.fd);
  google::protobuf::io::CodedInputStream coded(&stream);
  coded.SetTotalBytesLimit(INT_MAX);
  const bool parsed = file.proto.ParseFromCodedStream(&coded) && coded.ConsumedEntireMessage();
  if (stream.GetErrno() != 0)
    throw bad_input(path + ": cannot read: " + std::strerror(stream.GetErrno()));
  if (!parsed)
    throw bad_input(path +
                    " is not a readable ONNX model (the protobuf does not parse: a truncated file "
                    "or not an ONNX file)");
  if (!file.proto.has_graph() || file.proto.opset_import_size() == 0)
    throw bad_input(path + " is not an ONNX model (it has no graph or no opset_import)");
  if (file.proto.graph().output_size() == 0)
    throw bad_input(path + ": the ONNX graph has no outputs");
  return file;
}

int default_opset(const ModelFile& file) {
  const std::string path = file.path.string();
  int opset = -1;
  for (const auto& entry : file.proto.opset_import())
    if (is_default_domain(entry.domain())) opset = static_cast<int>(entry.version());
  if (opset < 0) throw bad_input(path + " does not import the default ONNX opset (ai.onnx)");
  if (opset < kOldestOpset || opset > kNewestOpset)
    throw Error(ExitCode::kUnsupportedOps, path + " uses ONNX opset " + std::to_string(opset) +
                                               "; opsets " + std::to_string(kOldestOpset) + " to " +
                                               std::to_string(kNewestOpset) + " can be read");
  return opset;
}

}  // namespace mlexport::frontend::onnx

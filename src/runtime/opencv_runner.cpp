#include "runtime/opencv_runner.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <climits>
#include <cstring>
#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>
#include <set>

#include "mlexport/diagnostics.h"

namespace mlexport::runtime {
namespace {

// ---- Graph input/output names, read from the protobuf wire format ----
//
// OpenCV 4.6 has no API that lists a network's input names, and binding inputs by position needs
// them. Scanning the few fields involved avoids linking the ONNX protobuf library and parsing
// (copying) every weight a second time.

class WireReader {
 public:
  WireReader(const uint8_t* p, size_t n) : p_(p), end_(p + n) {}
  bool done() const { return p_ == end_; }

  // Reads one field header; false on malformed input.
  bool next(uint32_t* field, uint32_t* wire_type) {
    uint64_t key;
    if (!varint(&key) || (key >> 3) == 0 || (key >> 3) > UINT32_MAX) return false;
    *field = static_cast<uint32_t>(key >> 3);
    *wire_type = static_cast<uint32_t>(key & 7);
    return true;
  }
  // The payload of a length-delimited field.
  bool bytes(const uint8_t** data, size_t* size) {
    uint64_t n;
    if (!varint(&n) || n > static_cast<uint64_t>(end_ - p_)) return false;
    *data = p_;
    *size = static_cast<size_t>(n);
    p_ += n;
    return true;
  }
  bool skip(uint32_t wire_type) {
    uint64_t v;
    const uint8_t* d;
    size_t n;
    switch (wire_type) {
      case 0:
        return varint(&v);
      case 1:
        return advance(8);
      case 2:
        return bytes(&d, &n);
      case 5:
        return advance(4);
      default:
        return false;  // groups are not used by ONNX
    }
  }

 private:
  bool varint(uint64_t* out) {
    uint64_t v = 0;
    for (int shift = 0; shift < 64 && p_ < end_; shift += 7) {
      uint8_t b = *p_++;
      v |= uint64_t(b & 0x7f) << shift;
      if (!(b & 0x80)) {
        *out = v;
        return true;
      }
    }
    return false;
  }
  bool advance(size_t n) {
    if (static_cast<size_t>(end_ - p_) < n) return false;
    p_ += n;
    return true;
  }
  const uint8_t* p_;
  const uint8_t* end_;
};

// The string in field `name_field` of a message (ValueInfoProto.name = 1, TensorProto.name = 8).
bool message_name(const uint8_t* p, size_t n, uint32_t name_field, std::string* name) {
  WireReader r(p, n);
  while (!r.done()) {
    uint32_t field, type;
    if (!r.next(&field, &type)) return false;
    if (field == name_field && type == 2) {
      const uint8_t* d;
      size_t len;
      if (!r.bytes(&d, &len)) return false;
      name->assign(reinterpret_cast<const char*>(d), len);
    } else if (!r.skip(type)) {
      return false;
    }
  }
  return true;
}

struct GraphSignature {
  std::vector<std::string> inputs, outputs;  // inputs exclude initializers
};

// ModelProto.graph = 7; GraphProto.initializer = 5, input = 11, output = 12.
bool read_signature(const uint8_t* p, size_t n, GraphSignature* sig) {
  WireReader model(p, n);
  const uint8_t* graph = nullptr;
  size_t graph_size = 0;
  while (!model.done()) {
    uint32_t field, type;
    if (!model.next(&field, &type)) return false;
    if (field == 7 && type == 2) {
      if (!model.bytes(&graph, &graph_size)) return false;
    } else if (!model.skip(type)) {
      return false;
    }
  }
  if (!graph) return false;
  WireReader g(graph, graph_size);
  std::vector<std::string> inputs;
  std::set<std::string> initializers;
  while (!g.done()) {
    uint32_t field, type;
    if (!g.next(&field, &type)) return false;
    if (type == 2 && (field == 5 || field == 11 || field == 12)) {
      const uint8_t* d;
      size_t len;
      std::string name;
      if (!g.bytes(&d, &len) || !message_name(d, len, field == 5 ? 8 : 1, &name)) return false;
      if (field == 5) initializers.insert(name);
      if (field == 11) inputs.push_back(name);
      if (field == 12) sig->outputs.push_back(name);
    } else if (!g.skip(type)) {
      return false;
    }
  }
  for (auto& name : inputs)
    if (!initializers.count(name)) sig->inputs.push_back(std::move(name));
  return !sig->outputs.empty();
}

GraphSignature model_signature(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw bad_input(path + ": cannot open: " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw bad_input(path + ": not a regular file");
  }
  GraphSignature sig;
  bool ok = false;
  if (st.st_size > 0) {
    void* map = ::mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
    if (map != MAP_FAILED) {
      ok = read_signature(static_cast<const uint8_t*>(map), static_cast<size_t>(st.st_size), &sig);
      ::munmap(map, static_cast<size_t>(st.st_size));
    }
  }
  ::close(fd);
  if (!ok) throw bad_input(path + ": not an ONNX model (no graph with outputs found)");
  return sig;
}

// ---- Tensors <-> cv::Mat ----

cv::Mat to_blob(const ir::Tensor& tensor, size_t index) {
  ir::Tensor f = tensor.dtype == ir::DType::Float32 ? tensor : tensor.cast(ir::DType::Float32);
  std::vector<int> sizes;
  for (int64_t d : f.shape) {
    if (d > INT_MAX)
      throw bad_input("input " + std::to_string(index) + " dimension " + std::to_string(d) +
                      " is too large for OpenCV");
    sizes.push_back(static_cast<int>(d));
  }
  if (sizes.empty()) sizes.push_back(1);  // cv::Mat has no 0-d form
  cv::Mat view(static_cast<int>(sizes.size()), sizes.data(), CV_32F, f.raw());
  return view.clone();  // owns its data after `f` goes away
}

ir::Tensor from_mat(const cv::Mat& mat, const std::string& name) {
  cv::Mat m = mat.isContinuous() ? mat : mat.clone();
  ir::DType dtype;
  switch (m.depth()) {
    case CV_32F:
      dtype = ir::DType::Float32;
      break;
    case CV_64F:
      dtype = ir::DType::Float64;
      break;
    case CV_16F:
      dtype = ir::DType::Float16;
      break;
    case CV_32S:
      dtype = ir::DType::Int32;
      break;
    case CV_16S:
      dtype = ir::DType::Int16;
      break;
    case CV_8S:
      dtype = ir::DType::Int8;
      break;
    case CV_8U:
      dtype = ir::DType::UInt8;
      break;
    default:
      throw Error(ExitCode::kInternal, "OpenCV DNN: output '" + name + "' has unsupported depth " +
                                           std::to_string(m.depth()));
  }
  std::vector<int64_t> shape;
  for (int i = 0; i < m.dims; ++i) shape.push_back(m.size[i]);
  if (m.channels() > 1) shape.push_back(m.channels());
  ir::Tensor t(dtype, shape);
  if (t.nbytes() != m.total() * m.elemSize())
    throw Error(ExitCode::kInternal, "OpenCV DNN: output '" + name + "' has an unexpected layout");
  std::memcpy(t.raw(), m.data, t.nbytes());
  return t;
}

std::string one_line(std::string s) {
  for (char& c : s)
    if (c == '\n' || c == '\r') c = ' ';
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

}  // namespace

RunResult run_opencv(const std::string& model_path, const std::vector<ir::Tensor>& inputs) {
  GraphSignature sig = model_signature(model_path);
  if (inputs.size() != sig.inputs.size()) {
    std::string names;
    for (const auto& n : sig.inputs) names += (names.empty() ? "" : ", ") + n;
    throw bad_input(model_path + ": the model has " + std::to_string(sig.inputs.size()) +
                    " input(s) (" + names + ") but " + std::to_string(inputs.size()) +
                    " tensor(s) were given");
  }
  RunResult result;
  result.runtime = std::string("opencv-dnn ") + CV_VERSION;
  result.input_names = sig.inputs;
  result.output_names = sig.outputs;
  try {
    cv::dnn::Net net = cv::dnn::readNetFromONNX(model_path);
    net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
    net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
    for (size_t i = 0; i < inputs.size(); ++i) net.setInput(to_blob(inputs[i], i), sig.inputs[i]);
    std::vector<cv::Mat> outs;
    std::vector<cv::String> names(sig.outputs.begin(), sig.outputs.end());
    auto start = std::chrono::steady_clock::now();
    net.forward(outs, names);
    result.run_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (outs.size() != names.size())
      throw Error(ExitCode::kInternal, "OpenCV DNN: " + model_path + ": asked for " +
                                           std::to_string(names.size()) + " outputs, got " +
                                           std::to_string(outs.size()));
    for (size_t i = 0; i < outs.size(); ++i) result.outputs.push_back(from_mat(outs[i], names[i]));
  } catch (const cv::Exception& e) {
    std::string what = e.err.empty() ? e.what() : e.err;
    if (!e.func.empty()) what += " (in " + e.func + ")";
    throw Error(ExitCode::kInternal, "OpenCV DNN: " + model_path + ": " + one_line(what));
  }
  return result;
}

}  // namespace mlexport::runtime

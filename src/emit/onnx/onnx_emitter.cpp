#include "emit/onnx/onnx_emitter.h"

#include <fcntl.h>
#include <onnx/checker.h>
#include <onnx/shape_inference/implementation.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include <google/protobuf/io/zero_copy_stream_impl.h>

#include "emit/onnx/opset_adapt.h"
#include "io/atomic_file.h"
#include "mlexport/diagnostics.h"

namespace mlexport::emit {

namespace fs = std::filesystem;

namespace {

constexpr int kMinOpset = 11;
constexpr int kMaxOpset = 17;  // the newest opset libonnx 1.12 can check
constexpr size_t kExternalMinBytes = 1024;
constexpr uint64_t kExternalAlign = 4096;
constexpr uint64_t kProtobufLimit = INT32_MAX;  // protobuf refuses messages of 2 GiB and more

// ONNX messages span lines ("...\n\n==> Context: Bad node spec for node. Name: Conv_0 ...");
// ours are one line, keeping the context since it names the node.
std::string one_line(const std::string& message) {
  std::vector<std::string> lines;
  std::istringstream in(message);
  for (std::string line; std::getline(in, line);) {
    size_t b = line.find_first_not_of(" \t\r");
    size_t e = line.find_last_not_of(" \t\r");
    if (b != std::string::npos) lines.push_back(line.substr(b, e - b + 1));
  }
  if (lines.empty()) return "unknown error";
  std::string out = lines.front();
  // Shape inference repeats its tag: "[ShapeInferenceError] (op_type:Conv, node name: c):
  // [ShapeInferenceError] ..."; once is enough.
  const std::string tag = "): [ShapeInferenceError] ";
  if (size_t at = out.find(tag); at != std::string::npos) out.erase(at + 3, tag.size() - 3);
  for (size_t k = 1; k < lines.size(); ++k) {
    if (lines[k].rfind("==> Context:", 0) == 0) {
      out += " (" + lines[k].substr(std::strlen("==> Context:") + 1) + ")";
      break;
    }
  }
  return out;
}

Error checker_error(const std::exception& e) {
  return Error(ExitCode::kInternal, "ONNX checker: " + one_line(e.what()));
}

void set_value_info(::onnx::ValueInfoProto* out, const ir::Value& v) {
  onnx::set_value_info(out, v, v.name);
}

::onnx::ModelProto build_model(const ir::Graph& graph, const OnnxOptions& options) {
  int opset = options.opset_version;
  if (opset < kMinOpset || opset > kMaxOpset)
    throw bad_input("ONNX opset " + std::to_string(opset) + " is not supported (" +
                    std::to_string(kMinOpset) + " to " + std::to_string(kMaxOpset) + ")");
  if (std::string report = onnx::unavailable_ops_report(graph, opset); !report.empty())
    throw Error(ExitCode::kUnsupportedOps, report);

  ::onnx::ModelProto model;
  model.set_ir_version(onnx_ir_version_for_opset(opset));
  model.set_producer_name(options.producer_name);
  model.set_producer_version(options.producer_version.empty() ? MLEXPORT_VERSION
                                                              : options.producer_version);
  if (!options.doc_string.empty()) model.set_doc_string(options.doc_string);
  auto* import = model.add_opset_import();
  import->set_domain("");
  import->set_version(opset);
  for (const auto& [key, value] : graph.metadata) {
    auto* prop = model.add_metadata_props();
    prop->set_key(key);
    prop->set_value(value);
  }

  ::onnx::GraphProto* g = model.mutable_graph();
  g->set_name("main_graph");
  std::vector<ir::Value*> constants = graph.constants();
  std::set<std::string> names;
  for (const ir::Value* v : graph.inputs()) names.insert(v->name);
  for (const ir::Value* v : constants) names.insert(v->name);
  for (const auto& n : graph.nodes())
    for (const ir::Value* v : n->outputs) names.insert(v->name);
  onnx::GraphWriter writer(g, opset, std::move(names));

  for (const ir::Value* v : graph.inputs()) {
    if (!v->shape)
      throw Error(ExitCode::kInternal,
                  "graph input %" + v->name + " has unknown rank; ONNX inputs need a shape");
    set_value_info(g->add_input(), *v);
  }

  // A constant that is also a graph output: its initializer takes another name and an
  // Identity produces the output, so the output is computed by a node like any other.
  std::set<const ir::Value*> constant_outputs;
  for (const ir::Value* v : graph.outputs())
    if (v->is_constant()) constant_outputs.insert(v);
  for (const ir::Value* v : constants) {
    std::string name = v->name;
    if (constant_outputs.count(v)) {
      name = writer.fresh(v->name + "_value");
      writer.rename(v, name);
    }
    onnx::fill_tensor(g->add_initializer(), *v->constant, name);
  }

  for (const auto& n : graph.nodes()) onnx::emit_node(*n, writer);

  for (const ir::Value* v : constant_outputs) {
    ::onnx::NodeProto* id = writer.add_node("Identity", v->name + "_output");
    id->add_input(writer.name_of(v));
    id->add_output(v->name);
  }
  for (const ir::Value* v : graph.outputs()) set_value_info(g->add_output(), *v);
  return model;
}

uint64_t initializer_bytes(const ::onnx::ModelProto& model) {
  uint64_t total = 0;
  for (const auto& t : model.graph().initializer()) total += t.raw_data().size();
  return total;
}

void mark_external(::onnx::TensorProto* t, const std::string& location, uint64_t offset,
                   uint64_t length) {
  t->clear_raw_data();
  t->set_data_location(::onnx::TensorProto::EXTERNAL);
  auto add = [&](const char* key, const std::string& value) {
    auto* entry = t->add_external_data();
    entry->set_key(key);
    entry->set_value(value);
  };
  add("location", location);
  add("offset", std::to_string(offset));
  add("length", std::to_string(length));
}

// A copy for shape inference without the bytes of large initializers, made without copying
// those bytes: inference reads only their dtype and dims.
::onnx::ModelProto skeleton_of(::onnx::ModelProto& model) {
  auto* inits = model.mutable_graph()->mutable_initializer();
  std::vector<std::pair<int, std::string>> held;
  for (int i = 0; i < inits->size(); ++i) {
    ::onnx::TensorProto* t = inits->Mutable(i);
    if (t->raw_data().size() < kExternalMinBytes) continue;
    held.emplace_back(i, std::string());
    held.back().second.swap(*t->mutable_raw_data());
  }
  ::onnx::ModelProto copy(model);
  for (auto& [i, bytes] : held) {
    uint64_t length = bytes.size();
    inits->Mutable(i)->mutable_raw_data()->swap(bytes);
    mark_external(copy.mutable_graph()->mutable_initializer(i), "(not loaded)", 0, length);
  }
  return copy;
}

bool has_output_without_shape(const ::onnx::ModelProto& model) {
  for (const auto& out : model.graph().output())
    if (!out.type().tensor_type().has_shape()) return true;
  return false;
}

// The ONNX checker wants a shape (at least a rank) on every graph output. Where the IR has
// none, take the one shape inference finds.
void fill_output_shapes(const ::onnx::ModelProto& skeleton,
                        std::initializer_list<::onnx::ModelProto*> targets) {
  ::onnx::ModelProto probe(skeleton);
  try {
    ::onnx::shape_inference::InferShapes(probe, ::onnx::OpSchemaRegistry::Instance(),
                                         ::onnx::ShapeInferenceOptions(false, 0, false));
  } catch (const std::exception&) {
    // The strict run later reports inference errors with their context.
  }
  std::map<std::string, const ::onnx::TypeProto*> inferred;
  for (const auto& vi : probe.graph().value_info()) inferred[vi.name()] = &vi.type();
  for (const auto& vi : probe.graph().output())
    if (vi.type().tensor_type().has_shape()) inferred[vi.name()] = &vi.type();
  for (::onnx::ModelProto* target : targets) {
    for (auto& out : *target->mutable_graph()->mutable_output()) {
      auto* tensor = out.mutable_type()->mutable_tensor_type();
      if (tensor->has_shape()) continue;
      auto it = inferred.find(out.name());
      if (it == inferred.end() || !it->second->tensor_type().has_shape())
        throw Error(ExitCode::kInternal, "graph output %" + out.name() +
                                             " has unknown rank and ONNX shape inference "
                                             "cannot find it");
      *tensor->mutable_shape() = it->second->tensor_type().shape();
    }
  }
}

void strict_shape_inference(::onnx::ModelProto& model) {
  ::onnx::ShapeInferenceOptions options(/*check_type=*/true, /*error_mode=*/1,
                                        /*enable_data_propagation=*/false);
  try {
    ::onnx::shape_inference::InferShapes(model, ::onnx::OpSchemaRegistry::Instance(), options);
  } catch (const std::exception& e) {
    throw Error(ExitCode::kInternal, "ONNX shape inference: " + one_line(e.what()));
  }
}

// checker + strict shape inference for a model whose initializers are all inline.
void check_inline(::onnx::ModelProto& model) {
  ::onnx::ModelProto skeleton = skeleton_of(model);
  if (has_output_without_shape(model)) fill_output_shapes(skeleton, {&model, &skeleton});
  try {
    ::onnx::checker::check_model(model);
  } catch (const std::exception& e) {
    throw checker_error(e);
  }
  strict_shape_inference(skeleton);
}

std::string serialize(const ::onnx::ModelProto& model) {
  if (model.ByteSizeLong() > kProtobufLimit)
    throw Error(ExitCode::kInternal,
                "the ONNX model is over protobuf's 2 GB limit; write it with external data");
  std::string bytes;
  if (!model.SerializeToString(&bytes))
    throw Error(ExitCode::kInternal, "could not serialize the ONNX model");
  return bytes;
}

Error io_error(const std::string& what, const std::string& path, int err) {
  return Error(ExitCode::kInternal, what + " " + path + ": " + std::strerror(err));
}

// A file inside the private folder of emit_with_external_data (renamed into place from there).
class FileWriter {
 public:
  explicit FileWriter(const std::string& path) : path_(path) {
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0) throw io_error("cannot create", path, errno);
  }
  FileWriter(const FileWriter&) = delete;
  FileWriter& operator=(const FileWriter&) = delete;
  ~FileWriter() {
    if (fd_ >= 0) ::close(fd_);
  }

  void write(const char* data, size_t size) {
    while (size > 0) {
      ssize_t n = ::write(fd_, data, std::min<size_t>(size, size_t{1} << 30));
      if (n < 0) {
        if (errno == EINTR) continue;
        throw io_error("cannot write", path_, errno);
      }
      data += n;
      size -= static_cast<size_t>(n);
      written_ += static_cast<uint64_t>(n);
    }
  }
  void write(const std::string& s) { write(s.data(), s.size()); }
  uint64_t written() const { return written_; }

  // Flushed to disk before the rename makes the file visible under its real name.
  void close() {
    if (::fsync(fd_) != 0) throw io_error("cannot sync", path_, errno);
    int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) throw io_error("cannot close", path_, errno);
  }

 private:
  std::string path_;
  int fd_ = -1;
  uint64_t written_ = 0;
};

// The emitter's messages for a failed step of io/atomic_file.h: a failed rename reads as
// std::filesystem::rename's error, which emit_onnx reports.
Error atomic_error(const io::AtomicWriteError& e, const std::string& dir, const char* temp_kind) {
  switch (e.step()) {
    case io::AtomicStep::kCreate:
      return io_error(std::string("cannot create a temporary ") + temp_kind + " in", dir,
                      e.error());
    case io::AtomicStep::kWrite:
      return io_error("cannot write", e.path().string(), e.error());
    case io::AtomicStep::kSync:
      return io_error("cannot sync", e.path().string(), e.error());
    case io::AtomicStep::kClose:
      return io_error("cannot close", e.path().string(), e.error());
    case io::AtomicStep::kRename:
      break;
  }
  throw fs::filesystem_error("cannot rename", e.source(), e.path(),
                             std::error_code(e.error(), std::generic_category()));
}

struct Target {
  fs::path path;
  fs::path dir;
  std::string filename;
};

Target resolve_target(const std::string& path) {
  Target t;
  t.path = fs::path(path);
  t.filename = t.path.filename().string();
  if (t.filename.empty() || t.filename == "." || t.filename == "..")
    throw bad_input("output path " + path + " does not name a file");
  t.dir = t.path.parent_path();
  if (t.dir.empty()) t.dir = ".";
  std::error_code ec;
  if (!fs::is_directory(t.dir, ec))
    throw bad_input("cannot write " + path + ": directory " + t.dir.string() + " does not exist");
  return t;
}

// Serializes straight into a temporary file (no second copy of the weights in memory), then
// renames it into place.
uint64_t write_model_atomically(const Target& target, const ::onnx::ModelProto& model) {
  if (model.ByteSizeLong() > kProtobufLimit)
    throw Error(ExitCode::kInternal,
                "the ONNX model is over protobuf's 2 GB limit; write it with external data");
  try {
    io::AtomicFile file(target.path);
    const uint64_t size = model.ByteSizeLong();
    {
      google::protobuf::io::FileOutputStream stream(file.fd(), 1 << 20);
      if (!model.SerializeToZeroCopyStream(&stream) || !stream.Flush())
        throw io::AtomicWriteError(io::AtomicStep::kWrite, file.temp_path(),
                                   stream.GetErrno() ? stream.GetErrno() : EIO);
    }
    file.commit();
    return size;
  } catch (const io::AtomicWriteError& e) {
    throw atomic_error(e, target.dir.string(), "file");
  }
}

// Moves the bytes of every initializer of at least 1 KiB into `data_path`, 4 KiB aligned so
// runtimes can map them, and points the tensors at `location`. Returns the bytes written.
uint64_t write_external_data(::onnx::ModelProto& model, const fs::path& data_path,
                             const std::string& location) {
  FileWriter out(data_path.string());
  static const std::string zeros(kExternalAlign, '\0');
  for (auto& t : *model.mutable_graph()->mutable_initializer()) {
    if (t.raw_data().size() < kExternalMinBytes) continue;
    uint64_t offset = (out.written() + kExternalAlign - 1) / kExternalAlign * kExternalAlign;
    out.write(zeros.data(), offset - out.written());
    uint64_t length = t.raw_data().size();
    out.write(t.raw_data());
    std::string().swap(*t.mutable_raw_data());  // release the memory now
    mark_external(&t, location, offset, length);
  }
  out.close();
  return out.written();
}

bool has_large_initializer(const ::onnx::ModelProto& model) {
  for (const auto& t : model.graph().initializer())
    if (t.raw_data().size() >= kExternalMinBytes) return true;
  return false;
}

OnnxEmitResult emit_with_external_data(::onnx::ModelProto& model, const Target& target) {
  std::string data_name = target.filename + ".data";
  // Both files are written and checked in a private directory beside the target, then
  // renamed into place: data first, so the model never names a file that is not there.
  std::optional<io::AtomicFolder> tmp;
  try {
    tmp.emplace(target.path);
  } catch (const io::AtomicWriteError& e) {
    throw atomic_error(e, target.dir.string(), "directory");
  }
  fs::path tmp_model = tmp->path() / target.filename;
  fs::path tmp_data = tmp->path() / data_name;

  uint64_t data_bytes = write_external_data(model, tmp_data, data_name);
  if (has_output_without_shape(model)) fill_output_shapes(model, {&model});
  std::string bytes = serialize(model);
  {
    FileWriter out(tmp_model.string());
    out.write(bytes);
    out.close();
  }
  try {
    ::onnx::checker::check_model(tmp_model.string());
  } catch (const std::exception& e) {
    throw checker_error(e);
  }
  strict_shape_inference(model);  // bytes are already serialized; inference may annotate

  fs::path final_data = target.dir / data_name;
  try {
    tmp->commit(data_name, final_data);
  } catch (const io::AtomicWriteError& e) {
    throw atomic_error(e, target.dir.string(), "directory");
  }
  try {
    tmp->commit(target.filename, target.path);
  } catch (const io::AtomicWriteError& e) {
    std::error_code ec;
    fs::remove(final_data, ec);
    throw atomic_error(e, target.dir.string(), "directory");
  }
  OnnxEmitResult result;
  result.bytes = bytes.size() + data_bytes;
  result.node_count = model.graph().node_size();
  result.external_data_path = final_data.string();
  return result;
}

}  // namespace

int onnx_ir_version_for_opset(int opset) {
  // https://onnx.ai/onnx/repo-docs/Versioning.html: 1.6 (opset 11) IR 6; 1.7-1.9 (12-14) IR 7;
  // 1.10-1.12 (15-17) IR 8.
  if (opset <= 11) return 6;
  if (opset <= 14) return 7;
  return 8;
}

std::string onnx_bytes(const ir::Graph& graph, const OnnxOptions& options) {
  ::onnx::ModelProto model = build_model(graph, options);
  if (model.ByteSizeLong() > kProtobufLimit)
    throw Error(ExitCode::kInternal,
                "the ONNX model is over protobuf's 2 GB limit; write it to a file with external "
                "data");
  check_inline(model);
  return serialize(model);
}

OnnxEmitResult emit_onnx(const ir::Graph& graph, const std::string& path,
                         const OnnxOptions& options) {
  Target target = resolve_target(path);
  ::onnx::ModelProto model = build_model(graph, options);
  bool external = options.external_data ||
                  initializer_bytes(model) > options.external_data_threshold ||
                  model.ByteSizeLong() > kProtobufLimit;
  try {
    // Nothing big enough to move out: an inline model is the same thing without a side file.
    if (external && has_large_initializer(model)) return emit_with_external_data(model, target);
    check_inline(model);
    OnnxEmitResult result;
    result.node_count = model.graph().node_size();
    result.bytes = write_model_atomically(target, model);
    return result;
  } catch (const fs::filesystem_error& e) {
    throw Error(ExitCode::kInternal, std::string("writing ") + path + ": " + e.what());
  }
}

}  // namespace mlexport::emit

#include "emit/openvino/openvino_emitter.h"

#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>

#include "emit/openvino/openvino_check.h"
#include "emit/openvino/translate.h"
#include "io/atomic_file.h"
#include "mlexport/diagnostics.h"

namespace mlexport::emit {

namespace fs = std::filesystem;

namespace {

constexpr size_t kMaxWhere = 3;  // source lines kept per unsupported op

// Every op without a row, bodies of If and Loop included, in one report.
void collect_unsupported(const ir::Graph& graph, std::vector<UnsupportedOp>& missing) {
  const auto& table = openvino::op_table();
  for (const auto& n : graph.nodes()) {
    for (const ir::Graph* body : n->subgraphs()) collect_unsupported(*body, missing);
    if (table.count(n->op)) continue;
    std::string kind = n->op;
    // OpenVINO has BitwiseAnd/Or/Xor/Not-13, but their ONNX forms need opset 18 and the
    // read-back validation runs ONNX at opset 17 (ONNX 1.12 here): refused rather than unproven.
    if (n->op == "BitwiseAnd" || n->op == "BitwiseOr" || n->op == "BitwiseXor" ||
        n->op == "BitwiseNot")
      kind +=
          " (integer bitwise ops are not written to OpenVINO IR: their validation would need "
          "ONNX opset 18)";
    auto it = std::find_if(missing.begin(), missing.end(),
                           [&](const UnsupportedOp& u) { return u.kind == kind; });
    if (it == missing.end()) {
      missing.push_back({kind, 0, {}});
      it = missing.end() - 1;
    }
    ++it->count;
    if (it->where.size() < kMaxWhere) it->where.push_back(n->source.empty() ? n->name : n->source);
  }
}

void reject_unsupported(const ir::Graph& graph) {
  std::vector<UnsupportedOp> missing;
  collect_unsupported(graph, missing);
  if (!missing.empty()) throw UnsupportedOpsError(std::move(missing));
}

openvino::Builder translate(const ir::Graph& graph, const OpenVinoOptions& options) {
  openvino::Builder b;
  openvino::translate_network(graph, b, options);
  return b;
}

Error io_error(const std::string& what, const std::string& path, int err) {
  return Error(ExitCode::kInternal, what + " " + path + ": " + std::strerror(err));
}

void write_file(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw io_error("cannot create", path.string(), errno);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.flush();
  if (!out) throw io_error("cannot write", path.string(), errno);
}

}  // namespace

std::vector<std::string> openvino_supported_ops() {
  std::vector<std::string> ops;
  for (const auto& [op, fn] : openvino::op_table()) ops.push_back(op);
  return ops;
}

OpenVinoEmitResult emit_openvino(const ir::Graph& graph, const std::string& xml_path,
                                 const OpenVinoOptions& options) {
  fs::path target(xml_path);
  if (target.extension() != ".xml")
    throw bad_input("OpenVINO output " + xml_path + " must end in .xml");
  fs::path dir = target.parent_path().empty() ? fs::path(".") : target.parent_path();
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw bad_input("cannot write " + xml_path + ": directory " + dir.string() + " does not exist");
  fs::path bin_target = target;
  bin_target.replace_extension(".bin");

  reject_unsupported(graph);
  openvino::Builder b = translate(graph, options);
  std::string xml = b.xml(options.model_name, options.compress_to_fp16, graph.metadata);

  // Both files are written and checked in a private directory beside the target, then renamed:
  // the .bin first, so the .xml never names weights that are not there.
  std::optional<io::AtomicFolder> tmp;
  try {
    tmp.emplace(target);
  } catch (const io::AtomicWriteError& e) {
    throw io_error("cannot create a temporary directory in", dir.string(), e.error());
  }
  fs::path tmp_xml = tmp->path() / target.filename();
  fs::path tmp_bin = tmp->path() / bin_target.filename();
  write_file(tmp_xml, xml);
  write_file(tmp_bin, b.blob());
  check_openvino_ir(tmp_xml.string());
  try {
    tmp->commit(bin_target.filename().string(), bin_target);
  } catch (const io::AtomicWriteError& e) {
    throw io_error("cannot write", bin_target.string(), e.error());
  }
  try {
    tmp->commit(target.filename().string(), target);
  } catch (const io::AtomicWriteError& e) {
    std::error_code ignored;
    fs::remove(bin_target, ignored);
    throw io_error("cannot write", target.string(), e.error());
  }

  OpenVinoEmitResult result;
  result.xml_bytes = xml.size();
  result.bin_bytes = b.blob().size();
  result.layer_count = b.total_layer_count();
  return result;
}

}  // namespace mlexport::emit

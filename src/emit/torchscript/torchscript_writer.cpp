#include "emit/torchscript/torchscript_writer.h"

#include <cstring>
#include <sstream>

#include "emit/torchscript/script_module_source.h"
#include "io/atomic_file.h"
#include "mlexport/diagnostics.h"

namespace mlexport::emit::torchscript {
namespace {

void save_module_atomically(const ::torch::jit::Module& module, const std::string& path,
                            const std::map<std::string, std::string>& extra_files) {
  ::torch::jit::ExtraFilesMap extra(extra_files.begin(), extra_files.end());
  // Serialized in memory first: when a write to a file fails (a full disk, a file-size limit),
  // LibTorch 1.13's stream writer throws again from its destructor and the process aborts.
  std::ostringstream bytes;
  try {
    module.save(bytes, extra);
  } catch (const std::exception& e) {
    throw Error(ExitCode::kInternal, "saving TorchScript failed: " + first_line(e.what()));
  }
  try {
    io::write_file_atomic(path, bytes.view());
  } catch (const io::AtomicWriteError& e) {
    if (e.step() == io::AtomicStep::kRename)
      throw Error(ExitCode::kBadInput, "cannot write " + path + ": " + std::strerror(e.error()));
    throw Error(ExitCode::kInternal,
                "cannot write " + e.path().string() + ": " + std::strerror(e.error()));
  }
}

}  // namespace

bool write_torchscript(ArtifactSource* model, const std::string& path,
                       const std::vector<ir::Tensor>& example_inputs,
                       const std::map<std::string, std::string>& extra_files) {
  auto* source = find_capability<ScriptModuleSource>(model);
  if (!source) return false;
  save_module_atomically(source->script_module(example_inputs), path, extra_files);
  return true;
}

}  // namespace mlexport::emit::torchscript

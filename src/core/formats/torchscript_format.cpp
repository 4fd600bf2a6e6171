// TorchScript: the model's module (a TorchScript input frozen as it is, a C++ model traced) from
// its ScriptModuleSource capability, with the export metadata as the archive's mlexport.json;
// validated by loading it back in LibTorch.
#include <filesystem>

#include "core/export_metadata.h"
#include "core/formats/format_registry.h"
#include "core/tolerance.h"
#include "core/validation_loop.h"
#include "emit/torchscript/torchscript_writer.h"
#include "runtime/libtorch/torch_reference.h"
#include "torchmodel/torch_model_handle.h"

namespace mlexport::core {

void write_torchscript(ExportJob& job) {
  const std::map<std::string, std::string> extra = {{"mlexport.json", export_metadata_json(job)}};
  if (!emit::torchscript::write_torchscript(job.model.artifacts.get(), job.output_path, job.inputs,
                                            extra))
    throw bad_input("a " + job.result.source_kind + " model cannot be saved as TorchScript");
  std::error_code ec;
  job.result.output_bytes = std::filesystem::file_size(job.output_path, ec);
}

ValidationResult validate_torchscript(ExportJob& job) {
  std::shared_ptr<runtime::Reference> loaded =
      runtime::libtorch::make_torch_reference(torchmodel::load_torchscript(job.output_path));
  Runner run = [loaded](const std::vector<ir::Tensor>& inputs) {
    runtime::RunResult result;
    result.outputs = loaded->run(inputs);
    result.runtime = "LibTorch " + runtime::libtorch::libtorch_version();
    return result;
  };
  return validate_with(job, run, requested_tolerance(job.request),
                       "the written archive reloaded with torch::jit::load and run in LibTorch");
}

}  // namespace mlexport::core

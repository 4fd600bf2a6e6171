// The zoo's architectures as Exportable models.
#include "mlexport/zoo_model.h"
#include "core/checkpoint_info.h"
#include "frontend/zoo_checkpoint/zoo_loader.h"

namespace mlexport {

ZooModel ZooModel::create(const std::string& arch, int64_t num_classes) {
  if (!zoo::has_model(arch)) throw bad_input("unknown architecture '" + arch + "'");
  zoo::ZooModel built = zoo::create_zoo_model(arch, num_classes);
  ZooModel model;
  model.module_ = built.module;
  model.forward_ = built.forward;
  model.arch_ = arch;
  model.num_classes_ = num_classes;
  model.input_shape_ = zoo::default_input_shape(arch);
  return model;
}

ZooModel ZooModel::from_checkpoint(const std::string& path, const std::string& arch) {
  const core::SourceKind kind = core::detect_source_kind(path);
  if (kind == core::SourceKind::kTorchScript)
    throw bad_input(path + " is TorchScript, not a checkpoint");
  core::CheckpointInfo info = core::read_checkpoint(path, kind);
  const std::string name = arch.empty() ? info.arch : arch;
  if (name.empty()) throw bad_input(path + ": the checkpoint does not name its architecture");
  frontend::zoo_checkpoint::StateReport report;
  zoo::ZooModel built =
      frontend::zoo_checkpoint::load_zoo_model(name, info.num_classes, info.state, true, &report);
  ZooModel model;
  model.module_ = built.module;
  model.forward_ = built.forward;
  model.arch_ = name;
  model.num_classes_ = report.num_classes;
  model.input_shape_ = zoo::default_input_shape(name);
  return model;
}

SampleInput ZooModel::sample_input() {
  std::vector<int64_t> shape = input_shape_;
  shape.insert(shape.begin(), 1);
  return torch::randn(shape, torch::TensorOptions().dtype(torch::kFloat32));
}

ConfigValue ZooModel::config() {
  const std::string package =
      zoo::model_family(arch_) == "custom" ? "mlexport.zoo." : "torchvision.models.";
  return ConfigValue::object(package + arch_, {{"num_classes", num_classes_}});
}

}  // namespace mlexport

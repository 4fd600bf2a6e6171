#include "zoo/demo_checkpoint.h"

#include <torch/serialize.h>

#include <fstream>
#include <stdexcept>

#include "zoo/zoo_torch.h"

namespace mlexport::zoo {

namespace {

// The model's state with seeded weights and trained-looking BatchNorm statistics.
c10::impl::GenericDict seeded_state(const std::string& arch, int64_t num_classes, uint64_t seed,
                                    const std::string& key_prefix) {
  torch::manual_seed(seed);
  torch::NoGradGuard no_grad;
  auto module = create_model(arch, num_classes);
  // Default BatchNorm statistics (0 and 1) would hide folding mistakes, zero weights others.
  c10::impl::GenericDict state(c10::StringType::get(), c10::TensorType::get());
  for (auto& [key, tensor] : named_state(*module)) {
    if (key.find("running_mean") != std::string::npos) tensor.uniform_(-0.5, 0.5);
    if (key.find("running_var") != std::string::npos) tensor.uniform_(0.5, 2.0);
    // torchvision starts ViT's classifier at zero; an all-zero output would pass any check.
    if (tensor.dim() >= 2 && tensor.is_floating_point() && !tensor.any().item<bool>())
      tensor.normal_(0.0, 0.02);
    state.insert(key_prefix + key, tensor);
  }
  return state;
}

void write_pickle(const std::string& path, const c10::impl::GenericDict& checkpoint) {
  const std::vector<char> bytes = torch::pickle_save(checkpoint);
  std::ofstream file(path, std::ios::binary);
  file.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!file) throw std::runtime_error("cannot write " + path);
}

}  // namespace

size_t write_demo_checkpoint(const std::string& path, const std::string& arch,
                             int64_t num_classes) {
  c10::impl::GenericDict state = seeded_state(arch, num_classes, 0, "");
  c10::impl::GenericDict checkpoint(c10::StringType::get(), c10::AnyType::get());
  checkpoint.insert("model_name", arch);
  checkpoint.insert("num_classes", num_classes);
  checkpoint.insert("input_size", default_input_shape(arch).back());
  checkpoint.insert("epoch", int64_t{10});
  checkpoint.insert("state_dict", state);
  write_pickle(path, checkpoint);
  return state.size();
}

size_t write_demo_lightning_checkpoint(const std::string& path, const std::string& arch,
                                       int64_t num_classes, uint64_t seed) {
  c10::impl::GenericDict state = seeded_state(arch, num_classes, seed, "model.");
  c10::impl::GenericDict hyper_parameters(c10::StringType::get(), c10::AnyType::get());
  hyper_parameters.insert("model_name", arch);
  hyper_parameters.insert("num_classes", num_classes);
  hyper_parameters.insert("input_size", default_input_shape(arch).back());
  c10::impl::GenericDict checkpoint(c10::StringType::get(), c10::AnyType::get());
  checkpoint.insert("epoch", int64_t{10});
  checkpoint.insert("global_step", int64_t{1000});
  checkpoint.insert("pytorch-lightning_version", std::string("1.9.0"));
  checkpoint.insert("state_dict", state);
  checkpoint.insert("hyper_parameters", hyper_parameters);
  write_pickle(path, checkpoint);
  return state.size();
}

}  // namespace mlexport::zoo

// Writes the demo checkpoint in the export guide's form, with no Python and nothing downloaded:
// a C++ zoo model with seeded weights and BatchNorm statistics, saved as a torch.save-compatible
// dict {"model_name", "num_classes", "input_size", "epoch", "state_dict"}.
//
//   mlexport-demo OUT.pt [ARCH] [NUM_CLASSES]
#include <torch/serialize.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "zoo/zoo_torch.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: mlexport-demo OUT.pt [ARCH] [NUM_CLASSES]\n");
    return 2;
  }
  const std::string out = argv[1];
  const std::string arch = argc > 2 ? argv[2] : "resnet18";
  const int64_t num_classes = argc > 3 ? std::stoll(argv[3]) : 2;
  if (!mlexport::zoo::has_model(arch)) {
    std::fprintf(stderr, "error: unknown architecture %s\n", arch.c_str());
    return 2;
  }
  torch::manual_seed(0);
  torch::NoGradGuard no_grad;
  auto module = mlexport::zoo::create_model(arch, num_classes);
  // Trained-looking BatchNorm statistics: default ones (0 and 1) would hide folding mistakes.
  c10::impl::GenericDict state(c10::StringType::get(), c10::TensorType::get());
  for (auto& [key, tensor] : mlexport::zoo::named_state(*module)) {
    if (key.find("running_mean") != std::string::npos) tensor.uniform_(-0.5, 0.5);
    if (key.find("running_var") != std::string::npos) tensor.uniform_(0.5, 2.0);
    state.insert(key, tensor);
  }
  c10::impl::GenericDict checkpoint(c10::StringType::get(), c10::AnyType::get());
  checkpoint.insert("model_name", arch);
  checkpoint.insert("num_classes", num_classes);
  const auto shape = mlexport::zoo::default_input_shape(arch);
  checkpoint.insert("input_size", shape.back());
  checkpoint.insert("epoch", int64_t{10});
  checkpoint.insert("state_dict", state);
  std::vector<char> bytes = torch::pickle_save(checkpoint);
  std::ofstream file(out, std::ios::binary);
  file.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!file) {
    std::fprintf(stderr, "error: cannot write %s\n", out.c_str());
    return 2;
  }
  std::printf("wrote %s (%s, %lld classes, %zu tensors)\n", out.c_str(), arch.c_str(),
              static_cast<long long>(num_classes), state.size());
  return 0;
}

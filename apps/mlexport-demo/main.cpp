// Writes the demo checkpoint in the export guide's form, with no Python and nothing downloaded.
//
//   mlexport-demo OUT.pt [ARCH] [NUM_CLASSES] [--lightning] [--seed S]
//
// --lightning writes a PyTorch Lightning .ckpt instead (what the service's demo workspace holds);
// --seed varies its weights.
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <vector>

#include "zoo/demo_checkpoint.h"
#include "zoo/zoo.h"

int main(int argc, char** argv) {
  std::vector<std::string> positional;
  bool lightning = false;
  unsigned long long seed = 0;
  for (int k = 1; k < argc; ++k) {
    const std::string arg = argv[k];
    if (arg == "--lightning")
      lightning = true;
    else if (arg == "--seed" && k + 1 < argc)
      seed = std::strtoull(argv[++k], nullptr, 10);
    else
      positional.push_back(arg);
  }
  if (positional.empty()) {
    std::fprintf(stderr,
                 "usage: mlexport-demo OUT.pt [ARCH] [NUM_CLASSES] [--lightning] [--seed S]\n");
    return 2;
  }
  const std::string out = positional[0];
  const std::string arch = positional.size() > 1 ? positional[1] : "resnet18";
  const long long num_classes = positional.size() > 2 ? std::atoll(positional[2].c_str()) : 2;
  if (!mlexport::zoo::has_model(arch) || num_classes <= 0) {
    std::fprintf(stderr, "error: unknown architecture %s or bad class count\n", arch.c_str());
    return 2;
  }
  try {
    const size_t tensors =
        lightning ? mlexport::zoo::write_demo_lightning_checkpoint(out, arch, num_classes, seed)
                  : mlexport::zoo::write_demo_checkpoint(out, arch, num_classes);
    std::printf("wrote %s (%s, %lld classes, %zu tensors)\n", out.c_str(), arch.c_str(),
                num_classes, tensors);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 2;
  }
  return 0;
}

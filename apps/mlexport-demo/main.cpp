// Writes the demo checkpoint in the export guide's form, with no Python and nothing downloaded.
//
//   mlexport-demo OUT.pt [ARCH] [NUM_CLASSES]
#include <cstdio>
#include <exception>
#include <string>

#include "zoo/demo_checkpoint.h"
#include "zoo/zoo.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: mlexport-demo OUT.pt [ARCH] [NUM_CLASSES]\n");
    return 2;
  }
  const std::string out = argv[1];
  const std::string arch = argc > 2 ? argv[2] : "resnet18";
  const long long num_classes = argc > 3 ? std::atoll(argv[3]) : 2;
  if (!mlexport::zoo::has_model(arch) || num_classes <= 0) {
    std::fprintf(stderr, "error: unknown architecture %s or bad class count\n", arch.c_str());
    return 2;
  }
  try {
    const size_t tensors = mlexport::zoo::write_demo_checkpoint(out, arch, num_classes);
    std::printf("wrote %s (%s, %lld classes, %zu tensors)\n", out.c_str(), arch.c_str(),
                num_classes, tensors);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 2;
  }
  return 0;
}

// torchvision 0.14 VGG without batch norm (torchvision/models/vgg.py): vgg11/13/16/19.
// Keys: features.N (Conv2d 3x3 pad 1, ReLU, MaxPool2d 2 as in cfgs A/B/D/E), avgpool
// (AdaptiveAvgPool2d 7x7), classifier.{0,3,6} (Linear; ReLU and Dropout(0.5) between).
// Inputs of 32x32 and up work (five 2x2 max pools).
#include <vector>

#include "zoo/zoo_torch.h"

namespace mlexport::zoo {
namespace {

namespace nn = torch::nn;

constexpr int64_t M = -1;  // max pool marker in a configuration

class VGGImpl : public nn::Module {
 public:
  VGGImpl(const std::vector<int64_t>& cfg, int64_t num_classes, double dropout = 0.5) {
    nn::Sequential layers;
    int64_t in_channels = 3;
    for (int64_t v : cfg) {
      if (v == M) {
        layers->push_back(nn::MaxPool2d(nn::MaxPool2dOptions(2).stride(2)));
      } else {
        layers->push_back(nn::Conv2d(nn::Conv2dOptions(in_channels, v, 3).padding(1)));
        layers->push_back(nn::ReLU());
        in_channels = v;
      }
    }
    features = register_module("features", layers);
    avgpool = register_module("avgpool", nn::AdaptiveAvgPool2d(7));
    classifier = register_module(
        "classifier", nn::Sequential(nn::Linear(512 * 7 * 7, 4096), nn::ReLU(),
                                     nn::Dropout(dropout), nn::Linear(4096, 4096), nn::ReLU(),
                                     nn::Dropout(dropout), nn::Linear(4096, num_classes)));
  }

  torch::Tensor forward(torch::Tensor x) {
    x = avgpool->forward(features->forward(x));
    return classifier->forward(torch::flatten(x, 1));
  }

  nn::Sequential features{nullptr};
  nn::AdaptiveAvgPool2d avgpool{nullptr};
  nn::Sequential classifier{nullptr};
};
TORCH_MODULE(VGG);

const std::vector<int64_t> kCfgA{64, M, 128, M, 256, 256, M, 512, 512, M, 512, 512, M};
const std::vector<int64_t> kCfgB{64, 64, M, 128, 128, M, 256, 256, M, 512, 512, M, 512, 512, M};
const std::vector<int64_t> kCfgD{64, 64,  M,   128, 128, M,   256, 256, 256,
                                 M,  512, 512, 512, M,   512, 512, 512, M};
const std::vector<int64_t> kCfgE{64,  64,  M,   128, 128, M,   256, 256, 256, 256, M,
                                 512, 512, 512, 512, M,   512, 512, 512, 512, M};

ZooModel vgg11(int64_t n) {
  return make_zoo_model(VGG(kCfgA, n));
}
ZooModel vgg13(int64_t n) {
  return make_zoo_model(VGG(kCfgB, n));
}
ZooModel vgg16(int64_t n) {
  return make_zoo_model(VGG(kCfgD, n));
}
ZooModel vgg19(int64_t n) {
  return make_zoo_model(VGG(kCfgE, n));
}

}  // namespace

void add_vgg_models(std::vector<ZooEntry>& entries) {
  const std::vector<int64_t> input{3, 224, 224};
  entries.push_back({"vgg11", &vgg11, input, "vgg"});
  entries.push_back({"vgg13", &vgg13, input, "vgg"});
  entries.push_back({"vgg16", &vgg16, input, "vgg"});
  entries.push_back({"vgg19", &vgg19, input, "vgg"});
}

}  // namespace mlexport::zoo

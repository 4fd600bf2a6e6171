// Our own small models (no torchvision counterpart; layers documented in src/zoo/README.md and
// mirrored in Python by tests/zoo/make_reference.py): simple_cnn and tiny_net.
#include <vector>

#include "zoo/zoo_torch.h"

namespace mlexport::zoo {
namespace {

namespace nn = torch::nn;

// features.{0,4,8} Conv2d 3x3 pad 1 no bias (32, 64, 128 channels), features.{1,5,9}
// BatchNorm2d, features.{2,6,10} ReLU, features.{3,7,11} MaxPool2d 2; avgpool (adaptive 1x1),
// dropout (0.2), classifier Linear(128, num_classes). Inputs of 8x8 and up.
class SimpleCNNImpl : public nn::Module {
 public:
  explicit SimpleCNNImpl(int64_t num_classes) {
    nn::Sequential f;
    int64_t in = 3;
    for (int64_t out : {32, 64, 128}) {
      f->push_back(nn::Conv2d(nn::Conv2dOptions(in, out, 3).padding(1).bias(false)));
      f->push_back(nn::BatchNorm2d(out));
      f->push_back(nn::ReLU());
      f->push_back(nn::MaxPool2d(nn::MaxPool2dOptions(2).stride(2)));
      in = out;
    }
    features = register_module("features", f);
    avgpool = register_module("avgpool", nn::AdaptiveAvgPool2d(1));
    dropout = register_module("dropout", nn::Dropout(0.2));
    classifier = register_module("classifier", nn::Linear(128, num_classes));
  }

  torch::Tensor forward(torch::Tensor x) {
    x = torch::flatten(avgpool->forward(features->forward(x)), 1);
    return classifier->forward(dropout->forward(x));
  }

  nn::Sequential features{nullptr};
  nn::AdaptiveAvgPool2d avgpool{nullptr};
  nn::Dropout dropout{nullptr};
  nn::Linear classifier{nullptr};
};
TORCH_MODULE(SimpleCNN);

// conv1 Conv2d(3, 16, 3, pad 1), relu1, conv2 Conv2d(16, 32, 3, pad 1), relu2, pool (adaptive
// 1x1), fc Linear(32, num_classes). Any input size.
class TinyNetImpl : public nn::Module {
 public:
  explicit TinyNetImpl(int64_t num_classes) {
    conv1 = register_module("conv1", nn::Conv2d(nn::Conv2dOptions(3, 16, 3).padding(1)));
    relu1 = register_module("relu1", nn::ReLU());
    conv2 = register_module("conv2", nn::Conv2d(nn::Conv2dOptions(16, 32, 3).padding(1)));
    relu2 = register_module("relu2", nn::ReLU());
    pool = register_module("pool", nn::AdaptiveAvgPool2d(1));
    fc = register_module("fc", nn::Linear(32, num_classes));
  }

  torch::Tensor forward(torch::Tensor x) {
    x = relu2->forward(conv2->forward(relu1->forward(conv1->forward(x))));
    return fc->forward(torch::flatten(pool->forward(x), 1));
  }

  nn::Conv2d conv1{nullptr}, conv2{nullptr};
  nn::ReLU relu1{nullptr}, relu2{nullptr};
  nn::AdaptiveAvgPool2d pool{nullptr};
  nn::Linear fc{nullptr};
};
TORCH_MODULE(TinyNet);

ZooModel simple_cnn(int64_t n) {
  return make_zoo_model(SimpleCNN(n));
}
ZooModel tiny_net(int64_t n) {
  return make_zoo_model(TinyNet(n));
}

}  // namespace

void add_custom_models(std::vector<ZooEntry>& entries) {
  entries.push_back({"simple_cnn", &simple_cnn, {3, 64, 64}, "custom"});
  entries.push_back({"tiny_net", &tiny_net, {3, 64, 64}, "custom"});
}

}  // namespace mlexport::zoo

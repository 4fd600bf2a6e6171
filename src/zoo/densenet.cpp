// torchvision 0.14 DenseNet-BC (torchvision/models/densenet.py): densenet121/161/169/201,
// memory_efficient off, drop_rate 0. Keys: features.{conv0,norm0},
// features.denseblockN.denselayerM. {norm1,conv1,norm2,conv2}, features.transitionN.{norm,conv},
// features.norm5, classifier. Inputs of 32x32 and up work (stem /4, three transitions /2, adaptive
// 1x1 head).
#include <vector>

#include "zoo/zoo_torch.h"

namespace mlexport::zoo {
namespace {

namespace nn = torch::nn;

class DenseLayerImpl : public nn::Module {
 public:
  DenseLayerImpl(int64_t num_input_features, int64_t growth_rate, int64_t bn_size) {
    norm1 = register_module("norm1", nn::BatchNorm2d(num_input_features));
    relu1 = register_module("relu1", nn::ReLU());
    conv1 = register_module(
        "conv1",
        nn::Conv2d(nn::Conv2dOptions(num_input_features, bn_size * growth_rate, 1).bias(false)));
    norm2 = register_module("norm2", nn::BatchNorm2d(bn_size * growth_rate));
    relu2 = register_module("relu2", nn::ReLU());
    conv2 = register_module(
        "conv2",
        nn::Conv2d(
            nn::Conv2dOptions(bn_size * growth_rate, growth_rate, 3).padding(1).bias(false)));
  }

  // `concatenated` is torch.cat(prev_features, 1) (torchvision's bn_function does the cat).
  torch::Tensor forward(torch::Tensor concatenated) {
    auto bottleneck = conv1->forward(relu1->forward(norm1->forward(concatenated)));
    return conv2->forward(relu2->forward(norm2->forward(bottleneck)));
  }

  nn::BatchNorm2d norm1{nullptr}, norm2{nullptr};
  nn::ReLU relu1{nullptr}, relu2{nullptr};
  nn::Conv2d conv1{nullptr}, conv2{nullptr};
};
TORCH_MODULE(DenseLayer);

class DenseBlockImpl : public nn::Module {
 public:
  DenseBlockImpl(int64_t num_layers, int64_t num_input_features, int64_t bn_size,
                 int64_t growth_rate) {
    for (int64_t i = 0; i < num_layers; ++i) {
      layers.push_back(
          register_module("denselayer" + std::to_string(i + 1),
                          DenseLayer(num_input_features + i * growth_rate, growth_rate, bn_size)));
    }
  }

  torch::Tensor forward(torch::Tensor init_features) {
    std::vector<torch::Tensor> features{init_features};
    for (auto& layer : layers) features.push_back(layer->forward(torch::cat(features, 1)));
    return torch::cat(features, 1);
  }

  std::vector<DenseLayer> layers;
};
TORCH_MODULE(DenseBlock);

class TransitionImpl : public nn::Module {
 public:
  TransitionImpl(int64_t num_input_features, int64_t num_output_features) {
    norm = register_module("norm", nn::BatchNorm2d(num_input_features));
    relu = register_module("relu", nn::ReLU());
    conv = register_module(
        "conv",
        nn::Conv2d(nn::Conv2dOptions(num_input_features, num_output_features, 1).bias(false)));
    pool = register_module("pool", nn::AvgPool2d(nn::AvgPool2dOptions(2).stride(2)));
  }

  torch::Tensor forward(torch::Tensor x) {
    return pool->forward(conv->forward(relu->forward(norm->forward(x))));
  }

  nn::BatchNorm2d norm{nullptr};
  nn::ReLU relu{nullptr};
  nn::Conv2d conv{nullptr};
  nn::AvgPool2d pool{nullptr};
};
TORCH_MODULE(Transition);

class DenseNetImpl : public nn::Module {
 public:
  DenseNetImpl(int64_t growth_rate, const std::vector<int64_t>& block_config,
               int64_t num_init_features, int64_t num_classes, int64_t bn_size = 4) {
    nn::Sequential f;
    f->push_back(
        "conv0",
        nn::Conv2d(nn::Conv2dOptions(3, num_init_features, 7).stride(2).padding(3).bias(false)));
    f->push_back("norm0", nn::BatchNorm2d(num_init_features));
    f->push_back("relu0", nn::ReLU());
    f->push_back("pool0", nn::MaxPool2d(nn::MaxPool2dOptions(3).stride(2).padding(1)));
    int64_t num_features = num_init_features;
    for (size_t i = 0; i < block_config.size(); ++i) {
      f->push_back("denseblock" + std::to_string(i + 1),
                   DenseBlock(block_config[i], num_features, bn_size, growth_rate));
      num_features += block_config[i] * growth_rate;
      if (i + 1 != block_config.size()) {
        f->push_back("transition" + std::to_string(i + 1),
                     Transition(num_features, num_features / 2));
        num_features /= 2;
      }
    }
    f->push_back("norm5", nn::BatchNorm2d(num_features));
    features = register_module("features", f);
    classifier = register_module("classifier", nn::Linear(num_features, num_classes));
  }

  torch::Tensor forward(torch::Tensor x) {
    auto out = torch::relu(features->forward(x));
    out = torch::flatten(torch::adaptive_avg_pool2d(out, {1, 1}), 1);
    return classifier->forward(out);
  }

  nn::Sequential features{nullptr};
  nn::Linear classifier{nullptr};
};
TORCH_MODULE(DenseNet);

ZooModel densenet121(int64_t n) {
  return make_zoo_model(DenseNet(32, std::vector<int64_t>{6, 12, 24, 16}, 64, n));
}
ZooModel densenet161(int64_t n) {
  return make_zoo_model(DenseNet(48, std::vector<int64_t>{6, 12, 36, 24}, 96, n));
}
ZooModel densenet169(int64_t n) {
  return make_zoo_model(DenseNet(32, std::vector<int64_t>{6, 12, 32, 32}, 64, n));
}
ZooModel densenet201(int64_t n) {
  return make_zoo_model(DenseNet(32, std::vector<int64_t>{6, 12, 48, 32}, 64, n));
}

}  // namespace

void add_densenet_models(std::vector<ZooEntry>& entries) {
  const std::vector<int64_t> input{3, 224, 224};
  entries.push_back({"densenet121", &densenet121, input, "densenet"});
  entries.push_back({"densenet161", &densenet161, input, "densenet"});
  entries.push_back({"densenet169", &densenet169, input, "densenet"});
  entries.push_back({"densenet201", &densenet201, input, "densenet"});
}

}  // namespace mlexport::zoo

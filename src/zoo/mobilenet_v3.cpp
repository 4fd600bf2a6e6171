// torchvision 0.14 MobileNetV3 (models/mobilenetv3.py), small and large, in the LibTorch C++
// frontend. The module tree mirrors torchvision's, so the state_dict keys are identical:
//   features.0.{0,1}                        stem Conv2dNormActivation (hardswish)
//   features.N.block.M.{0,1}                InvertedResidual: expand / depthwise / project
//   features.N.block.M.fc1, .fc2            SqueezeExcitation (relu, hardsigmoid)
//   features.<last>.{0,1}                   last 1x1 Conv2dNormActivation (hardswish)
//   classifier.0 / classifier.3             Linear, hardswish, Dropout, Linear
// BatchNorm2d eps=1e-3, momentum=0.01, as torchvision's MobileNetV3 passes them.
// mobilenet_v3_large_trunk() (backbones.h) gives the features alone, optionally dilated, as
// torchvision's segmentation models use them.
#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "zoo/backbones.h"
#include "zoo/layers.h"
#include "zoo/zoo_torch.h"

namespace mlexport::zoo {
namespace {

constexpr double kBnEps = 1e-3;
constexpr double kBnMomentum = 0.01;

// InvertedResidualConfig (Tables 1 and 2 of the MobileNetV3 paper), width_mult already applied.
struct BlockConfig {
  int64_t input_channels;
  int64_t kernel;
  int64_t expanded_channels;
  int64_t out_channels;
  bool use_se;
  bool use_hs;  // hardswish ("HS") rather than relu ("RE")
  int64_t stride;
  int64_t dilation;
};

int64_t adjust_channels(int64_t channels, double width_mult) {
  return make_divisible(static_cast<double>(channels) * width_mult, 8);
}

BlockConfig bneck(int64_t in, int64_t kernel, int64_t expanded, int64_t out, bool se,
                  const char* activation, int64_t stride, int64_t dilation,
                  double width_mult = 1.0) {
  return BlockConfig{adjust_channels(in, width_mult),
                     kernel,
                     adjust_channels(expanded, width_mult),
                     adjust_channels(out, width_mult),
                     se,
                     std::string(activation) == "HS",
                     stride,
                     dilation};
}

ConvNormActOptions cna(int64_t in, int64_t out, int64_t kernel, Activation activation,
                       int64_t stride = 1, int64_t groups = 1, int64_t dilation = 1) {
  ConvNormActOptions o;
  o.in_channels = in;
  o.out_channels = out;
  o.kernel_size = kernel;
  o.stride = stride;
  o.groups = groups;
  o.dilation = dilation;
  o.norm = true;
  o.norm_eps = kBnEps;
  o.norm_momentum = kBnMomentum;
  o.activation = activation;
  return o;
}

class InvertedResidualImpl : public torch::nn::Module {
 public:
  explicit InvertedResidualImpl(const BlockConfig& cnf) {
    TORCH_CHECK(cnf.stride >= 1 && cnf.stride <= 2, "illegal stride value");
    use_res_connect_ = cnf.stride == 1 && cnf.input_channels == cnf.out_channels;
    const Activation act = cnf.use_hs ? Activation::Hardswish : Activation::ReLU;

    block_ = register_module("block", torch::nn::Sequential());
    if (cnf.expanded_channels != cnf.input_channels) {  // expand
      block_->push_back(ConvNormAct(cna(cnf.input_channels, cnf.expanded_channels, 1, act)));
    }
    const int64_t stride = cnf.dilation > 1 ? 1 : cnf.stride;  // depthwise
    block_->push_back(ConvNormAct(cna(cnf.expanded_channels, cnf.expanded_channels, cnf.kernel, act,
                                      stride, cnf.expanded_channels, cnf.dilation)));
    if (cnf.use_se) {
      const int64_t squeeze = make_divisible(static_cast<double>(cnf.expanded_channels / 4), 8);
      block_->push_back(SqueezeExcitation(cnf.expanded_channels, squeeze, Activation::ReLU,
                                          Activation::Hardsigmoid));
    }
    block_->push_back(  // project
        ConvNormAct(cna(cnf.expanded_channels, cnf.out_channels, 1, Activation::None)));
  }

  torch::Tensor forward(torch::Tensor input) {
    torch::Tensor result = block_->forward(input);
    if (use_res_connect_) result = result + input;
    return result;
  }

 private:
  torch::nn::Sequential block_{nullptr};
  bool use_res_connect_ = false;
};
TORCH_MODULE(InvertedResidual);

// features: the stem, one InvertedResidual per row of `setting`, the last 1x1 convolution.
torch::nn::Sequential make_features(const std::vector<BlockConfig>& setting) {
  TORCH_CHECK(!setting.empty(), "The inverted_residual_setting should not be empty");
  torch::nn::Sequential features;
  features->push_back(
      ConvNormAct(cna(3, setting.front().input_channels, 3, Activation::Hardswish, 2)));
  for (const auto& cnf : setting) features->push_back(InvertedResidual(cnf));
  const int64_t last_in = setting.back().out_channels;
  features->push_back(ConvNormAct(cna(last_in, 6 * last_in, 1, Activation::Hardswish)));
  return features;
}

// torchvision's initialisation.
void init_weights(torch::nn::Module& root) {
  torch::NoGradGuard no_grad;
  for (auto& m : root.modules(/*include_self=*/false)) {
    if (auto* conv = m->as<torch::nn::Conv2d>()) {
      torch::nn::init::kaiming_normal_(conv->weight, 0.0, torch::kFanOut);
      if (conv->bias.defined()) conv->bias.zero_();
    } else if (auto* bn = m->as<torch::nn::BatchNorm2d>()) {
      bn->weight.fill_(1.0);
      bn->bias.zero_();
    } else if (auto* linear = m->as<torch::nn::Linear>()) {
      linear->weight.normal_(0.0, 0.01);
      linear->bias.zero_();
    }
  }
}

class MobileNetV3Impl : public torch::nn::Module {
 public:
  MobileNetV3Impl(const std::vector<BlockConfig>& setting, int64_t last_channel,
                  int64_t num_classes, double dropout) {
    features_ = register_module("features", make_features(setting));
    const int64_t last_out = 6 * setting.back().out_channels;

    classifier_ = register_module(
        "classifier", torch::nn::Sequential(torch::nn::Linear(last_out, last_channel),
                                            torch::nn::Functional([](torch::Tensor x) {
                                              return torch::hardswish(x);
                                            }),
                                            torch::nn::Dropout(torch::nn::DropoutOptions(dropout)),
                                            torch::nn::Linear(last_channel, num_classes)));

    init_weights(*this);
  }

  torch::Tensor forward(torch::Tensor x) {
    x = features_->forward(x);
    x = torch::adaptive_avg_pool2d(x, {1, 1});
    x = torch::flatten(x, 1);
    return classifier_->forward(x);
  }

 private:
  torch::nn::Sequential features_{nullptr};
  torch::nn::Sequential classifier_{nullptr};
};
TORCH_MODULE(MobileNetV3);

// torchvision's _mobilenet_v3_conf("mobilenet_v3_large", dilated=...): the last three blocks
// (C4 and after) take dilation 2 when dilated.
std::vector<BlockConfig> large_setting(bool dilated) {
  const int64_t d = dilated ? 2 : 1;
  return {
      bneck(16, 3, 16, 16, false, "RE", 1, 1),   bneck(16, 3, 64, 24, false, "RE", 2, 1),
      bneck(24, 3, 72, 24, false, "RE", 1, 1),   bneck(24, 5, 72, 40, true, "RE", 2, 1),
      bneck(40, 5, 120, 40, true, "RE", 1, 1),   bneck(40, 5, 120, 40, true, "RE", 1, 1),
      bneck(40, 3, 240, 80, false, "HS", 2, 1),  bneck(80, 3, 200, 80, false, "HS", 1, 1),
      bneck(80, 3, 184, 80, false, "HS", 1, 1),  bneck(80, 3, 184, 80, false, "HS", 1, 1),
      bneck(80, 3, 480, 112, true, "HS", 1, 1),  bneck(112, 3, 672, 112, true, "HS", 1, 1),
      bneck(112, 5, 672, 160, true, "HS", 2, d), bneck(160, 5, 960, 160, true, "HS", 1, d),
      bneck(160, 5, 960, 160, true, "HS", 1, d),
  };
}

ZooModel mobilenet_v3_large(int64_t num_classes) {
  return make_zoo_model(
      MobileNetV3(large_setting(false), adjust_channels(1280, 1.0), num_classes, 0.2));
}

ZooModel mobilenet_v3_small(int64_t num_classes) {
  const std::vector<BlockConfig> setting = {
      bneck(16, 3, 16, 16, true, "RE", 2, 1),  bneck(16, 3, 72, 24, false, "RE", 2, 1),
      bneck(24, 3, 88, 24, false, "RE", 1, 1), bneck(24, 5, 96, 40, true, "HS", 2, 1),
      bneck(40, 5, 240, 40, true, "HS", 1, 1), bneck(40, 5, 240, 40, true, "HS", 1, 1),
      bneck(40, 5, 120, 48, true, "HS", 1, 1), bneck(48, 5, 144, 48, true, "HS", 1, 1),
      bneck(48, 5, 288, 96, true, "HS", 2, 1), bneck(96, 5, 576, 96, true, "HS", 1, 1),
      bneck(96, 5, 576, 96, true, "HS", 1, 1),
  };
  return make_zoo_model(MobileNetV3(setting, adjust_channels(1024, 1.0), num_classes, 0.2));
}

}  // namespace

Trunk mobilenet_v3_large_trunk(bool dilated, const std::vector<int64_t>& taps) {
  const std::vector<BlockConfig> setting = large_setting(dilated);
  const int64_t count = static_cast<int64_t>(setting.size()) + 2;
  int64_t last = 0;
  for (int64_t tap : taps) {
    if (tap < 0 || tap >= count)
      throw std::invalid_argument("mobilenet_v3_large_trunk: no feature " + std::to_string(tap));
    last = std::max(last, tap);
  }
  torch::nn::Sequential all = make_features(setting);
  torch::nn::Sequential kept;  // IntermediateLayerGetter drops what follows the last tap
  for (int64_t i = 0; i <= last; ++i) kept->push_back(all->begin()[i]);
  init_weights(*kept);
  Trunk out;
  out.module = kept.ptr();
  out.run = [kept, taps](const torch::Tensor& input) mutable {
    std::vector<torch::Tensor> tapped(taps.size());
    torch::Tensor x = input;
    int64_t i = 0;
    for (auto& layer : *kept) {
      x = layer.forward<torch::Tensor>(x);
      for (size_t t = 0; t < taps.size(); ++t)
        if (taps[t] == i) tapped[t] = x;
      ++i;
    }
    return tapped;
  };
  return out;
}

int64_t mobilenet_v3_large_channels(int64_t index) {
  const std::vector<BlockConfig> setting = large_setting(false);
  const int64_t blocks = static_cast<int64_t>(setting.size());
  if (index == 0) return setting.front().input_channels;
  if (index >= 1 && index <= blocks) return setting[static_cast<size_t>(index - 1)].out_channels;
  if (index == blocks + 1) return 6 * setting.back().out_channels;
  throw std::invalid_argument("mobilenet_v3_large: no feature " + std::to_string(index));
}

void add_mobilenet_v3_models(std::vector<ZooEntry>& entries) {
  entries.push_back({"mobilenet_v3_large", &mobilenet_v3_large, {3, 224, 224}, "mobilenet_v3"});
  entries.push_back({"mobilenet_v3_small", &mobilenet_v3_small, {3, 224, 224}, "mobilenet_v3"});
}

}  // namespace mlexport::zoo

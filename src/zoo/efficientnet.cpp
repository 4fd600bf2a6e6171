// torchvision 0.14 EfficientNet B0-B3 (models/efficientnet.py) in the LibTorch C++ frontend. The
// module tree mirrors torchvision's, so the state_dict keys are identical:
//   features.0.{0,1}                    stem Conv2dNormActivation 3x3/2 (SiLU)
//   features.N.M.block.K.{0,1}          MBConv (N = 1..7 stages, M = block in stage):
//                                       [expand 1x1,] depthwise, SqueezeExcitation (fc1/fc2,
//                                       SiLU/sigmoid), project 1x1
//   features.8.{0,1}                    last 1x1 Conv2dNormActivation (SiLU)
//   classifier.1                        Linear (classifier.0 is Dropout)
// Width and depth multipliers go through _make_divisible / ceil exactly as torchvision's
// MBConvConfig. Stochastic depth ("row" mode) is the identity in eval mode.
//
// BatchNorm: torchvision builds B0-B4 with the default nn.BatchNorm2d (eps=1e-5, momentum=0.1);
// only B5-B7 and the V2 models pass eps=1e-3, momentum=0.01. So B0-B3 here use 1e-5.
#include <cmath>
#include <string>
#include <vector>

#include "zoo/layers.h"
#include "zoo/zoo_torch.h"

namespace mlexport::zoo {
namespace {

struct MBConvConfig {
  double expand_ratio;
  int64_t kernel;
  int64_t stride;
  int64_t input_channels;
  int64_t out_channels;
  int64_t num_layers;
};

int64_t adjust_channels(int64_t channels, double width_mult) {
  return make_divisible(static_cast<double>(channels) * width_mult, 8);
}

int64_t adjust_depth(int64_t num_layers, double depth_mult) {
  return static_cast<int64_t>(std::ceil(static_cast<double>(num_layers) * depth_mult));
}

struct Norm {
  double eps;
  double momentum;
};

ConvNormActOptions cna(int64_t in, int64_t out, int64_t kernel, Activation activation,
                       const Norm& norm, int64_t stride = 1, int64_t groups = 1) {
  ConvNormActOptions o;
  o.in_channels = in;
  o.out_channels = out;
  o.kernel_size = kernel;
  o.stride = stride;
  o.groups = groups;
  o.norm = true;
  o.norm_eps = norm.eps;
  o.norm_momentum = norm.momentum;
  o.activation = activation;
  return o;
}

class MBConvImpl : public torch::nn::Module {
 public:
  MBConvImpl(const MBConvConfig& cnf, double stochastic_depth_prob, const Norm& norm) {
    TORCH_CHECK(cnf.stride >= 1 && cnf.stride <= 2, "illegal stride value");
    use_res_connect_ = cnf.stride == 1 && cnf.input_channels == cnf.out_channels;

    block_ = register_module("block", torch::nn::Sequential());
    const int64_t expanded = adjust_channels(cnf.input_channels, cnf.expand_ratio);
    if (expanded != cnf.input_channels) {  // expand
      block_->push_back(ConvNormAct(cna(cnf.input_channels, expanded, 1, Activation::SiLU, norm)));
    }
    block_->push_back(ConvNormAct(  // depthwise
        cna(expanded, expanded, cnf.kernel, Activation::SiLU, norm, cnf.stride, expanded)));
    const int64_t squeeze = std::max<int64_t>(1, cnf.input_channels / 4);
    block_->push_back(SqueezeExcitation(expanded, squeeze, Activation::SiLU, Activation::Sigmoid));
    block_->push_back(  // project
        ConvNormAct(cna(expanded, cnf.out_channels, 1, Activation::None, norm)));
    stochastic_depth_ = register_module("stochastic_depth", StochasticDepth(stochastic_depth_prob));
  }

  torch::Tensor forward(torch::Tensor input) {
    torch::Tensor result = block_->forward(input);
    if (use_res_connect_) {
      result = stochastic_depth_->forward(result);
      result = result + input;
    }
    return result;
  }

 private:
  torch::nn::Sequential block_{nullptr};
  StochasticDepth stochastic_depth_{nullptr};
  bool use_res_connect_ = false;
};
TORCH_MODULE(MBConv);

class EfficientNetImpl : public torch::nn::Module {
 public:
  EfficientNetImpl(const std::vector<MBConvConfig>& setting, double dropout, int64_t num_classes,
                   const Norm& norm, double stochastic_depth_prob = 0.2) {
    TORCH_CHECK(!setting.empty(), "The inverted_residual_setting should not be empty");
    features_ = register_module("features", torch::nn::Sequential());
    features_->push_back(
        ConvNormAct(cna(3, setting.front().input_channels, 3, Activation::SiLU, norm, 2)));

    int64_t total_blocks = 0;
    for (const auto& cnf : setting) total_blocks += cnf.num_layers;
    int64_t block_id = 0;
    for (const auto& cnf : setting) {
      Seq stage;
      for (int64_t i = 0; i < cnf.num_layers; ++i) {
        MBConvConfig block_cnf = cnf;
        if (i > 0) {  // not the first block of the stage
          block_cnf.input_channels = block_cnf.out_channels;
          block_cnf.stride = 1;
        }
        const double sd_prob = stochastic_depth_prob * static_cast<double>(block_id) /
                               static_cast<double>(total_blocks);
        stage->push_back(MBConv(block_cnf, sd_prob, norm));
        ++block_id;
      }
      features_->push_back(stage);
    }

    const int64_t last_in = setting.back().out_channels;
    const int64_t last_out = 4 * last_in;
    features_->push_back(ConvNormAct(cna(last_in, last_out, 1, Activation::SiLU, norm)));

    classifier_ = register_module(
        "classifier", torch::nn::Sequential(torch::nn::Dropout(torch::nn::DropoutOptions(dropout)),
                                            torch::nn::Linear(last_out, num_classes)));

    // torchvision's initialisation.
    torch::NoGradGuard no_grad;
    for (auto& m : modules(/*include_self=*/false)) {
      if (auto* conv = m->as<torch::nn::Conv2d>()) {
        torch::nn::init::kaiming_normal_(conv->weight, 0.0, torch::kFanOut);
        if (conv->bias.defined()) conv->bias.zero_();
      } else if (auto* bn = m->as<torch::nn::BatchNorm2d>()) {
        bn->weight.fill_(1.0);
        bn->bias.zero_();
      } else if (auto* linear = m->as<torch::nn::Linear>()) {
        const double range = 1.0 / std::sqrt(static_cast<double>(linear->weight.size(0)));
        linear->weight.uniform_(-range, range);
        linear->bias.zero_();
      }
    }
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
TORCH_MODULE(EfficientNet);

// _efficientnet_conf("efficientnet_bN", width_mult, depth_mult).
std::vector<MBConvConfig> b_setting(double width_mult, double depth_mult) {
  auto conf = [&](double expand, int64_t kernel, int64_t stride, int64_t in, int64_t out,
                  int64_t layers) {
    return MBConvConfig{expand,
                        kernel,
                        stride,
                        adjust_channels(in, width_mult),
                        adjust_channels(out, width_mult),
                        adjust_depth(layers, depth_mult)};
  };
  return {
      conf(1, 3, 1, 32, 16, 1),   conf(6, 3, 2, 16, 24, 2),  conf(6, 5, 2, 24, 40, 2),
      conf(6, 3, 2, 40, 80, 3),   conf(6, 5, 1, 80, 112, 3), conf(6, 5, 2, 112, 192, 4),
      conf(6, 3, 1, 192, 320, 1),
  };
}

// nn.BatchNorm2d defaults: what torchvision's efficientnet_b0..b4 use.
constexpr Norm kDefaultNorm{1e-5, 0.1};

ZooModel efficientnet_b0(int64_t num_classes) {
  return make_zoo_model(EfficientNet(b_setting(1.0, 1.0), 0.2, num_classes, kDefaultNorm));
}
ZooModel efficientnet_b1(int64_t num_classes) {
  return make_zoo_model(EfficientNet(b_setting(1.0, 1.1), 0.2, num_classes, kDefaultNorm));
}
ZooModel efficientnet_b2(int64_t num_classes) {
  return make_zoo_model(EfficientNet(b_setting(1.1, 1.2), 0.3, num_classes, kDefaultNorm));
}
ZooModel efficientnet_b3(int64_t num_classes) {
  return make_zoo_model(EfficientNet(b_setting(1.2, 1.4), 0.3, num_classes, kDefaultNorm));
}

}  // namespace

void add_efficientnet_models(std::vector<ZooEntry>& entries) {
  entries.push_back({"efficientnet_b0", &efficientnet_b0, {3, 224, 224}, "efficientnet"});
  entries.push_back({"efficientnet_b1", &efficientnet_b1, {3, 224, 224}, "efficientnet"});
  entries.push_back({"efficientnet_b2", &efficientnet_b2, {3, 224, 224}, "efficientnet"});
  entries.push_back({"efficientnet_b3", &efficientnet_b3, {3, 224, 224}, "efficientnet"});
}

}  // namespace mlexport::zoo

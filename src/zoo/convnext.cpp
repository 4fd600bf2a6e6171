// torchvision 0.14 ConvNeXt (models/convnext.py): convnext_tiny, convnext_small, convnext_base in
// the LibTorch C++ frontend. The module tree mirrors torchvision's, so the state_dict keys are
// identical:
//   features.0.0 / features.0.1          stem: Conv2d 4x4/4 (bias), LayerNorm2d
//   features.{1,3,5,7}.M.layer_scale     CNBlock [dim, 1, 1]
//   features.{1,3,5,7}.M.block.0         depthwise Conv2d 7x7 (bias)
//   features.{1,3,5,7}.M.block.2         LayerNorm (channels last; block.1 is Permute)
//   features.{1,3,5,7}.M.block.3 / .5    Linear dim -> 4 dim, GELU (exact), Linear 4 dim -> dim
//                                        (block.6 is Permute back)
//   features.{2,4,6}.0 / .1              downsampling: LayerNorm2d, Conv2d 2x2/2
//   classifier.0 / classifier.2          LayerNorm2d, (Flatten), Linear
// LayerNorm and LayerNorm2d use eps=1e-6. Stochastic depth ("row") is the identity in eval mode.
// Any input size that survives the /32 reduction (>= 32) works.
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "zoo/layers.h"
#include "zoo/zoo_torch.h"

namespace mlexport::zoo {
namespace {

constexpr double kLnEps = 1e-6;

// torchvision.models.convnext.LayerNorm2d: LayerNorm over the channels of an NCHW tensor
// (permute to NHWC, layer_norm, permute back). Parameters weight, bias.
class LayerNorm2dImpl : public torch::nn::Module {
 public:
  explicit LayerNorm2dImpl(int64_t channels, double eps = kLnEps) : channels_(channels), eps_(eps) {
    weight = register_parameter("weight", torch::ones({channels}));
    bias = register_parameter("bias", torch::zeros({channels}));
  }

  torch::Tensor forward(torch::Tensor x) {
    x = x.permute({0, 2, 3, 1});
    x = torch::layer_norm(x, {channels_}, weight, bias, eps_);
    return x.permute({0, 3, 1, 2});
  }

  torch::Tensor weight;
  torch::Tensor bias;

 private:
  int64_t channels_;
  double eps_;
};
TORCH_MODULE(LayerNorm2d);

torch::nn::Functional permute(std::vector<int64_t> dims) {
  return torch::nn::Functional([dims](torch::Tensor x) { return x.permute(dims); });
}

class CNBlockImpl : public torch::nn::Module {
 public:
  CNBlockImpl(int64_t dim, double layer_scale, double stochastic_depth_prob) {
    block_ = register_module(
        "block", torch::nn::Sequential(
                     torch::nn::Conv2d(
                         torch::nn::Conv2dOptions(dim, dim, 7).padding(3).groups(dim).bias(true)),
                     permute({0, 2, 3, 1}),
                     torch::nn::LayerNorm(torch::nn::LayerNormOptions({dim}).eps(kLnEps)),
                     torch::nn::Linear(dim, 4 * dim),
                     torch::nn::Functional([](torch::Tensor x) { return torch::gelu(x); }),
                     torch::nn::Linear(4 * dim, dim), permute({0, 3, 1, 2})));
    this->layer_scale = register_parameter("layer_scale", torch::ones({dim, 1, 1}) * layer_scale);
    stochastic_depth_ = register_module("stochastic_depth", StochasticDepth(stochastic_depth_prob));
  }

  torch::Tensor forward(torch::Tensor input) {
    auto result = layer_scale * block_->forward(input);
    result = stochastic_depth_->forward(result);
    return result + input;
  }

  torch::Tensor layer_scale;

 private:
  torch::nn::Sequential block_{nullptr};
  StochasticDepth stochastic_depth_{nullptr};
};
TORCH_MODULE(CNBlock);

struct CNBlockConfig {
  int64_t input_channels;
  std::optional<int64_t> out_channels;  // none: no downsampling after the stage
  int64_t num_layers;
};

class ConvNeXtImpl : public torch::nn::Module {
 public:
  ConvNeXtImpl(const std::vector<CNBlockConfig>& setting, double stochastic_depth_prob,
               int64_t num_classes, double layer_scale = 1e-6) {
    TORCH_CHECK(!setting.empty(), "The block_setting should not be empty");
    features_ = register_module("features", torch::nn::Sequential());
    const int64_t stem_out = setting.front().input_channels;
    features_->push_back(Seq(
        torch::nn::Conv2d(torch::nn::Conv2dOptions(3, stem_out, 4).stride(4).padding(0).bias(true)),
        LayerNorm2d(stem_out)));

    int64_t total_blocks = 0;
    for (const auto& cnf : setting) total_blocks += cnf.num_layers;
    int64_t block_id = 0;
    for (const auto& cnf : setting) {
      Seq stage;
      for (int64_t i = 0; i < cnf.num_layers; ++i) {
        const double sd_prob = stochastic_depth_prob * static_cast<double>(block_id) /
                               (static_cast<double>(total_blocks) - 1.0);
        stage->push_back(CNBlock(cnf.input_channels, layer_scale, sd_prob));
        ++block_id;
      }
      features_->push_back(stage);
      if (cnf.out_channels) {  // downsampling
        features_->push_back(
            Seq(LayerNorm2d(cnf.input_channels),
                torch::nn::Conv2d(
                    torch::nn::Conv2dOptions(cnf.input_channels, *cnf.out_channels, 2).stride(2))));
      }
    }

    const auto& last = setting.back();
    const int64_t last_channels = last.out_channels.value_or(last.input_channels);
    classifier_ = register_module(
        "classifier",
        torch::nn::Sequential(LayerNorm2d(last_channels),
                              torch::nn::Flatten(torch::nn::FlattenOptions().start_dim(1)),
                              torch::nn::Linear(last_channels, num_classes)));

    // torchvision's initialisation.
    torch::NoGradGuard no_grad;
    for (auto& m : modules(/*include_self=*/false)) {
      if (auto* conv = m->as<torch::nn::Conv2d>()) {
        trunc_normal_(conv->weight, 0.0, 0.02, -2.0, 2.0);
        if (conv->bias.defined()) conv->bias.zero_();
      } else if (auto* linear = m->as<torch::nn::Linear>()) {
        trunc_normal_(linear->weight, 0.0, 0.02, -2.0, 2.0);
        if (linear->bias.defined()) linear->bias.zero_();
      }
    }
  }

  torch::Tensor forward(torch::Tensor x) {
    x = features_->forward(x);
    x = torch::adaptive_avg_pool2d(x, {1, 1});
    return classifier_->forward(x);
  }

 private:
  torch::nn::Sequential features_{nullptr};
  torch::nn::Sequential classifier_{nullptr};
};
TORCH_MODULE(ConvNeXt);

using Setting = std::vector<CNBlockConfig>;

ZooModel convnext_tiny(int64_t num_classes) {
  const Setting setting = {{96, 192, 3}, {192, 384, 3}, {384, 768, 9}, {768, std::nullopt, 3}};
  return make_zoo_model(ConvNeXt(setting, 0.1, num_classes));
}
ZooModel convnext_small(int64_t num_classes) {
  const Setting setting = {{96, 192, 3}, {192, 384, 3}, {384, 768, 27}, {768, std::nullopt, 3}};
  return make_zoo_model(ConvNeXt(setting, 0.4, num_classes));
}
ZooModel convnext_base(int64_t num_classes) {
  const Setting setting = {{128, 256, 3}, {256, 512, 3}, {512, 1024, 27}, {1024, std::nullopt, 3}};
  return make_zoo_model(ConvNeXt(setting, 0.5, num_classes));
}

}  // namespace

void add_convnext_models(std::vector<ZooEntry>& entries) {
  entries.push_back({"convnext_tiny", &convnext_tiny, {3, 224, 224}, "convnext"});
  entries.push_back({"convnext_small", &convnext_small, {3, 224, 224}, "convnext"});
  entries.push_back({"convnext_base", &convnext_base, {3, 224, 224}, "convnext"});
}

}  // namespace mlexport::zoo

// torchvision 0.14 MobileNetV2 (torchvision/models/mobilenetv2.py), width_mult 1.0.
// Keys: features.0.{0,1} (stem Conv2dNormActivation), features.N.conv.{0,1}.{0,1} (expand and
// depthwise Conv2dNormActivation), features.N.conv.{2,3} (projection Conv2d, BatchNorm2d; {1,2}
// when the expand ratio is 1), features.18.{0,1}, classifier.1 (Linear after Dropout(0.2)). Any
// input size works (adaptive 1x1 head).
#include <vector>

#include "zoo/layers.h"
#include "zoo/zoo_torch.h"

namespace mlexport::zoo {
namespace {

namespace nn = torch::nn;

class InvertedResidualImpl : public nn::Module {
 public:
  InvertedResidualImpl(int64_t inp, int64_t oup, int64_t stride, int64_t expand_ratio) {
    const auto hidden_dim =
        static_cast<int64_t>(std::llround(static_cast<double>(inp * expand_ratio)));
    use_res_connect = stride == 1 && inp == oup;
    nn::Sequential layers;
    if (expand_ratio != 1) {
      layers->push_back(ConvNormAct(ConvNormActOptions{.in_channels = inp,
                                                       .out_channels = hidden_dim,
                                                       .kernel_size = 1,
                                                       .activation = Activation::ReLU6}));
    }
    layers->push_back(ConvNormAct(ConvNormActOptions{.in_channels = hidden_dim,
                                                     .out_channels = hidden_dim,
                                                     .stride = stride,
                                                     .groups = hidden_dim,
                                                     .activation = Activation::ReLU6}));
    layers->push_back(nn::Conv2d(nn::Conv2dOptions(hidden_dim, oup, 1).bias(false)));
    layers->push_back(nn::BatchNorm2d(oup));
    conv = register_module("conv", layers);
  }

  torch::Tensor forward(torch::Tensor x) {
    return use_res_connect ? x + conv->forward(x) : conv->forward(x);
  }

  bool use_res_connect = false;
  nn::Sequential conv{nullptr};
};
TORCH_MODULE(InvertedResidual);

class MobileNetV2Impl : public nn::Module {
 public:
  explicit MobileNetV2Impl(int64_t num_classes, double width_mult = 1.0, int64_t round_nearest = 8,
                           double dropout = 0.2) {
    // t (expand ratio), c (channels), n (repeats), s (first stride)
    const int64_t setting[7][4] = {{1, 16, 1, 1}, {6, 24, 2, 2},  {6, 32, 3, 2}, {6, 64, 4, 2},
                                   {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}};
    int64_t input_channel = make_divisible(32 * width_mult, round_nearest);
    const int64_t last_channel = make_divisible(1280 * std::max(1.0, width_mult), round_nearest);
    nn::Sequential f;
    f->push_back(ConvNormAct(ConvNormActOptions{.in_channels = 3,
                                                .out_channels = input_channel,
                                                .stride = 2,
                                                .activation = Activation::ReLU6}));
    for (const auto& row : setting) {
      const int64_t output_channel = make_divisible(row[1] * width_mult, round_nearest);
      for (int64_t i = 0; i < row[2]; ++i) {
        f->push_back(InvertedResidual(input_channel, output_channel, i == 0 ? row[3] : 1, row[0]));
        input_channel = output_channel;
      }
    }
    f->push_back(ConvNormAct(ConvNormActOptions{.in_channels = input_channel,
                                                .out_channels = last_channel,
                                                .kernel_size = 1,
                                                .activation = Activation::ReLU6}));
    features = register_module("features", f);
    classifier = register_module(
        "classifier", nn::Sequential(nn::Dropout(dropout), nn::Linear(last_channel, num_classes)));
  }

  torch::Tensor forward(torch::Tensor x) {
    x = torch::adaptive_avg_pool2d(features->forward(x), {1, 1});
    return classifier->forward(torch::flatten(x, 1));
  }

  nn::Sequential features{nullptr};
  nn::Sequential classifier{nullptr};
};
TORCH_MODULE(MobileNetV2);

ZooModel mobilenet_v2(int64_t n) {
  return make_zoo_model(MobileNetV2(n));
}

}  // namespace

void add_mobilenet_v2_models(std::vector<ZooEntry>& entries) {
  entries.push_back({"mobilenet_v2", &mobilenet_v2, {3, 224, 224}, "mobilenet_v2"});
}

}  // namespace mlexport::zoo

#include "zoo/segmentation_heads.h"

#include "zoo/layers.h"

namespace mlexport::zoo {
namespace {

namespace nn = torch::nn;

nn::Conv2d conv(int64_t in, int64_t out, int64_t kernel, bool bias, int64_t dilation = 1) {
  return nn::Conv2d(nn::Conv2dOptions(in, out, kernel)
                        .padding(kernel / 2 * dilation)
                        .dilation(dilation)
                        .bias(bias));
}

// Conv2d (no bias), BatchNorm2d, ReLU: keys 0.weight, 1.*.
Seq conv_bn_relu(int64_t in, int64_t out, int64_t kernel, int64_t dilation = 1) {
  return Seq(conv(in, out, kernel, false, dilation), nn::BatchNorm2d(out), nn::ReLU());
}

}  // namespace

torch::Tensor resize_bilinear(const torch::Tensor& x, int64_t height, int64_t width) {
  return nn::functional::interpolate(x, nn::functional::InterpolateFuncOptions()
                                            .size(std::vector<int64_t>{height, width})
                                            .mode(torch::kBilinear)
                                            .align_corners(false));
}

nn::Sequential fcn_head(int64_t in_channels, int64_t channels) {
  const int64_t inter = in_channels / 4;
  return nn::Sequential(conv(in_channels, inter, 3, false), nn::BatchNorm2d(inter), nn::ReLU(),
                        nn::Dropout(0.1), conv(inter, channels, 1, true));
}

AsppImpl::AsppImpl(int64_t in_channels, const std::vector<int64_t>& atrous_rates,
                   int64_t out_channels) {
  convs_ = register_module("convs", nn::ModuleList());
  convs_->push_back(conv_bn_relu(in_channels, out_channels, 1));
  for (int64_t rate : atrous_rates)
    convs_->push_back(conv_bn_relu(in_channels, out_channels, 3, rate));
  // ASPPPooling: 0 AdaptiveAvgPool2d(1), 1 Conv2d, 2 BatchNorm2d, 3 ReLU.
  convs_->push_back(Seq(nn::AdaptiveAvgPool2d(1), conv(in_channels, out_channels, 1, false),
                        nn::BatchNorm2d(out_channels), nn::ReLU()));
  const int64_t branches = static_cast<int64_t>(convs_->size());
  project_ = register_module(
      "project", nn::Sequential(conv(branches * out_channels, out_channels, 1, false),
                                nn::BatchNorm2d(out_channels), nn::ReLU(), nn::Dropout(0.5)));
}

torch::Tensor AsppImpl::forward(torch::Tensor x) {
  std::vector<torch::Tensor> branches;
  const size_t pooling = convs_->size() - 1;
  for (size_t i = 0; i < convs_->size(); ++i) {
    torch::Tensor y = convs_->ptr<SeqImpl>(i)->forward(x);
    if (i == pooling) y = resize_bilinear(y, x.size(2), x.size(3));
    branches.push_back(y);
  }
  return project_->forward(torch::cat(branches, 1));
}

nn::Sequential deeplab_head(int64_t in_channels, int64_t num_classes) {
  return nn::Sequential(Aspp(in_channels, std::vector<int64_t>{12, 24, 36}),
                        conv(256, 256, 3, false), nn::BatchNorm2d(256), nn::ReLU(),
                        conv(256, num_classes, 1, true));
}

LrasppHeadImpl::LrasppHeadImpl(int64_t low_channels, int64_t high_channels, int64_t num_classes,
                               int64_t inter_channels) {
  cbr_ = register_module("cbr", nn::Sequential(conv(high_channels, inter_channels, 1, false),
                                               nn::BatchNorm2d(inter_channels), nn::ReLU()));
  scale_ = register_module(
      "scale", nn::Sequential(nn::AdaptiveAvgPool2d(1),
                              conv(high_channels, inter_channels, 1, false), nn::Sigmoid()));
  low_classifier_ = register_module("low_classifier", conv(low_channels, num_classes, 1, true));
  high_classifier_ = register_module("high_classifier", conv(inter_channels, num_classes, 1, true));
}

torch::Tensor LrasppHeadImpl::forward(const torch::Tensor& low, const torch::Tensor& high) {
  torch::Tensor x = cbr_->forward(high) * scale_->forward(high);
  x = resize_bilinear(x, low.size(2), low.size(3));
  return low_classifier_->forward(low) + high_classifier_->forward(x);
}

}  // namespace mlexport::zoo

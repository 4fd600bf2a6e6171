// The heads of torchvision 0.14's segmentation models (models/segmentation/{fcn,deeplabv3,
// lraspp}.py), with their parameter names (internal; LibTorch).
//   FCNHead        0 Conv3x3, 1 BatchNorm, (2 ReLU, 3 Dropout), 4 Conv1x1 with bias
//   DeepLabHead    0 ASPP (convs.0-4, project.0-1), 1 Conv3x3, 2 BatchNorm, (3 ReLU), 4 Conv1x1
//   LRASPPHead     cbr.{0,1}, scale.1, low_classifier, high_classifier
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace mlexport::zoo {

// F.interpolate(x, size=(height, width), mode="bilinear", align_corners=False).
torch::Tensor resize_bilinear(const torch::Tensor& x, int64_t height, int64_t width);

// FCNHead(in_channels, channels): a 3x3 convolution to in_channels / 4, then 1x1 to `channels`.
torch::nn::Sequential fcn_head(int64_t in_channels, int64_t channels);

// ASPP(in_channels, atrous_rates, out_channels=256): a 1x1 branch, one dilated 3x3 branch per
// rate and an image-pooling branch, concatenated and projected.
class AsppImpl : public torch::nn::Module {
 public:
  AsppImpl(int64_t in_channels, const std::vector<int64_t>& atrous_rates,
           int64_t out_channels = 256);
  torch::Tensor forward(torch::Tensor x);

 private:
  torch::nn::ModuleList convs_{nullptr};
  torch::nn::Sequential project_{nullptr};
};
TORCH_MODULE(Aspp);

// DeepLabHead(in_channels, num_classes): ASPP with rates 12, 24, 36, then 3x3 and 1x1.
torch::nn::Sequential deeplab_head(int64_t in_channels, int64_t num_classes);

// LRASPPHead(low_channels, high_channels, num_classes, inter_channels).
class LrasppHeadImpl : public torch::nn::Module {
 public:
  LrasppHeadImpl(int64_t low_channels, int64_t high_channels, int64_t num_classes,
                 int64_t inter_channels);
  torch::Tensor forward(const torch::Tensor& low, const torch::Tensor& high);

 private:
  torch::nn::Sequential cbr_{nullptr}, scale_{nullptr};
  torch::nn::Conv2d low_classifier_{nullptr}, high_classifier_{nullptr};
};
TORCH_MODULE(LrasppHead);

}  // namespace mlexport::zoo

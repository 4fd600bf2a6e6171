// Classifier trunks reused as the backbones of the segmentation models (internal; LibTorch).
//
// Each trunk is the classifier's module without its head, so its state_dict keys are those
// torchvision's IntermediateLayerGetter keeps under "backbone.": "conv1.weight", "layer4.2.bn3.*"
// for ResNet; "0.0.weight" ... "16.1.*" for MobileNetV3's features.
#pragma once

#include <torch/torch.h>

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace mlexport::zoo {

struct Trunk {
  std::shared_ptr<torch::nn::Module> module;
  // Runs the trunk; returns the outputs of the taps it was built with, in that order.
  std::function<std::vector<torch::Tensor>(const torch::Tensor&)> run;
};

// resnet18/34/50/101/152 without avgpool and fc (resnet.cpp). replace_stride_with_dilation is
// torchvision's: for layer2..layer4, a stride of 2 becomes a dilation (Bottleneck only). Taps:
// "layer1" .. "layer4"; the layers after the last tap are not built. Throws std::invalid_argument
// for another depth or tap.
Trunk resnet_trunk(int64_t depth, std::array<bool, 3> replace_stride_with_dilation,
                   const std::vector<std::string>& taps);

// mobilenet_v3_large's `features` (mobilenet_v3.cpp), with torchvision's dilated=True when asked
// (the last three blocks dilated by 2, the C4 block's depthwise stride 1). Taps: indices of
// `features` ("4" is C2 at output stride 8, "16" the last 1x1 convolution). The module holds the
// features up to the highest tap, as IntermediateLayerGetter does.
Trunk mobilenet_v3_large_trunk(bool dilated, const std::vector<int64_t>& taps);

// Output channels of features[index] of mobilenet_v3_large.
int64_t mobilenet_v3_large_channels(int64_t index);

}  // namespace mlexport::zoo

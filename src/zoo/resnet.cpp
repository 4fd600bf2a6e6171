// torchvision 0.14 ResNet (torchvision/models/resnet.py): resnet18/34/50/101/152.
// Keys: conv1 bn1 layer{1..4}.{i}.{conv1,bn1,conv2,bn2[,conv3,bn3]}[.downsample.{0,1}] fc.
// Any input of at least 1x1 after the stem works (the head is an adaptive 1x1 average pool).
// resnet_trunk() (backbones.h) gives the same module without avgpool/fc and with
// replace_stride_with_dilation, as torchvision's segmentation models use it.
#include <algorithm>
#include <array>
#include <stdexcept>
#include <string>
#include <vector>

#include "zoo/backbones.h"
#include "zoo/zoo_torch.h"

namespace mlexport::zoo {
namespace {

namespace nn = torch::nn;

nn::Conv2d conv3x3(int64_t in, int64_t out, int64_t stride = 1, int64_t dilation = 1) {
  return nn::Conv2d(nn::Conv2dOptions(in, out, 3)
                        .stride(stride)
                        .padding(dilation)
                        .dilation(dilation)
                        .bias(false));
}

nn::Conv2d conv1x1(int64_t in, int64_t out, int64_t stride = 1) {
  return nn::Conv2d(nn::Conv2dOptions(in, out, 1).stride(stride).bias(false));
}

// downsample = Sequential(conv1x1(in, out, stride), BatchNorm2d(out)): keys downsample.0/1.
nn::Sequential make_downsample(int64_t in, int64_t out, int64_t stride) {
  return nn::Sequential(conv1x1(in, out, stride), nn::BatchNorm2d(out));
}

class BasicBlockImpl : public nn::Module {
 public:
  static constexpr int64_t expansion = 1;

  BasicBlockImpl(int64_t inplanes, int64_t planes, int64_t stride, bool with_downsample,
                 int64_t dilation = 1) {
    // torchvision raises NotImplementedError here too.
    TORCH_CHECK(dilation == 1, "Dilation > 1 not supported in BasicBlock");
    conv1 = register_module("conv1", conv3x3(inplanes, planes, stride));
    bn1 = register_module("bn1", nn::BatchNorm2d(planes));
    relu = register_module("relu", nn::ReLU());
    conv2 = register_module("conv2", conv3x3(planes, planes));
    bn2 = register_module("bn2", nn::BatchNorm2d(planes));
    if (with_downsample) {
      downsample = register_module("downsample", make_downsample(inplanes, planes, stride));
    }
  }

  torch::Tensor forward(torch::Tensor x) {
    auto out = relu->forward(bn1->forward(conv1->forward(x)));
    out = bn2->forward(conv2->forward(out));
    auto identity = downsample ? downsample->forward(x) : x;
    return relu->forward(out + identity);
  }

  nn::Conv2d conv1{nullptr}, conv2{nullptr};
  nn::BatchNorm2d bn1{nullptr}, bn2{nullptr};
  nn::ReLU relu{nullptr};
  nn::Sequential downsample{nullptr};
};
TORCH_MODULE(BasicBlock);

class BottleneckImpl : public nn::Module {
 public:
  static constexpr int64_t expansion = 4;

  BottleneckImpl(int64_t inplanes, int64_t planes, int64_t stride, bool with_downsample,
                 int64_t dilation = 1) {
    const int64_t width = planes;  // groups 1, base width 64
    conv1 = register_module("conv1", conv1x1(inplanes, width));
    bn1 = register_module("bn1", nn::BatchNorm2d(width));
    conv2 = register_module("conv2", conv3x3(width, width, stride, dilation));
    bn2 = register_module("bn2", nn::BatchNorm2d(width));
    conv3 = register_module("conv3", conv1x1(width, planes * expansion));
    bn3 = register_module("bn3", nn::BatchNorm2d(planes * expansion));
    relu = register_module("relu", nn::ReLU());
    if (with_downsample) {
      downsample =
          register_module("downsample", make_downsample(inplanes, planes * expansion, stride));
    }
  }

  torch::Tensor forward(torch::Tensor x) {
    auto out = relu->forward(bn1->forward(conv1->forward(x)));
    out = relu->forward(bn2->forward(conv2->forward(out)));
    out = bn3->forward(conv3->forward(out));
    auto identity = downsample ? downsample->forward(x) : x;
    return relu->forward(out + identity);
  }

  nn::Conv2d conv1{nullptr}, conv2{nullptr}, conv3{nullptr};
  nn::BatchNorm2d bn1{nullptr}, bn2{nullptr}, bn3{nullptr};
  nn::ReLU relu{nullptr};
  nn::Sequential downsample{nullptr};
};
TORCH_MODULE(Bottleneck);

class ResNetImpl : public nn::Module {
 public:
  // torchvision's ResNet(block, layers, num_classes, replace_stride_with_dilation); without
  // `with_head` the avgpool and fc are left out (the trunk a segmentation model keeps), and only
  // layer1..layer<stages> are built (IntermediateLayerGetter drops what follows its last layer).
  template <typename Block>
  static std::shared_ptr<ResNetImpl> make(const std::vector<int64_t>& layers, int64_t num_classes,
                                          std::array<bool, 3> dilate = {false, false, false},
                                          bool with_head = true, int stages_built = 4) {
    auto net = std::make_shared<ResNetImpl>();
    net->conv1 = net->register_module(
        "conv1", nn::Conv2d(nn::Conv2dOptions(3, 64, 7).stride(2).padding(3).bias(false)));
    net->bn1 = net->register_module("bn1", nn::BatchNorm2d(64));
    net->relu = net->register_module("relu", nn::ReLU());
    net->maxpool = net->register_module(
        "maxpool", nn::MaxPool2d(nn::MaxPool2dOptions(3).stride(2).padding(1)));
    int64_t inplanes = 64;
    int64_t dilation = 1;
    const int64_t planes[4] = {64, 128, 256, 512};
    nn::Sequential* stages[4] = {&net->layer1, &net->layer2, &net->layer3, &net->layer4};
    for (int i = 0; i < stages_built; ++i) {
      int64_t stride = i == 0 ? 1 : 2;
      const int64_t previous_dilation = dilation;
      if (i > 0 && dilate[i - 1]) {  // _make_layer(dilate=True): the stride becomes dilation
        dilation *= stride;
        stride = 1;
      }
      nn::Sequential stage;
      const bool down = stride != 1 || inplanes != planes[i] * Block::Impl::expansion;
      stage->push_back(Block(inplanes, planes[i], stride, down, previous_dilation));
      inplanes = planes[i] * Block::Impl::expansion;
      for (int64_t b = 1; b < layers[i]; ++b)
        stage->push_back(Block(inplanes, planes[i], 1, false, dilation));
      *stages[i] = net->register_module("layer" + std::to_string(i + 1), stage);
    }
    if (with_head) {
      net->avgpool = net->register_module("avgpool", nn::AdaptiveAvgPool2d(1));
      net->fc = net->register_module("fc", nn::Linear(512 * Block::Impl::expansion, num_classes));
    }
    return net;
  }

  // The stem and layer1..layer4; `taps` receives the outputs of the layers it names.
  torch::Tensor trunk(torch::Tensor x, const std::vector<std::string>& taps,
                      std::vector<torch::Tensor>* tapped) {
    x = maxpool->forward(relu->forward(bn1->forward(conv1->forward(x))));
    nn::Sequential* stages[4] = {&layer1, &layer2, &layer3, &layer4};
    if (tapped) tapped->assign(taps.size(), torch::Tensor());
    for (int i = 0; i < 4 && *stages[i]; ++i) {
      x = (*stages[i])->forward(x);
      for (size_t t = 0; t < taps.size(); ++t)
        if (tapped && taps[t] == "layer" + std::to_string(i + 1)) (*tapped)[t] = x;
    }
    return x;
  }

  torch::Tensor forward(torch::Tensor x) {
    x = trunk(x, {}, nullptr);
    x = torch::flatten(avgpool->forward(x), 1);
    return fc->forward(x);
  }

  nn::Conv2d conv1{nullptr};
  nn::BatchNorm2d bn1{nullptr};
  nn::ReLU relu{nullptr};
  nn::MaxPool2d maxpool{nullptr};
  nn::Sequential layer1{nullptr}, layer2{nullptr}, layer3{nullptr}, layer4{nullptr};
  nn::AdaptiveAvgPool2d avgpool{nullptr};
  nn::Linear fc{nullptr};
};
TORCH_MODULE(ResNet);

template <typename Block, int64_t L1, int64_t L2, int64_t L3, int64_t L4>
ZooModel build_resnet(int64_t num_classes) {
  return make_zoo_model(ResNet(ResNetImpl::make<Block>({L1, L2, L3, L4}, num_classes)));
}

template <typename Block>
Trunk make_trunk(const std::vector<int64_t>& layers, std::array<bool, 3> dilate,
                 std::vector<std::string> taps) {
  int last = 1;
  for (const auto& tap : taps) last = std::max(last, tap.back() - '0');
  auto net = ResNetImpl::make<Block>(layers, 1, dilate, /*with_head=*/false, last);
  Trunk out;
  out.module = net;
  out.run = [net, taps](const torch::Tensor& x) {
    std::vector<torch::Tensor> tapped;
    net->trunk(x, taps, &tapped);
    return tapped;
  };
  return out;
}

}  // namespace

Trunk resnet_trunk(int64_t depth, std::array<bool, 3> replace_stride_with_dilation,
                   const std::vector<std::string>& taps) {
  for (const auto& tap : taps)
    if (tap != "layer1" && tap != "layer2" && tap != "layer3" && tap != "layer4")
      throw std::invalid_argument("resnet_trunk: no layer named '" + tap + "'");
  switch (depth) {
    case 18:
      return make_trunk<BasicBlock>({2, 2, 2, 2}, replace_stride_with_dilation, taps);
    case 34:
      return make_trunk<BasicBlock>({3, 4, 6, 3}, replace_stride_with_dilation, taps);
    case 50:
      return make_trunk<Bottleneck>({3, 4, 6, 3}, replace_stride_with_dilation, taps);
    case 101:
      return make_trunk<Bottleneck>({3, 4, 23, 3}, replace_stride_with_dilation, taps);
    case 152:
      return make_trunk<Bottleneck>({3, 8, 36, 3}, replace_stride_with_dilation, taps);
    default:
      throw std::invalid_argument("resnet_trunk: no ResNet of depth " + std::to_string(depth));
  }
}

void add_resnet_models(std::vector<ZooEntry>& entries) {
  const std::vector<int64_t> input{3, 224, 224};
  entries.push_back({"resnet18", &build_resnet<BasicBlock, 2, 2, 2, 2>, input, "resnet"});
  entries.push_back({"resnet34", &build_resnet<BasicBlock, 3, 4, 6, 3>, input, "resnet"});
  entries.push_back({"resnet50", &build_resnet<Bottleneck, 3, 4, 6, 3>, input, "resnet"});
  entries.push_back({"resnet101", &build_resnet<Bottleneck, 3, 4, 23, 3>, input, "resnet"});
  entries.push_back({"resnet152", &build_resnet<Bottleneck, 3, 8, 36, 3>, input, "resnet"});
}

}  // namespace mlexport::zoo

// torchvision 0.14 semantic segmentation (models/segmentation/): fcn_resnet50/101,
// deeplabv3_resnet50/101, deeplabv3_mobilenet_v3_large, lraspp_mobilenet_v3_large.
// Keys: backbone.* (the classifier trunk as IntermediateLayerGetter keeps it), classifier.*, and
// with aux_loss=True aux_classifier.* (an FCNHead on layer3 / features[4]); the forward returns
// torchvision's result["out"]: the classifier's logits resized bilinearly (align_corners=False)
// to the input's height and width. The auxiliary head is only loaded and saved: torchvision
// trains with it, and its output is not part of an export.
#include <array>
#include <string>
#include <vector>

#include "zoo/backbones.h"
#include "zoo/segmentation_heads.h"
#include "zoo/zoo_torch.h"

namespace mlexport::zoo {
namespace {

namespace nn = torch::nn;

// fcn_*, deeplabv3_*: backbone, classifier, optional aux_classifier (_SimpleSegmentationModel).
class SimpleSegmentationImpl : public nn::Module {
 public:
  SimpleSegmentationImpl(Trunk trunk, nn::Sequential classifier, nn::Sequential aux_classifier)
      : run_(std::move(trunk.run)) {
    register_module("backbone", trunk.module);
    classifier_ = register_module("classifier", classifier);
    if (aux_classifier) aux_classifier_ = register_module("aux_classifier", aux_classifier);
  }

  torch::Tensor forward(torch::Tensor x) {
    const torch::Tensor features = run_(x).front();
    return resize_bilinear(classifier_->forward(features), x.size(2), x.size(3));
  }

 private:
  std::function<std::vector<torch::Tensor>(const torch::Tensor&)> run_;
  nn::Sequential classifier_{nullptr}, aux_classifier_{nullptr};
};
TORCH_MODULE(SimpleSegmentation);

class LrasppImpl : public nn::Module {
 public:
  LrasppImpl(Trunk trunk, int64_t low_channels, int64_t high_channels, int64_t num_classes)
      : run_(std::move(trunk.run)) {
    register_module("backbone", trunk.module);
    classifier_ =
        register_module("classifier", LrasppHead(low_channels, high_channels, num_classes, 128));
  }

  torch::Tensor forward(torch::Tensor x) {
    const std::vector<torch::Tensor> features = run_(x);  // low, high
    return resize_bilinear(classifier_->forward(features[0], features[1]), x.size(2), x.size(3));
  }

 private:
  std::function<std::vector<torch::Tensor>(const torch::Tensor&)> run_;
  LrasppHead classifier_{nullptr};
};
TORCH_MODULE(Lraspp);

// ResNet-50/101 with strides of layer3 and layer4 replaced by dilation (output stride 8).
constexpr std::array<bool, 3> kDilated = {false, true, true};
// mobilenet_v3_large: features[16] (C5, 960 channels) and features[4] (C2, 40 channels).
constexpr int64_t kMobileHigh = 16, kMobileLow = 4;

template <int64_t Depth, bool Aux>
ZooModel fcn_resnet(int64_t num_classes) {
  return make_zoo_model(
      SimpleSegmentation(resnet_trunk(Depth, kDilated, {"layer4"}), fcn_head(2048, num_classes),
                         Aux ? fcn_head(1024, num_classes) : nn::Sequential(nullptr)));
}

template <int64_t Depth, bool Aux>
ZooModel deeplabv3_resnet(int64_t num_classes) {
  return make_zoo_model(
      SimpleSegmentation(resnet_trunk(Depth, kDilated, {"layer4"}), deeplab_head(2048, num_classes),
                         Aux ? fcn_head(1024, num_classes) : nn::Sequential(nullptr)));
}

template <bool Aux>
ZooModel deeplabv3_mobilenet_v3_large(int64_t num_classes) {
  return make_zoo_model(
      SimpleSegmentation(mobilenet_v3_large_trunk(true, {kMobileHigh}),
                         deeplab_head(mobilenet_v3_large_channels(kMobileHigh), num_classes),
                         Aux ? fcn_head(mobilenet_v3_large_channels(kMobileLow), num_classes)
                             : nn::Sequential(nullptr)));
}

ZooModel lraspp_mobilenet_v3_large(int64_t num_classes) {
  return make_zoo_model(Lraspp(mobilenet_v3_large_trunk(true, {kMobileLow, kMobileHigh}),
                               mobilenet_v3_large_channels(kMobileLow),
                               mobilenet_v3_large_channels(kMobileHigh), num_classes));
}

}  // namespace

void add_segmentation_models(std::vector<ZooEntry>& entries) {
  // torchvision's SemanticSegmentation preset resizes to 520.
  const std::vector<int64_t> input{3, 520, 520};
  const std::string task = "segmentation";
  entries.push_back({"fcn_resnet50", &fcn_resnet<50, false>, input, "fcn", task,
                     "classifier.4.weight", &fcn_resnet<50, true>});
  entries.push_back({"fcn_resnet101", &fcn_resnet<101, false>, input, "fcn", task,
                     "classifier.4.weight", &fcn_resnet<101, true>});
  entries.push_back({"deeplabv3_resnet50", &deeplabv3_resnet<50, false>, input, "deeplabv3", task,
                     "classifier.4.weight", &deeplabv3_resnet<50, true>});
  entries.push_back({"deeplabv3_resnet101", &deeplabv3_resnet<101, false>, input, "deeplabv3", task,
                     "classifier.4.weight", &deeplabv3_resnet<101, true>});
  entries.push_back({"deeplabv3_mobilenet_v3_large", &deeplabv3_mobilenet_v3_large<false>, input,
                     "deeplabv3", task, "classifier.4.weight",
                     &deeplabv3_mobilenet_v3_large<true>});
  entries.push_back({"lraspp_mobilenet_v3_large", &lraspp_mobilenet_v3_large, input, "lraspp", task,
                     "classifier.low_classifier.weight", nullptr});
}

}  // namespace mlexport::zoo

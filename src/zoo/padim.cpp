// padim_resnet18: a PaDiM anomaly model (Defard et al., "PaDiM: a Patch Distribution Modeling
// Framework for Anomaly Detection and Localization", 2020), as anomalib computes it with its
// default resnet18 backbone:
//   embedding   layer1, layer2, layer3 of resnet18 (no avgpool/fc), the deeper two resized to
//               layer1's size (nearest) and concatenated along the channels (64+128+256 = 448),
//               then the channels in `idx` kept (anomalib keeps a random 100)
//   distance    per patch p, the Mahalanobis distance of the embedding to the fitted Gaussian:
//               sqrt((e_p - mean_p)^T inv_covariance_p (e_p - mean_p))
//   outputs     anomaly_map [N, 1, H, W]: the distances resized bilinearly (align_corners=False)
//               to the input's size; pred_score [N]: the map's maximum per image
// anomalib then blurs the map with a Gaussian (sigma 4) before taking the maximum; this model does
// not, so its scores are those of the unblurred map.
// Keys: backbone.* (torchvision resnet18's conv1 .. layer3), idx [C] (int64),
// gaussian.mean [C, P], gaussian.inv_covariance [P, C, C], with P = (H/4) * (W/4) patches: the
// statistics fix the input size (256x256 for anomalib's default, 64x64 gives P = 256). Their
// shapes are taken from the checkpoint when it is loaded.
#include <string>
#include <vector>

#include "zoo/backbones.h"
#include "zoo/segmentation_heads.h"
#include "zoo/zoo_torch.h"

namespace mlexport::zoo {
namespace {

constexpr int64_t kEmbeddingChannels = 64 + 128 + 256;
constexpr int64_t kKeptChannels = 100;
constexpr int64_t kDefaultSide = 256;  // anomalib's default image size

class GaussianImpl : public torch::nn::Module {
 public:
  GaussianImpl(int64_t channels, int64_t patches) {
    mean = register_buffer("mean", torch::zeros({channels, patches}));
    inv_covariance = register_buffer("inv_covariance",
                                     torch::eye(channels).unsqueeze(0).repeat({patches, 1, 1}));
  }
  torch::Tensor mean, inv_covariance;
};
TORCH_MODULE(Gaussian);

class PadimImpl : public torch::nn::Module {
 public:
  PadimImpl(int64_t channels, int64_t patches)
      : trunk_(resnet_trunk(18, {false, false, false}, {"layer1", "layer2", "layer3"})) {
    idx = register_buffer("idx", torch::arange(channels, torch::kLong));
    register_module("backbone", trunk_.module);
    gaussian = register_module("gaussian", Gaussian(channels, patches));
  }

  // anomaly_map [N, 1, H, W], pred_score [N].
  std::vector<torch::Tensor> outputs(torch::Tensor x) {
    const std::vector<torch::Tensor> features = trunk_.run(x);
    torch::Tensor embedding = features[0];
    const int64_t h = embedding.size(2), w = embedding.size(3);
    for (size_t k = 1; k < features.size(); ++k)
      embedding =
          torch::cat({embedding, torch::nn::functional::interpolate(
                                     features[k], torch::nn::functional::InterpolateFuncOptions()
                                                      .size(std::vector<int64_t>{h, w})
                                                      .mode(torch::kNearest))},
                     1);
    embedding = embedding.index_select(1, idx);
    const int64_t n = embedding.size(0), c = embedding.size(1), patches = h * w;
    TORCH_CHECK(c == gaussian->mean.size(0) && patches == gaussian->mean.size(1),
                "the PaDiM statistics were fitted for ", gaussian->mean.size(1), " patches of ",
                gaussian->mean.size(0), " channels (an input of ", 4,
                "x the patch grid); this "
                "input gives ",
                patches, " patches (", h, "x", w, ") of ", c, " channels");
    torch::Tensor delta = (embedding.reshape({n, c, patches}) - gaussian->mean).permute({2, 0, 1});
    torch::Tensor distance =
        (torch::matmul(delta, gaussian->inv_covariance) * delta).sum(2).permute({1, 0});
    distance = distance.reshape({n, 1, h, w}).clamp_min(0).sqrt();
    torch::Tensor map = resize_bilinear(distance, x.size(2), x.size(3));
    return {map, map.reshape({n, -1}).amax(1)};
  }

  torch::Tensor forward(torch::Tensor x) { return outputs(std::move(x)).front(); }

  torch::Tensor idx;
  Gaussian gaussian{nullptr};

 private:
  Trunk trunk_;
};
TORCH_MODULE(Padim);

ZooModel padim_resnet18(int64_t /*num_classes: none, the model scores anomalies*/) {
  const int64_t side = kDefaultSide / 4;
  Padim padim(kKeptChannels, side * side);
  ZooModel model = make_zoo_model(padim);
  model.forward_outputs = [padim](torch::Tensor x) mutable { return padim->outputs(x); };
  return model;
}

// The channels kept and the patch count come from the checkpoint's statistics.
void fit_padim_to_state(torch::nn::Module& module, const std::map<std::string, at::Tensor>& state) {
  auto* padim = module.as<PadimImpl>();
  if (!padim) return;
  const auto mean = state.find("gaussian.mean");
  if (mean == state.end() || mean->second.dim() != 2) return;  // reported as missing/mismatched
  const int64_t channels = mean->second.size(0), patches = mean->second.size(1);
  TORCH_CHECK(channels >= 1 && channels <= kEmbeddingChannels, "padim: ", channels,
              " channels in gaussian.mean, at most ", kEmbeddingChannels);
  torch::NoGradGuard no_grad;
  padim->idx.set_(torch::arange(channels, torch::kLong));
  padim->gaussian->mean.set_(torch::zeros({channels, patches}));
  padim->gaussian->inv_covariance.set_(torch::zeros({patches, channels, channels}));
}

}  // namespace

void add_anomaly_models(std::vector<ZooEntry>& entries) {
  ZooEntry entry{
      "padim_resnet18", &padim_resnet18, {3, kDefaultSide, kDefaultSide}, "padim", "anomaly"};
  entry.fit_to_state = &fit_padim_to_state;
  entries.push_back(entry);
}

}  // namespace mlexport::zoo

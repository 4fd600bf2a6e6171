// Building blocks shared by the zoo's family files, mirroring torchvision.ops.misc so that
// parameter names match torchvision's state_dict keys. Stable: other family files include it.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <optional>

namespace mlexport::zoo {

// torch.nn.init.trunc_normal_, for the default initialisation only (weights are meant to be
// loaded). When both bounds lie beyond 6 standard deviations (torchvision's calls: std 0.02 or
// ~0.04 with bounds +-2) the truncation is immaterial and a plain normal_ + clamp_ is used: it is
// ten times faster than the inverse-CDF method (erfinv) PyTorch uses, which costs ~10 s for
// convnext_base. Otherwise, PyTorch's inverse-CDF method.
void trunc_normal_(torch::Tensor t, double mean, double stddev, double a, double b);

// torchvision.models._utils._make_divisible: rounds `v` to the nearest multiple of `divisor`
// (at least `min_value`, default `divisor`), never more than 10% below `v`.
int64_t make_divisible(double v, int64_t divisor, std::optional<int64_t> min_value = std::nullopt);

// Parameterless activations, applied functionally (they own no state_dict entries).
enum class Activation { None, ReLU, ReLU6, Hardswish, Hardsigmoid, SiLU, GELU, Sigmoid };

torch::Tensor apply_activation(Activation activation, const torch::Tensor& x);

struct ConvNormActOptions {
  int64_t in_channels = 0;
  int64_t out_channels = 0;
  int64_t kernel_size = 3;
  int64_t stride = 1;
  std::optional<int64_t> padding;  // default (kernel_size - 1) / 2 * dilation
  int64_t groups = 1;
  int64_t dilation = 1;
  bool norm = true;            // BatchNorm2d after the convolution
  double norm_eps = 1e-5;      // BatchNorm2d eps (torchvision mobilenet_v3: 1e-3)
  double norm_momentum = 0.1;  // BatchNorm2d momentum (training only)
  Activation activation = Activation::ReLU;
  std::optional<bool> bias;  // default: no bias when there is a norm
};

// torchvision.ops.Conv2dNormActivation: children "0" (Conv2d) and "1" (BatchNorm2d, when norm),
// so keys read "<prefix>.0.weight", "<prefix>.1.running_mean", ... The activation is applied
// functionally (torchvision's child "2" has no parameters).
class ConvNormActImpl : public torch::nn::Module {
 public:
  explicit ConvNormActImpl(const ConvNormActOptions& options);
  torch::Tensor forward(torch::Tensor x);

  ConvNormActOptions options;
  torch::nn::Conv2d conv{nullptr};
  torch::nn::BatchNorm2d norm{nullptr};
};
TORCH_MODULE(ConvNormAct);

// torchvision.ops.StochasticDepth (mode "row"): randomly drops the residual branch per row while
// training, the identity in eval mode (and when p == 0). Owns no state.
class StochasticDepthImpl : public torch::nn::Module {
 public:
  explicit StochasticDepthImpl(double p) : p_(p) {}
  torch::Tensor forward(torch::Tensor input);

 private:
  double p_;
};
TORCH_MODULE(StochasticDepth);

// torchvision.ops.SqueezeExcitation: children fc1, fc2 (1x1 Conv2d with bias);
// forward x * scale_activation(fc2(activation(fc1(adaptive_avg_pool(x, 1))))).
class SqueezeExcitationImpl : public torch::nn::Module {
 public:
  SqueezeExcitationImpl(int64_t input_channels, int64_t squeeze_channels,
                        Activation activation = Activation::ReLU,
                        Activation scale_activation = Activation::Sigmoid);
  torch::Tensor forward(torch::Tensor x);

  torch::nn::Conv2d fc1{nullptr};
  torch::nn::Conv2d fc2{nullptr};
  Activation activation;
  Activation scale_activation;
};
TORCH_MODULE(SqueezeExcitation);

// nn.Sequential that can be nested in another Sequential (LibTorch's Sequential::forward is a
// template, which AnyModule cannot store). Children are named "0", "1", ... as in PyTorch.
class SeqImpl : public torch::nn::SequentialImpl {
 public:
  using torch::nn::SequentialImpl::SequentialImpl;
  torch::Tensor forward(torch::Tensor x) { return torch::nn::SequentialImpl::forward(x); }
};
TORCH_MODULE(Seq);

}  // namespace mlexport::zoo

#include "zoo/layers.h"

#include <cmath>
#include <stdexcept>

namespace mlexport::zoo {

void trunc_normal_(torch::Tensor t, double mean, double stddev, double a, double b) {
  if ((a - mean) / stddev <= -6.0 && (b - mean) / stddev >= 6.0) {
    t.normal_(mean, stddev);
    t.clamp_(a, b);
    return;
  }
  auto norm_cdf = [](double x) { return (1.0 + std::erf(x / std::sqrt(2.0))) / 2.0; };
  const double l = norm_cdf((a - mean) / stddev);
  const double u = norm_cdf((b - mean) / stddev);
  t.uniform_(2 * l - 1, 2 * u - 1);
  t.erfinv_();
  t.mul_(stddev * std::sqrt(2.0));
  t.add_(mean);
  t.clamp_(a, b);
}

int64_t make_divisible(double v, int64_t divisor, std::optional<int64_t> min_value) {
  const int64_t floor = min_value.value_or(divisor);
  int64_t new_v =
      std::max<int64_t>(floor, static_cast<int64_t>(v + divisor / 2.0) / divisor * divisor);
  if (static_cast<double>(new_v) < 0.9 * v) new_v += divisor;
  return new_v;
}

torch::Tensor apply_activation(Activation activation, const torch::Tensor& x) {
  switch (activation) {
    case Activation::None:
      return x;
    case Activation::ReLU:
      return torch::relu(x);
    case Activation::ReLU6:
      return torch::hardtanh(x, 0.0, 6.0);
    case Activation::Hardswish:
      return torch::hardswish(x);
    case Activation::Hardsigmoid:
      return torch::hardsigmoid(x);
    case Activation::SiLU:
      return torch::silu(x);
    case Activation::GELU:
      return torch::gelu(x);
    case Activation::Sigmoid:
      return torch::sigmoid(x);
  }
  throw std::logic_error("apply_activation: unknown activation");
}

ConvNormActImpl::ConvNormActImpl(const ConvNormActOptions& opts) : options(opts) {
  const int64_t padding =
      options.padding.value_or((options.kernel_size - 1) / 2 * options.dilation);
  conv = register_module(
      "0", torch::nn::Conv2d(torch::nn::Conv2dOptions(options.in_channels, options.out_channels,
                                                      options.kernel_size)
                                 .stride(options.stride)
                                 .padding(padding)
                                 .dilation(options.dilation)
                                 .groups(options.groups)
                                 .bias(options.bias.value_or(!options.norm))));
  if (options.norm) {
    norm = register_module(
        "1", torch::nn::BatchNorm2d(torch::nn::BatchNorm2dOptions(options.out_channels)
                                        .eps(options.norm_eps)
                                        .momentum(options.norm_momentum)));
  }
}

torch::Tensor ConvNormActImpl::forward(torch::Tensor x) {
  x = conv->forward(x);
  if (norm) x = norm->forward(x);
  return apply_activation(options.activation, x);
}

SqueezeExcitationImpl::SqueezeExcitationImpl(int64_t input_channels, int64_t squeeze_channels,
                                             Activation activation_, Activation scale_activation_)
    : activation(activation_), scale_activation(scale_activation_) {
  fc1 = register_module(
      "fc1", torch::nn::Conv2d(torch::nn::Conv2dOptions(input_channels, squeeze_channels, 1)));
  fc2 = register_module(
      "fc2", torch::nn::Conv2d(torch::nn::Conv2dOptions(squeeze_channels, input_channels, 1)));
}

torch::Tensor SqueezeExcitationImpl::forward(torch::Tensor x) {
  auto scale = torch::adaptive_avg_pool2d(x, {1, 1});
  scale = apply_activation(activation, fc1->forward(scale));
  scale = apply_activation(scale_activation, fc2->forward(scale));
  return scale * x;
}

torch::Tensor StochasticDepthImpl::forward(torch::Tensor input) {
  if (!is_training() || p_ == 0.0) return input;
  const double survival = 1.0 - p_;
  std::vector<int64_t> size(input.dim(), 1);
  size[0] = input.size(0);
  auto noise = torch::empty(size, input.options()).bernoulli_(survival);
  if (survival > 0.0) noise.div_(survival);
  return input * noise;
}

}  // namespace mlexport::zoo

// torchvision 0.14 VisionTransformer (models/vision_transformer.py): vit_b_16, vit_b_32, vit_l_16
// in the LibTorch C++ frontend. The module tree mirrors torchvision's, so the state_dict keys are
// identical:
//   class_token                                        [1, 1, hidden]
//   conv_proj.{weight,bias}                            patchify Conv2d (kernel = stride = patch)
//   encoder.pos_embedding                              [1, (image/patch)^2 + 1, hidden]
//   encoder.layers.encoder_layer_N.ln_1 / ln_2         LayerNorm eps=1e-6
//   encoder.layers.encoder_layer_N.self_attention.{in_proj_weight,in_proj_bias,out_proj.*}
//   encoder.layers.encoder_layer_N.mlp.0 / mlp.3       Linear, GELU (exact), Dropout, Linear,
//   Dropout encoder.ln                                         LayerNorm eps=1e-6 heads.head Linear
// nn.MultiheadAttention is written out explicitly with its packed parameters: q, k, v from one
// linear with in_proj_weight [3E, E], q divided by sqrt(head_dim), softmax(q k^T) v, out_proj.
// The image size is a constructor parameter (the positional embedding is sized by it).
#include <cmath>
#include <string>
#include <vector>

#include "zoo/layers.h"
#include "zoo/zoo_torch.h"

namespace mlexport::zoo {
namespace {

// nn.MultiheadAttention(embed_dim, num_heads, batch_first=True) self-attention, no masks, no
// dropout in eval: parameters in_proj_weight, in_proj_bias, out_proj.{weight,bias}.
class SelfAttentionImpl : public torch::nn::Module {
 public:
  SelfAttentionImpl(int64_t embed_dim, int64_t num_heads, double dropout)
      : embed_dim_(embed_dim), num_heads_(num_heads), dropout_(dropout) {
    TORCH_CHECK(embed_dim % num_heads == 0, "embed_dim must be divisible by num_heads");
    head_dim_ = embed_dim / num_heads;
    in_proj_weight = register_parameter("in_proj_weight", torch::empty({3 * embed_dim, embed_dim}));
    in_proj_bias = register_parameter("in_proj_bias", torch::zeros({3 * embed_dim}));
    out_proj = register_module("out_proj", torch::nn::Linear(embed_dim, embed_dim));
    // MultiheadAttention._reset_parameters.
    torch::NoGradGuard no_grad;
    torch::nn::init::xavier_uniform_(in_proj_weight);
    out_proj->bias.zero_();
  }

  // x: [N, S, E] -> [N, S, E]
  // The batch is left as -1 in reshapes: C++ tracing would freeze a size read with x.size(0),
  // and the exported model would then take one batch size only.
  torch::Tensor forward(torch::Tensor x) {
    const int64_t s = x.size(1);
    auto qkv = torch::linear(x, in_proj_weight, in_proj_bias).chunk(3, -1);
    auto heads = [&](const torch::Tensor& t) {  // [N, S, E] -> [N, H, S, D]
      return t.reshape({-1, s, num_heads_, head_dim_}).transpose(1, 2);
    };
    auto q = heads(qkv[0]) / std::sqrt(static_cast<double>(head_dim_));
    auto k = heads(qkv[1]);
    auto v = heads(qkv[2]);
    auto attn = torch::softmax(torch::matmul(q, k.transpose(-2, -1)), -1);
    if (is_training() && dropout_ > 0.0) attn = torch::dropout(attn, dropout_, true);
    auto out = torch::matmul(attn, v).transpose(1, 2).reshape({-1, s, embed_dim_});
    return out_proj->forward(out);
  }

  torch::Tensor in_proj_weight;
  torch::Tensor in_proj_bias;
  torch::nn::Linear out_proj{nullptr};

 private:
  int64_t embed_dim_;
  int64_t num_heads_;
  int64_t head_dim_ = 0;
  double dropout_;
};
TORCH_MODULE(SelfAttention);

torch::nn::LayerNorm layer_norm(int64_t dim) {
  return torch::nn::LayerNorm(torch::nn::LayerNormOptions({dim}).eps(1e-6));
}

class EncoderBlockImpl : public torch::nn::Module {
 public:
  EncoderBlockImpl(int64_t num_heads, int64_t hidden_dim, int64_t mlp_dim, double dropout,
                   double attention_dropout) {
    ln_1_ = register_module("ln_1", layer_norm(hidden_dim));
    self_attention_ =
        register_module("self_attention", SelfAttention(hidden_dim, num_heads, attention_dropout));
    dropout_ = register_module("dropout", torch::nn::Dropout(torch::nn::DropoutOptions(dropout)));
    ln_2_ = register_module("ln_2", layer_norm(hidden_dim));
    // MLPBlock: Linear, GELU, Dropout, Linear, Dropout.
    torch::nn::Linear fc1(hidden_dim, mlp_dim);
    torch::nn::Linear fc2(mlp_dim, hidden_dim);
    {
      torch::NoGradGuard no_grad;
      for (auto& fc : {fc1, fc2}) {
        torch::nn::init::xavier_uniform_(fc->weight);
        fc->bias.normal_(0.0, 1e-6);
      }
    }
    mlp_ = register_module(
        "mlp", torch::nn::Sequential(
                   fc1, torch::nn::Functional([](torch::Tensor x) { return torch::gelu(x); }),
                   torch::nn::Dropout(torch::nn::DropoutOptions(dropout)), fc2,
                   torch::nn::Dropout(torch::nn::DropoutOptions(dropout))));
  }

  torch::Tensor forward(torch::Tensor input) {
    TORCH_CHECK(input.dim() == 3, "Expected (batch_size, seq_length, hidden_dim) got ",
                input.sizes());
    auto x = self_attention_->forward(ln_1_->forward(input));
    x = dropout_->forward(x);
    x = x + input;
    auto y = mlp_->forward(ln_2_->forward(x));
    return x + y;
  }

 private:
  torch::nn::LayerNorm ln_1_{nullptr};
  SelfAttention self_attention_{nullptr};
  torch::nn::Dropout dropout_{nullptr};
  torch::nn::LayerNorm ln_2_{nullptr};
  torch::nn::Sequential mlp_{nullptr};
};
TORCH_MODULE(EncoderBlock);

class EncoderImpl : public torch::nn::Module {
 public:
  EncoderImpl(int64_t seq_length, int64_t num_layers, int64_t num_heads, int64_t hidden_dim,
              int64_t mlp_dim, double dropout, double attention_dropout) {
    pos_embedding = register_parameter(
        "pos_embedding", torch::empty({1, seq_length, hidden_dim}).normal_(0.0, 0.02));
    dropout_ = register_module("dropout", torch::nn::Dropout(torch::nn::DropoutOptions(dropout)));
    layers_ = register_module("layers", torch::nn::Sequential());
    for (int64_t i = 0; i < num_layers; ++i) {
      layers_->push_back("encoder_layer_" + std::to_string(i),
                         EncoderBlock(num_heads, hidden_dim, mlp_dim, dropout, attention_dropout));
    }
    ln_ = register_module("ln", layer_norm(hidden_dim));
  }

  torch::Tensor forward(torch::Tensor input) {
    TORCH_CHECK(input.dim() == 3, "Expected (batch_size, seq_length, hidden_dim) got ",
                input.sizes());
    input = input + pos_embedding;
    return ln_->forward(layers_->forward(dropout_->forward(input)));
  }

  torch::Tensor pos_embedding;

 private:
  torch::nn::Dropout dropout_{nullptr};
  torch::nn::Sequential layers_{nullptr};
  torch::nn::LayerNorm ln_{nullptr};
};
TORCH_MODULE(Encoder);

struct ViTConfig {
  int64_t patch_size;
  int64_t num_layers;
  int64_t num_heads;
  int64_t hidden_dim;
  int64_t mlp_dim;
};

class VisionTransformerImpl : public torch::nn::Module {
 public:
  VisionTransformerImpl(int64_t image_size, const ViTConfig& cfg, int64_t num_classes,
                        double dropout = 0.0, double attention_dropout = 0.0)
      : image_size_(image_size), patch_size_(cfg.patch_size), hidden_dim_(cfg.hidden_dim) {
    TORCH_CHECK(image_size % cfg.patch_size == 0, "Input shape indivisible by patch size!");
    conv_proj_ = register_module(
        "conv_proj",
        torch::nn::Conv2d(
            torch::nn::Conv2dOptions(3, cfg.hidden_dim, cfg.patch_size).stride(cfg.patch_size)));
    const int64_t seq_length = (image_size / cfg.patch_size) * (image_size / cfg.patch_size) + 1;
    class_token = register_parameter("class_token", torch::zeros({1, 1, cfg.hidden_dim}));
    encoder_ = register_module(
        "encoder", Encoder(seq_length, cfg.num_layers, cfg.num_heads, cfg.hidden_dim, cfg.mlp_dim,
                           dropout, attention_dropout));
    head_ = torch::nn::Linear(cfg.hidden_dim, num_classes);
    heads_ = register_module("heads", torch::nn::Sequential());
    heads_->push_back("head", head_);

    torch::NoGradGuard no_grad;
    const double fan_in = 3.0 * static_cast<double>(cfg.patch_size * cfg.patch_size);
    const double stddev = std::sqrt(1.0 / fan_in);
    trunc_normal_(conv_proj_->weight, 0.0, stddev, -2.0, 2.0);
    conv_proj_->bias.zero_();
    head_->weight.zero_();
    head_->bias.zero_();
  }

  torch::Tensor forward(torch::Tensor x) {
    TORCH_CHECK(x.dim() == 4, "Expected an (N, C, H, W) image, got ", x.sizes());
    TORCH_CHECK(x.size(2) == image_size_, "Wrong image height! Expected ", image_size_, " but got ",
                x.size(2), "!");
    TORCH_CHECK(x.size(3) == image_size_, "Wrong image width! Expected ", image_size_, " but got ",
                x.size(3), "!");
    // (n, c, h, w) -> (n, hidden, n_h, n_w) -> (n, hidden, n_h * n_w) -> (n, n_h * n_w, hidden)
    x = conv_proj_->forward(x);
    x = x.flatten(2).permute({0, 2, 1});
    // expand_as keeps the batch symbolic when traced (see the attention forward).
    auto batch_class_token = class_token.expand_as(x.narrow(1, 0, 1));
    x = torch::cat({batch_class_token, x}, 1);
    x = encoder_->forward(x);
    x = x.select(1, 0);  // x[:, 0], the class token
    return heads_->forward(x);
  }

  torch::Tensor class_token;

 private:
  int64_t image_size_;
  int64_t patch_size_;
  int64_t hidden_dim_;
  torch::nn::Conv2d conv_proj_{nullptr};
  Encoder encoder_{nullptr};
  torch::nn::Sequential heads_{nullptr};
  torch::nn::Linear head_{nullptr};
};
TORCH_MODULE(VisionTransformer);

constexpr ViTConfig kViTB16{16, 12, 12, 768, 3072};
constexpr ViTConfig kViTB32{32, 12, 12, 768, 3072};
constexpr ViTConfig kViTL16{16, 24, 16, 1024, 4096};

ZooModel vit_b_16(int64_t num_classes) {
  return make_zoo_model(VisionTransformer(224, kViTB16, num_classes));
}
ZooModel vit_b_32(int64_t num_classes) {
  return make_zoo_model(VisionTransformer(224, kViTB32, num_classes));
}
ZooModel vit_l_16(int64_t num_classes) {
  return make_zoo_model(VisionTransformer(224, kViTL16, num_classes));
}

}  // namespace

// A ViT variant ("vit_b_16", "vit_b_32", "vit_l_16") for another image size (a multiple of the
// patch size): the registry's builders use torchvision's default of 224. Not declared in
// zoo_torch.h (yet); declare it where needed.
ZooModel build_vit(const std::string& name, int64_t num_classes, int64_t image_size) {
  if (name == "vit_b_16")
    return make_zoo_model(VisionTransformer(image_size, kViTB16, num_classes));
  if (name == "vit_b_32")
    return make_zoo_model(VisionTransformer(image_size, kViTB32, num_classes));
  if (name == "vit_l_16")
    return make_zoo_model(VisionTransformer(image_size, kViTL16, num_classes));
  throw std::out_of_range("build_vit: unknown ViT variant '" + name + "'");
}

void add_vit_models(std::vector<ZooEntry>& entries) {
  entries.push_back({"vit_b_16", &vit_b_16, {3, 224, 224}, "vit"});
  entries.push_back({"vit_b_32", &vit_b_32, {3, 224, 224}, "vit"});
  entries.push_back({"vit_l_16", &vit_l_16, {3, 224, 224}, "vit"});
}

}  // namespace mlexport::zoo

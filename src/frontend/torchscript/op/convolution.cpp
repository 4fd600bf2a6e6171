// Convolutions 1d/2d/3d and transposed convolutions.
#include "frontend/torchscript/op/helpers.h"
#include "mlexport/diagnostics.h"

namespace mlexport::frontend::torchscript {
namespace {

struct ConvArgs {
  const JitValue* input;
  const JitValue* weight;
  const JitValue* bias;
  std::vector<int64_t> stride, padding, dilation, output_padding;
  std::string padding_mode;  // "same" / "valid" from the string overload
  bool transposed = false;
  int64_t groups = 1;
};

void emit_conv(TranslateContext& ctx, const JitNode* node, const ConvArgs& a) {
  const ir::DType dt = ctx.dtype(node->output());
  const auto weight_sizes = ctx.sizes(a.weight);
  const size_t spatial = weight_sizes.size() - 2;
  std::vector<int64_t> kernel(weight_sizes.begin() + 2, weight_sizes.end());
  std::vector<int64_t> dilation = a.dilation;
  if (dilation.size() == 1 && spatial > 1) dilation.assign(spatial, dilation[0]);
  std::vector<int64_t> stride = a.stride;
  if (stride.size() == 1 && spatial > 1) stride.assign(spatial, stride[0]);
  std::vector<int64_t> pads;
  if (a.padding_mode == "same") {
    std::vector<int64_t> begin, end;
    for (size_t d = 0; d < spatial; ++d) {
      int64_t total = dilation[d] * (kernel[d] - 1);
      begin.push_back(total / 2);
      end.push_back(total - total / 2);
    }
    pads = begin;
    pads.insert(pads.end(), end.begin(), end.end());
  } else if (a.padding_mode == "valid") {
    pads.assign(2 * spatial, 0);
  } else {
    std::vector<int64_t> padding = a.padding;
    if (padding.size() == 1 && spatial > 1) padding.assign(spatial, padding[0]);
    pads = symmetric_pads(padding);
  }
  std::map<std::string, ir::Attribute> attrs = {{"kernel_shape", kernel},
                                                {"strides", stride},
                                                {"pads", pads},
                                                {"dilations", dilation},
                                                {"group", a.groups}};
  std::vector<ir::Value*> inputs = {ctx.tensor_as(a.input, dt), ctx.tensor_as(a.weight, dt)};
  if (a.bias && !ctx.is_none(a.bias)) inputs.push_back(ctx.tensor_as(a.bias, dt));
  if (a.transposed) {
    std::vector<int64_t> output_padding = a.output_padding;
    if (output_padding.size() == 1 && spatial > 1)
      output_padding.assign(spatial, output_padding[0]);
    if (!output_padding.empty()) attrs["output_padding"] = output_padding;
    return bind_output(ctx, node, ctx.op("ConvTranspose", inputs, attrs));
  }
  bind_output(ctx, node, ctx.op("Conv", inputs, attrs));
}

// aten::_convolution(Tensor input, Tensor weight, Tensor? bias, int[] stride, int[] padding,
//   int[] dilation, bool transposed, int[] output_padding, int groups, bool benchmark,
//   bool deterministic, bool cudnn_enabled, bool allow_tf32)
void translate_convolution(TranslateContext& ctx, const JitNode* node) {
  ConvArgs a{node->input(0), node->input(1), node->input(2)};
  a.stride = ctx.const_ints(node->input(3));
  a.padding = ctx.const_ints(node->input(4));
  a.dilation = ctx.const_ints(node->input(5));
  a.transposed = ctx.const_bool(node->input(6));
  a.output_padding = ctx.const_ints(node->input(7));
  a.groups = ctx.const_int(node->input(8));
  emit_conv(ctx, node, a);
}

// aten::conv1d/conv2d/conv3d(Tensor input, Tensor weight, Tensor? bias, int[] stride,
//   int[]|str padding, int[] dilation, int groups) ;
// aten::_convolution_mode(Tensor input, Tensor weight, Tensor? bias, int[] stride, str padding,
//   int[] dilation, int groups) (traced padding='same'/'valid')
void translate_conv(TranslateContext& ctx, const JitNode* node) {
  ConvArgs a{node->input(0), node->input(1), node->input(2)};
  a.stride = ctx.const_ints(node->input(3));
  if (ctx.recorded(node->input(4)).isString())
    a.padding_mode = ctx.const_string(node->input(4));
  else
    a.padding = ctx.const_ints(node->input(4));
  a.dilation = ctx.const_ints(node->input(5));
  a.groups = ctx.const_int(node->input(6));
  emit_conv(ctx, node, a);
}

// aten::conv_transpose1d/2d/3d(Tensor input, Tensor weight, Tensor? bias, int[] stride,
//   int[] padding, int[] output_padding, int groups, int[] dilation)
void translate_conv_transpose(TranslateContext& ctx, const JitNode* node) {
  ConvArgs a{node->input(0), node->input(1), node->input(2)};
  a.transposed = true;
  a.stride = ctx.const_ints(node->input(3));
  a.padding = ctx.const_ints(node->input(4));
  a.output_padding = ctx.const_ints(node->input(5));
  a.groups = ctx.const_int(node->input(6));
  a.dilation = ctx.const_ints(node->input(7));
  emit_conv(ctx, node, a);
}

}  // namespace

std::vector<OpRule> convolution_rules() {
  return {
      {"aten::_convolution", translate_convolution, "Conv / ConvTranspose"},
      {"aten::_convolution_mode", translate_conv, "Conv (pads from 'same'/'valid')"},
      {"aten::conv1d", translate_conv, "Conv"},
      {"aten::conv2d", translate_conv, "Conv"},
      {"aten::conv3d", translate_conv, "Conv"},
      {"aten::conv_transpose1d", translate_conv_transpose, "ConvTranspose"},
      {"aten::conv_transpose2d", translate_conv_transpose, "ConvTranspose"},
      {"aten::conv_transpose3d", translate_conv_transpose, "ConvTranspose"},
  };
}

}  // namespace mlexport::frontend::torchscript

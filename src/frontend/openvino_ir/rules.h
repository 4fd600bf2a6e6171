// Rules: one OpenVINO layer type (family) each, building ONNX-semantics IR nodes.
#pragma once

#include "frontend/openvino_ir/reader_context.h"

namespace mlexport::frontend::openvino_ir {

// rules_math.cpp
void rule_unary(Reader& r, const LayerDesc& l);
void rule_binary(Reader& r, const LayerDesc& l);
void rule_divide(Reader& r, const LayerDesc& l);
void rule_floor_mod(Reader& r, const LayerDesc& l);
void rule_squared_difference(Reader& r, const LayerDesc& l);
void rule_not_equal(Reader& r, const LayerDesc& l);
void rule_select(Reader& r, const LayerDesc& l);
void rule_convert(Reader& r, const LayerDesc& l);
void rule_clamp(Reader& r, const LayerDesc& l);
void rule_hard_sigmoid(Reader& r, const LayerDesc& l);
void rule_hsigmoid(Reader& r, const LayerDesc& l);
void rule_prelu(Reader& r, const LayerDesc& l);
void rule_elu(Reader& r, const LayerDesc& l);
void rule_selu(Reader& r, const LayerDesc& l);
void rule_gelu(Reader& r, const LayerDesc& l);
void rule_mish(Reader& r, const LayerDesc& l);
void rule_swish(Reader& r, const LayerDesc& l);
void rule_round(Reader& r, const LayerDesc& l);
void rule_softmax(Reader& r, const LayerDesc& l);
void rule_matmul(Reader& r, const LayerDesc& l);
void rule_batch_norm(Reader& r, const LayerDesc& l);
void rule_mvn(Reader& r, const LayerDesc& l);

// rules_structure.cpp
void rule_convolution(Reader& r, const LayerDesc& l);
void rule_conv_backprop(Reader& r, const LayerDesc& l);
void rule_max_pool(Reader& r, const LayerDesc& l);
void rule_avg_pool(Reader& r, const LayerDesc& l);
void rule_reduce(Reader& r, const LayerDesc& l);
void rule_reshape(Reader& r, const LayerDesc& l);
void rule_concat(Reader& r, const LayerDesc& l);
void rule_transpose(Reader& r, const LayerDesc& l);
void rule_squeeze(Reader& r, const LayerDesc& l);
void rule_shape_of(Reader& r, const LayerDesc& l);
void rule_gather(Reader& r, const LayerDesc& l);
void rule_gather_elements(Reader& r, const LayerDesc& l);
void rule_slice(Reader& r, const LayerDesc& l);
void rule_broadcast(Reader& r, const LayerDesc& l);
void rule_split(Reader& r, const LayerDesc& l);
void rule_pad(Reader& r, const LayerDesc& l);
void rule_tile(Reader& r, const LayerDesc& l);
void rule_depth_to_space(Reader& r, const LayerDesc& l);
void rule_gather_nd(Reader& r, const LayerDesc& l);
void rule_range(Reader& r, const LayerDesc& l);
void rule_topk(Reader& r, const LayerDesc& l);
void rule_cumsum(Reader& r, const LayerDesc& l);
void rule_einsum(Reader& r, const LayerDesc& l);

// rules_detection.cpp
void rule_scatter_nd_update(Reader& r, const LayerDesc& l);
void rule_scatter_elements_update(Reader& r, const LayerDesc& l);
void rule_non_zero(Reader& r, const LayerDesc& l);
void rule_grid_sample(Reader& r, const LayerDesc& l);
void rule_roi_align(Reader& r, const LayerDesc& l);
void rule_roi_pooling(Reader& r, const LayerDesc& l);
void rule_non_max_suppression(Reader& r, const LayerDesc& l);
void rule_bitwise_shift(Reader& r, const LayerDesc& l);  // BitwiseLeftShift/RightShift

// rules_spectral.cpp
void rule_dft(Reader& r, const LayerDesc& l);  // DFT, IDFT
void rule_rdft(Reader& r, const LayerDesc& l);

// rules_resize.cpp
void rule_interpolate(Reader& r, const LayerDesc& l);  // Interpolate-4/11 -> Resize

// rules_control.cpp
void rule_if(Reader& r, const LayerDesc& l);    // If-8
void rule_loop(Reader& r, const LayerDesc& l);  // Loop-5

// rules_recurrent.cpp
void rule_recurrent_sequence(Reader& r, const LayerDesc& l);  // LSTM/GRU/RNNSequence

}  // namespace mlexport::frontend::openvino_ir

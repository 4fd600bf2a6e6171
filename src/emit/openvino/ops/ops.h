// Translators of IR ops into OpenVINO layers, one family per file; op_table.cpp maps op names
// to them.
#pragma once

#include "emit/openvino/translate.h"

namespace mlexport::emit::openvino {

// control_flow.cpp
void translate_if(const ir::Node& n, Context& ctx);    // If-8 with then/else bodies
void translate_loop(const ir::Node& n, Context& ctx);  // Loop-5 with its body

// elementwise.cpp
void translate_unary(const ir::Node& n, Context& ctx);       // Relu, Exp, Neg, HardSwish...
void translate_arithmetic(const ir::Node& n, Context& ctx);  // Add, Sub, Mul, Div, Pow
void translate_mod(const ir::Node& n, Context& ctx);
void translate_compare(const ir::Node& n, Context& ctx);   // Equal, Less... And, Or, Xor
void translate_variadic(const ir::Node& n, Context& ctx);  // Min, Max, Sum, Mean
void translate_where(const ir::Node& n, Context& ctx);
void translate_cast(const ir::Node& n, Context& ctx);
void translate_identity(const ir::Node& n, Context& ctx);  // Identity, Dropout
void translate_reciprocal(const ir::Node& n, Context& ctx);
void translate_clip(const ir::Node& n, Context& ctx);
void translate_bit_shift(const ir::Node& n, Context& ctx);  // BitShift (uint8)

// activation.cpp
void translate_hard_sigmoid(const ir::Node& n, Context& ctx);
void translate_leaky_relu(const ir::Node& n, Context& ctx);
void translate_prelu(const ir::Node& n, Context& ctx);
void translate_elu(const ir::Node& n, Context& ctx);
void translate_selu(const ir::Node& n, Context& ctx);
void translate_celu(const ir::Node& n, Context& ctx);
void translate_gelu(const ir::Node& n, Context& ctx);
void translate_softmax(const ir::Node& n, Context& ctx);  // Softmax, LogSoftmax

// conv_pool.cpp
void translate_conv(const ir::Node& n, Context& ctx);
void translate_conv_transpose(const ir::Node& n, Context& ctx);
void translate_max_pool(const ir::Node& n, Context& ctx);
void translate_average_pool(const ir::Node& n, Context& ctx);
void translate_global_pool(const ir::Node& n, Context& ctx);  // GlobalAveragePool/MaxPool

// linear.cpp
void translate_matmul(const ir::Node& n, Context& ctx);
void translate_gemm(const ir::Node& n, Context& ctx);
void translate_einsum(const ir::Node& n, Context& ctx);

// normalization.cpp
void translate_batch_norm(const ir::Node& n, Context& ctx);
void translate_layer_norm(const ir::Node& n, Context& ctx);
void translate_instance_norm(const ir::Node& n, Context& ctx);

// shape_ops.cpp
void translate_reshape(const ir::Node& n, Context& ctx);
void translate_flatten(const ir::Node& n, Context& ctx);
void translate_concat(const ir::Node& n, Context& ctx);
void translate_transpose(const ir::Node& n, Context& ctx);
void translate_squeeze(const ir::Node& n, Context& ctx);
void translate_unsqueeze(const ir::Node& n, Context& ctx);
void translate_shape(const ir::Node& n, Context& ctx);
void translate_gather(const ir::Node& n, Context& ctx);
void translate_size(const ir::Node& n, Context& ctx);
void translate_depth_to_space(const ir::Node& n, Context& ctx);
void translate_gather_nd(const ir::Node& n, Context& ctx);
void translate_gather_elements(const ir::Node& n, Context& ctx);
void translate_slice(const ir::Node& n, Context& ctx);
void translate_expand(const ir::Node& n, Context& ctx);
void translate_split(const ir::Node& n, Context& ctx);
void translate_pad(const ir::Node& n, Context& ctx);
void translate_tile(const ir::Node& n, Context& ctx);
void translate_constant_of_shape(const ir::Node& n, Context& ctx);
void translate_range(const ir::Node& n, Context& ctx);

// reduce.cpp
void translate_reduce(const ir::Node& n, Context& ctx);       // ReduceMean/Sum/Max/Min/Prod/L1/L2
void translate_arg_extreme(const ir::Node& n, Context& ctx);  // ArgMax, ArgMin
void translate_cumsum(const ir::Node& n, Context& ctx);
void translate_top_k(const ir::Node& n, Context& ctx);

// scatter.cpp
void translate_scatter_nd(const ir::Node& n, Context& ctx);
void translate_scatter_elements(const ir::Node& n, Context& ctx);
void translate_non_zero(const ir::Node& n, Context& ctx);

// detection.cpp
void translate_grid_sample(const ir::Node& n, Context& ctx);
void translate_roi_align(const ir::Node& n, Context& ctx);
void translate_max_roi_pool(const ir::Node& n, Context& ctx);
void translate_non_max_suppression(const ir::Node& n, Context& ctx);

// spectral.cpp
void translate_dft(const ir::Node& n, Context& ctx);

// resize.cpp
void translate_resize(const ir::Node& n, Context& ctx);  // Resize -> Interpolate-11

// recurrent.cpp
void translate_recurrent_sequence(const ir::Node& n, Context& ctx);  // LSTM, GRU, RNN

}  // namespace mlexport::emit::openvino

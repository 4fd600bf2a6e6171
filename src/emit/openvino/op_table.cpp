// IR op -> OpenVINO translator. One line per op, so the table can be read (and listed) as it is.
#include "emit/openvino/ops/ops.h"

namespace mlexport::emit::openvino {

const std::map<std::string, Translator>& op_table() {
  static const std::map<std::string, Translator> table = {
      // elementwise.cpp
      {"Relu", translate_unary},              // ReLU-1
      {"Sigmoid", translate_unary},           // Sigmoid-1
      {"Tanh", translate_unary},              // Tanh-1
      {"Exp", translate_unary},               // Exp-1
      {"Log", translate_unary},               // Log-1
      {"Sqrt", translate_unary},              // Sqrt-1
      {"Abs", translate_unary},               // Abs-1
      {"Erf", translate_unary},               // Erf-1
      {"Neg", translate_unary},               // Negative-1
      {"Floor", translate_unary},             // Floor-1
      {"Ceil", translate_unary},              // Ceiling-1
      {"Sin", translate_unary},               // Sin-1
      {"Cos", translate_unary},               // Cos-1
      {"Tan", translate_unary},               // Tan-1
      {"Asin", translate_unary},              // Asin-1
      {"Acos", translate_unary},              // Acos-1
      {"Atan", translate_unary},              // Atan-1
      {"Sinh", translate_unary},              // Sinh-1
      {"Cosh", translate_unary},              // Cosh-1
      {"Asinh", translate_unary},             // Asinh-4
      {"Acosh", translate_unary},             // Acosh-4
      {"Atanh", translate_unary},             // Atanh-4
      {"Sign", translate_unary},              // Sign-1
      {"Softplus", translate_unary},          // SoftPlus-4
      {"Softsign", translate_unary},          // SoftSign-9
      {"Mish", translate_unary},              // Mish-4
      {"HardSwish", translate_unary},         // HSwish-4
      {"Not", translate_unary},               // LogicalNot-1
      {"Round", translate_unary},             // Round-5 (half_to_even)
      {"IsNaN", translate_unary},             // IsNaN-10
      {"Add", translate_arithmetic},          // Add-1
      {"Sub", translate_arithmetic},          // Subtract-1
      {"Mul", translate_arithmetic},          // Multiply-1
      {"Div", translate_arithmetic},          // Divide-1 (m_pythondiv=false)
      {"Pow", translate_arithmetic},          // Power-1
      {"Mod", translate_mod},                 // FloorMod-1 / Mod-1
      {"Equal", translate_compare},           // Equal-1
      {"Less", translate_compare},            // Less-1
      {"Greater", translate_compare},         // Greater-1
      {"LessOrEqual", translate_compare},     // LessEqual-1
      {"GreaterOrEqual", translate_compare},  // GreaterEqual-1
      {"And", translate_compare},             // LogicalAnd-1
      {"Or", translate_compare},              // LogicalOr-1
      {"Xor", translate_compare},             // LogicalXor-1
      {"Min", translate_variadic},            // Minimum-1 chain
      {"Max", translate_variadic},            // Maximum-1 chain
      {"Sum", translate_variadic},            // Add-1 chain
      {"Mean", translate_variadic},           // Add-1 chain + Divide-1
      {"Where", translate_where},             // Select-1
      {"Cast", translate_cast},               // Convert-1
      {"Identity", translate_identity},       // (dropped)
      {"Dropout", translate_identity},        // (dropped: inference)
      {"Reciprocal", translate_reciprocal},   // Divide-1 (1 / x)
      {"Clip", translate_clip},               // Clamp-1 / Maximum-1 + Minimum-1
      {"BitShift", translate_bit_shift},      // BitwiseLeftShift-15 / BitwiseRightShift-15
      // activation.cpp
      {"HardSigmoid", translate_hard_sigmoid},  // HardSigmoid-1
      {"LeakyRelu", translate_leaky_relu},      // PRelu-1
      {"PRelu", translate_prelu},               // PRelu-1
      {"Elu", translate_elu},                   // Elu-1
      {"Selu", translate_selu},                 // Selu-1
      {"Celu", translate_celu},                 // Maximum-1 + Minimum-1 + Exp-1 (decomposed)
      {"Gelu", translate_gelu},                 // Gelu-7
      {"Softmax", translate_softmax},           // Softmax-8
      {"LogSoftmax", translate_softmax},        // LogSoftmax-5
      // conv_pool.cpp
      {"Conv", translate_conv},                      // Convolution-1 / GroupConvolution-1 (+ Add)
      {"ConvTranspose", translate_conv_transpose},   // ConvolutionBackpropData-1 (+ Group)
      {"MaxPool", translate_max_pool},               // MaxPool-8 (MaxPool-14 for ceil_torch)
      {"AveragePool", translate_average_pool},       // AvgPool-1 (AvgPool-14 for ceil_torch)
      {"GlobalAveragePool", translate_global_pool},  // ReduceMean-1 over spatial axes
      {"GlobalMaxPool", translate_global_pool},      // ReduceMax-1 over spatial axes
      // linear.cpp
      {"MatMul", translate_matmul},  // MatMul-1
      {"Gemm", translate_gemm},      // MatMul-1 (transpose_a/b) + Multiply-1 + Add-1
      {"Einsum", translate_einsum},  // Einsum-7
      // normalization.cpp
      {"BatchNormalization", translate_batch_norm},        // BatchNormInference-5
      {"LayerNormalization", translate_layer_norm},        // MVN-6 + Multiply-1 + Add-1
      {"InstanceNormalization", translate_instance_norm},  // MVN-6 + Multiply-1 + Add-1
      // shape_ops.cpp
      {"Reshape", translate_reshape},                    // Reshape-1 (special_zero)
      {"Flatten", translate_flatten},                    // Reshape-1
      {"Concat", translate_concat},                      // Concat-1
      {"Transpose", translate_transpose},                // Transpose-1
      {"Squeeze", translate_squeeze},                    // Squeeze-1
      {"Unsqueeze", translate_unsqueeze},                // Unsqueeze-1
      {"Shape", translate_shape},                        // ShapeOf-3 (+ Slice-8)
      {"Gather", translate_gather},                      // Gather-8
      {"Size", translate_size},                          // ShapeOf-3 + ReduceProd-1
      {"GatherElements", translate_gather_elements},     // GatherElements-6
      {"Slice", translate_slice},                        // Slice-8
      {"Expand", translate_expand},                      // Broadcast-3 (bidirectional)
      {"Split", translate_split},                        // VariadicSplit-1 / Split-1
      {"Pad", translate_pad},                            // Pad-1 / Pad-12
      {"Tile", translate_tile},                          // Tile-1
      {"DepthToSpace", translate_depth_to_space},        // DepthToSpace-1
      {"GatherND", translate_gather_nd},                 // GatherND-8
      {"ConstantOfShape", translate_constant_of_shape},  // Broadcast-3 (numpy)
      {"Range", translate_range},                        // Range-4
      // reduce.cpp
      {"ReduceMean", translate_reduce},       // ReduceMean-1
      {"ReduceSum", translate_reduce},        // ReduceSum-1
      {"ReduceMax", translate_reduce},        // ReduceMax-1
      {"ReduceMin", translate_reduce},        // ReduceMin-1
      {"ReduceProd", translate_reduce},       // ReduceProd-1
      {"ReduceL1", translate_reduce},         // ReduceL1-4
      {"ReduceL2", translate_reduce},         // ReduceL2-4
      {"ReduceSumSquare", translate_reduce},  // Multiply-1 + ReduceSum-1
      {"ReduceLogSumExp", translate_reduce},  // Exp-1 + ReduceSum-1 + Log-1
      {"ReduceLogSum", translate_reduce},     // ReduceSum-1 + Log-1
      {"ArgMax", translate_arg_extreme},      // TopK-11 (+ Squeeze-1)
      {"ArgMin", translate_arg_extreme},      // TopK-11 (+ Squeeze-1)
      {"CumSum", translate_cumsum},           // CumSum-3
      // scatter.cpp
      {"ScatterND", translate_scatter_nd},              // ScatterNDUpdate-3 / -15 (reduction)
      {"ScatterElements", translate_scatter_elements},  // ScatterElementsUpdate-3 / -12
      {"NonZero", translate_non_zero},                  // NonZero-3
      // detection.cpp
      {"GridSample", translate_grid_sample},                 // GridSample-9
      {"RoiAlign", translate_roi_align},                     // ROIAlign-9
      {"MaxRoiPool", translate_max_roi_pool},                // ROIPooling-2
      {"NonMaxSuppression", translate_non_max_suppression},  // NonMaxSuppression-9 + Slice-8
      // spectral.cpp
      {"DFT", translate_dft},  // DFT-7 / IDFT-7 / RDFT-9
      // recurrent.cpp
      {"LSTM", translate_recurrent_sequence},  // LSTMSequence-5 (+ Transpose-1 in and out)
      {"GRU", translate_recurrent_sequence},   // GRUSequence-5 (+ Transpose-1 in and out)
      {"RNN", translate_recurrent_sequence},   // RNNSequence-5 (+ Transpose-1 in and out)
      {"TopK", translate_top_k},               // TopK-11 (stable)
      // control_flow.cpp
      {"If", translate_if},      // If-8
      {"Loop", translate_loop},  // Loop-5
      // resize.cpp
      {"Resize", translate_resize},  // Interpolate-11 over the spatial axes
  };
  return table;
}

}  // namespace mlexport::emit::openvino

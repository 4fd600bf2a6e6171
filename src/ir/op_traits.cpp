#include "ir/op_traits.h"

#include <set>

namespace mlexport::ir {

bool keeps_input_shape_and_type(const std::string& op) {
  static const std::set<std::string> ops = {"Relu",
                                            "Sigmoid",
                                            "Tanh",
                                            "Exp",
                                            "Log",
                                            "Sqrt",
                                            "Abs",
                                            "Erf",
                                            "Neg",
                                            "Floor",
                                            "Ceil",
                                            "Sin",
                                            "Cos",
                                            "Tan",
                                            "Asin",
                                            "Acos",
                                            "Atan",
                                            "Sinh",
                                            "Cosh",
                                            "Asinh",
                                            "Acosh",
                                            "Atanh",
                                            "Reciprocal",
                                            "Elu",
                                            "Selu",
                                            "Celu",
                                            "LeakyRelu",
                                            "PRelu",
                                            "HardSigmoid",
                                            "HardSwish",
                                            "Softplus",
                                            "Softsign",
                                            "Softmax",
                                            "LogSoftmax",
                                            "Clip",
                                            "Identity",
                                            "Sign",
                                            "Round",
                                            "Gelu",
                                            "Mish",
                                            "Not",
                                            "Dropout",
                                            "CumSum",
                                            "LayerNormalization",
                                            "BatchNormalization",
                                            "InstanceNormalization"};
  return ops.count(op) != 0;
}

bool is_broadcasting_binary(const std::string& op) {
  static const std::set<std::string> ops = {"Add", "Sub", "Mul", "Div", "Pow", "Max",
                                            "Min", "Mod", "And", "Or",  "Xor"};
  return ops.count(op) != 0;
}

bool is_comparison(const std::string& op) {
  static const std::set<std::string> ops = {"Equal", "Less", "Greater", "LessOrEqual",
                                            "GreaterOrEqual"};
  return ops.count(op) != 0;
}

}  // namespace mlexport::ir

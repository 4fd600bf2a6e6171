// What some IR ops do to shapes and element types, for the passes and emitters that infer them.
#pragma once

#include <string>

namespace mlexport::ir {

// Output 0 has input 0's shape and element type (unary math, activations, normalisations...).
bool keeps_input_shape_and_type(const std::string& op);
// Two inputs broadcast numpy-style; the output has their element type.
bool is_broadcasting_binary(const std::string& op);
// Two inputs broadcast numpy-style; the output is bool.
bool is_comparison(const std::string& op);

}  // namespace mlexport::ir

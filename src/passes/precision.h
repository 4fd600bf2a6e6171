// Precision options run on the IR after the normal pipeline: float16 conversion
// (--precision fp16) and dynamic int8 quantization (--quantize int8). Both leave a graph that
// ir::verify_graph accepts, with every value's dtype and shape up to date, ready for the ONNX
// emitter (the int8 ops need opset 11; fp16 works at any opset).
// The two do not combine: each throws mlexport::Error (kBadInput) on the other's output.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ir/graph.h"

namespace mlexport::passes {

struct Fp16Options {
  bool keep_io_fp32 = true;  // false: graph inputs/outputs become float16 too
  // Nodes that stay float32 (--keep_fp32): each entry an op type ("Pow"), a source op
  // ("aten::pow") or a module scope, which takes the module and every module inside it.
  std::vector<std::string> keep_float32;
};

// Whether `node` is one of those `entries` name (see Fp16Options::keep_float32).
bool kept_float32(const ir::Node& node, const std::vector<std::string>& entries);

struct Fp16Report {
  int converted_constants = 0;  // float32 constants now (also) stored as float16
  int casts_inserted = 0;       // Cast nodes added between float16 and float32 regions
  std::vector<std::string> unmatched_keep_float32;  // keep_float32 entries that name no node
};

// Float32 constants and computation -> float16. Ops that need float32 for accuracy, or whose
// opset-17 schema has no float16, stay float32 with Casts around them (see convert_fp16.cpp for
// the list and the measurements behind it). With keep_io_fp32 the graph's inputs and outputs stay
// float32, with Casts at the edges. Integer and bool tensors, and float arithmetic on shapes,
// are left alone.
Fp16Report convert_to_fp16(ir::Graph& graph, const Fp16Options& options);

struct QuantizeOptions {
  bool per_channel = true;  // one scale per output channel (false: one per weight tensor)
};

struct QuantizeReport {
  int quantized = 0;  // MatMul / Gemm / Conv nodes now running on int8 weights
  int skipped = 0;    // such nodes with a constant weight left in float (too small, other form)
  uint64_t bytes_before = 0, bytes_after = 0;  // bytes of all constants the graph uses
};

// Dynamic int8 quantization as ONNX Runtime's quantize_dynamic does it: constant weights of
// MatMul, Gemm (as MatMul + Add) and Conv become symmetric 8-bit constants with float scales;
// activations are quantized at run time by DynamicQuantizeLinear (uint8), then MatMulInteger /
// ConvInteger, Cast to float, multiplied by input_scale * weight_scale, plus the bias. Weights of
// fewer than 256 elements stay float.
QuantizeReport quantize_dynamic_int8(ir::Graph& graph, const QuantizeOptions& options);

}  // namespace mlexport::passes

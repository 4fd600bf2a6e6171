// Named IR passes and the pipeline that runs them.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "passes/precision.h"

namespace mlexport::passes {

// The emitter the IR is prepared for: passes that only make sense for ONNX skip the others.
enum class Target { kOnnx, kOpenVino };

struct PassContext {
  int opset_version = 17;      // legalize-onnx-opset rewrites ops the opset lacks
  bool dynamic_batch = false;  // keeps Shape of batch-dependent values out of folding
  Target target = Target::kOnnx;
  std::optional<Fp16Options> fp16;  // --precision fp16: convert-fp16 runs
  bool quantize_int8 = false;       // --quantize int8: quantize-dynamic-int8 runs
  // Where a pass leaves its one-line summary ("12 constants, 3 casts"), appended to its log line.
  std::string* note = nullptr;
};

enum class PassLevel {
  kSimplify,   // optional clean-up: skipped with --no-simplify
  kRequired,   // the graph is not ready for its emitter without it
  kPrecision,  // runs when the request asks for that precision
};

struct Pass {
  const char* name;  // kebab-case, as given to --disable_pass
  bool (*run)(ir::Graph& graph, const PassContext& context);  // true when the graph changed
  const char* what;
  PassLevel level;
  bool onnx_only;       // prepares the IR for the ONNX emitter only
  bool top_level_only;  // not run inside If/Loop subgraphs (the pass handles or refuses them)
  // Whether the request asks for this pass (null: always); kPrecision passes have one.
  bool (*wanted)(const PassContext& context) = nullptr;
};

bool eliminate_dead_code(ir::Graph& graph, const PassContext& context);
bool remove_identities(ir::Graph& graph, const PassContext& context);
bool fold_constants(ir::Graph& graph, const PassContext& context);
bool fold_batch_norm(ir::Graph& graph, const PassContext& context);
bool infer_shapes(ir::Graph& graph, const PassContext& context);
bool legalize_onnx_opset(ir::Graph& graph, const PassContext& context);
bool legalize_openvino(ir::Graph& graph, const PassContext& context);
// The precision passes as pipeline steps (see precision.h); each runs only when asked for.
bool convert_fp16_pass(ir::Graph& graph, const PassContext& context);
bool quantize_int8_pass(ir::Graph& graph, const PassContext& context);

struct PipelineOptions {
  bool simplify = true;
  std::vector<std::string> disabled;
  bool verify_each = false;  // run the IR verifier after every pass (tests)
};

// Every pass, in pipeline order.
const std::vector<Pass>& all_passes();
// Runs the pipeline; returns one log line per pass ("fold-constants: changed").
std::vector<std::string> run_pipeline(ir::Graph& graph, const PassContext& context,
                                      const PipelineOptions& options);

}  // namespace mlexport::passes

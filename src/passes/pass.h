// Named IR passes and the pipeline that runs them.
#pragma once

#include <string>
#include <vector>

#include "ir/graph.h"

namespace mlexport::passes {

struct PassContext {
  int opset_version = 17;      // legalize-onnx-opset rewrites ops the opset lacks
  bool dynamic_batch = false;  // keeps Shape of batch-dependent values out of folding
};

struct Pass {
  const char* name;  // kebab-case, as given to --disable_pass
  bool (*run)(ir::Graph& graph, const PassContext& context);  // true when the graph changed
  const char* what;
  bool simplify_only;  // skipped with --no-simplify
};

bool eliminate_dead_code(ir::Graph& graph, const PassContext& context);
bool remove_identities(ir::Graph& graph, const PassContext& context);
bool fold_constants(ir::Graph& graph, const PassContext& context);
bool fold_batch_norm(ir::Graph& graph, const PassContext& context);
bool infer_shapes(ir::Graph& graph, const PassContext& context);
bool legalize_onnx_opset(ir::Graph& graph, const PassContext& context);

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

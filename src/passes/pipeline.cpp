#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "ir/verifier.h"
#include "mlexport/diagnostics.h"
#include "passes/pass.h"

namespace mlexport::passes {
namespace {

// A pass runs on the graph and on every subgraph in it. A loop body sees other shapes on each
// iteration, so inside subgraphs shapes are never folded into constants.
bool run_everywhere(const Pass& pass, ir::Graph& graph, const PassContext& context) {
  bool changed = pass.run(graph, context);
  PassContext inner = context;
  inner.dynamic_batch = true;
  for (const auto& n : graph.nodes())
    for (ir::Graph* g : n->subgraphs()) changed = run_everywhere(pass, *g, inner) || changed;
  return changed;
}

void collect_garbage_everywhere(ir::Graph& graph) {
  for (const auto& n : graph.nodes())
    for (ir::Graph* g : n->subgraphs()) collect_garbage_everywhere(*g);
  graph.collect_garbage();
}

}  // namespace

const std::vector<Pass>& all_passes() {
  static const std::vector<Pass> passes = {
      {"remove-identities", remove_identities, "drops Identity nodes and no-op casts", true},
      {"fold-constants", fold_constants, "evaluates nodes whose inputs are all constants", true},
      {"fold-batch-norm", fold_batch_norm,
       "merges BatchNormalization into the preceding Conv or Gemm", true},
      {"legalize-onnx-opset", legalize_onnx_opset,
       "rewrites ops the target opset lacks (LayerNormalization < 17, HardSwish < 14, ...)", false},
      {"fold-legalized-constants", fold_constants, "folds what legalization produced", true},
      {"eliminate-dead-code", eliminate_dead_code, "removes nodes nothing uses", false},
      {"infer-shapes", infer_shapes, "fills in dtypes and shapes of intermediate values", false},
  };
  return passes;
}

std::vector<std::string> run_pipeline(ir::Graph& graph, const PassContext& context,
                                      const PipelineOptions& options) {
  std::vector<std::string> log;
  // MLEXPORT_VERIFY_EACH=1 (set by `make test`) checks the IR after every pass of every export.
  const char* env = std::getenv("MLEXPORT_VERIFY_EACH");
  const bool verify_each = options.verify_each || (env && std::string_view(env) == "1");
  for (const Pass& pass : all_passes()) {
    const bool disabled = std::find(options.disabled.begin(), options.disabled.end(), pass.name) !=
                          options.disabled.end();
    if (disabled || (pass.simplify_only && !options.simplify)) {
      log.push_back(std::string(pass.name) + ": skipped");
      continue;
    }
    const size_t before = graph.nodes().size();
    auto start = std::chrono::steady_clock::now();
    const bool changed = run_everywhere(pass, graph, context);
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    char line[160];
    std::snprintf(line, sizeof line, "%s: %s, %zu -> %zu nodes, %.1f ms", pass.name,
                  changed ? "changed" : "unchanged", before, graph.nodes().size(), ms);
    log.push_back(line);
    if (verify_each) {
      auto problems = ir::verify_graph(graph);
      if (!problems.empty())
        throw Error(ExitCode::kInternal,
                    std::string("IR invalid after ") + pass.name + ": " + problems.front());
    }
  }
  collect_garbage_everywhere(graph);
  return log;
}

}  // namespace mlexport::passes

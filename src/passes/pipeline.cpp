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
  if (pass.top_level_only) return changed;
  PassContext inner = context;
  inner.dynamic_batch = true;
  for (const auto& n : graph.nodes())
    for (ir::Graph* g : n->subgraphs()) changed = run_everywhere(pass, *g, inner) || changed;
  return changed;
}

bool applies(const Pass& pass, const PassContext& context) {
  if (pass.onnx_only && context.target != Target::kOnnx) return false;
  return !pass.wanted || pass.wanted(context);
}

void collect_garbage_everywhere(ir::Graph& graph) {
  for (const auto& n : graph.nodes())
    for (ir::Graph* g : n->subgraphs()) collect_garbage_everywhere(*g);
  graph.collect_garbage();
}

}  // namespace

const std::vector<Pass>& all_passes() {
  using L = PassLevel;
  static const std::vector<Pass> passes = {
      {"remove-identities", remove_identities, "drops Identity nodes and no-op casts", L::kSimplify,
       false, false},
      {"fold-constants", fold_constants, "evaluates nodes whose inputs are all constants",
       L::kSimplify, false, false},
      {"fold-batch-norm", fold_batch_norm,
       "merges BatchNormalization into the preceding Conv or Gemm", L::kSimplify, false, false},
      {"legalize-onnx-opset", legalize_onnx_opset,
       "rewrites ops the target opset lacks (LayerNormalization < 17, HardSwish < 14, ...)",
       L::kRequired, true, false},
      {"legalize-openvino", legalize_openvino,
       "rewrites ops written for OpenVINO IR in other terms (integer BitwiseAnd/Or/Xor as "
       "arithmetic: its read-back validation needs ONNX opset 18 for the ops themselves)",
       L::kRequired, false, false,
       [](const PassContext& c) { return c.target == Target::kOpenVino; }},
      {"fold-legalized-constants", fold_constants, "folds what legalization produced", L::kSimplify,
       true, false},
      {"eliminate-dead-code", eliminate_dead_code, "removes nodes nothing uses", L::kRequired,
       false, false},
      {"infer-shapes", infer_shapes, "fills in dtypes and shapes of intermediate values",
       L::kRequired, false, false},
      {"convert-fp16", convert_fp16_pass,
       "float16 weights and computation, float32 where accuracy needs it (--precision fp16)",
       L::kPrecision, true, true, [](const PassContext& c) { return c.fp16.has_value(); }},
      {"quantize-dynamic-int8", quantize_int8_pass,
       "int8 weights of MatMul/Gemm/Conv, activations quantized at run time (--quantize int8)",
       L::kPrecision, true, true, [](const PassContext& c) { return c.quantize_int8; }},
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
    if (!applies(pass, context)) continue;  // not asked for, or not for this target
    if (disabled || (pass.level == PassLevel::kSimplify && !options.simplify)) {
      log.push_back(std::string(pass.name) + ": skipped");
      continue;
    }
    const size_t before = graph.nodes().size();
    auto start = std::chrono::steady_clock::now();
    std::string note;
    PassContext with_note = context;
    with_note.note = &note;
    const bool changed = run_everywhere(pass, graph, with_note);
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    char line[160];
    std::snprintf(line, sizeof line, "%s: %s, %zu -> %zu nodes, %.1f ms", pass.name,
                  changed ? "changed" : "unchanged", before, graph.nodes().size(), ms);
    log.push_back(note.empty() ? std::string(line) : std::string(line) + ", " + note);
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

#include "frontend/torchscript/graph_import.h"

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "frontend/torchscript/graph_walker.h"
#include "ir/ops/infer.h"
#include "mlexport/diagnostics.h"
#include "torchmodel/tensor_convert.h"

namespace mlexport::frontend::torchscript {
namespace {

bool has_control_flow(const torch::jit::Block* block) {
  for (const JitNode* node : block->nodes())
    if (node->kind() == c10::prim::If || node->kind() == c10::prim::Loop) return true;
  return false;
}

std::string io_name(const std::vector<std::string>& names, size_t k, size_t count,
                    const std::string& base) {
  if (k < names.size() && !names[k].empty()) return names[k];
  return count == 1 ? base : base + "_" + std::to_string(k);
}

// Names dim 0 of inputs and outputs under --dynamic_axes: inputs whose dim 0 has the same size
// share a symbol ("batch_size" for the first input's), so inputs whose leading sizes differ
// (sequence-first attention: 5 queries, 7 keys) never claim to be equal.
class BatchSymbols {
 public:
  explicit BatchSymbols(bool enabled) : enabled_(enabled) {}

  ir::Shape input(const std::vector<int64_t>& sizes, size_t k) {
    ir::Shape shape = ir::fixed_shape(sizes);
    if (!enabled_ || shape.empty()) return shape;
    auto it = by_size_.find(sizes[0]);
    if (it == by_size_.end())
      it = by_size_
               .emplace(sizes[0],
                        by_size_.empty() ? "batch_size" : "input_" + std::to_string(k) + "_dim0")
               .first;
    shape[0] = ir::Dim::named(it->second);
    return shape;
  }

  ir::Shape output(const std::vector<int64_t>& sizes, size_t k) {
    ir::Shape shape = ir::fixed_shape(sizes);
    if (!enabled_ || shape.empty()) return shape;
    auto it = by_size_.find(sizes[0]);
    shape[0] = ir::Dim::named(it != by_size_.end() ? it->second
                              : by_size_.empty()   ? "batch_size"
                                                   : "output_" + std::to_string(k) + "_dim0");
    return shape;
  }

 private:
  bool enabled_;
  std::map<int64_t, std::string> by_size_;
};

}  // namespace

ir::ControlFlowCoverage run_control_flow(const std::shared_ptr<torch::jit::Graph>& jit_graph,
                                         const std::vector<at::Tensor>& inputs,
                                         const ir::ControlFlowCoverage& sites) {
  ir::Graph scratch;
  GraphWalker walker(scratch, false);
  walker.keep_exact_values();
  size_t k = 0;
  for (const JitValue* in : jit_graph->inputs()) {
    if (in->type()->kind() == c10::TypeKind::ClassType) {
      walker.ctx().record(in, c10::IValue(), true);
    } else {
      if (k >= inputs.size()) throw bad_input("too few inputs for the model");
      walker.ctx().record(in, inputs[k++], false);
    }
  }
  walker.run_only(jit_graph->block());
  ir::ControlFlowCoverage out;
  for (const auto& [where, b] : walker.coverage_.ifs)
    if (sites.ifs.count(where)) out.ifs[where] = b;
  for (const auto& [where, counts] : walker.coverage_.loops)
    if (sites.loops.count(where)) out.loops[where] = counts;
  return out;
}

std::unique_ptr<ir::Graph> import_graph(const std::shared_ptr<torch::jit::Graph>& jit_graph,
                                        const std::vector<at::Tensor>& example_inputs,
                                        const ImportOptions& options,
                                        ir::ControlFlowCoverage* control_flow) {
  auto graph = std::make_unique<ir::Graph>();
  GraphWalker walker(*graph, options.dynamic_batch);
  TranslateContext& ctx = walker.ctx();

  std::vector<const JitValue*> tensor_inputs;
  for (const JitValue* in : jit_graph->inputs()) {
    if (in->type()->kind() == c10::TypeKind::ClassType) {  // self
      ctx.record(in, c10::IValue(), true);
      continue;
    }
    tensor_inputs.push_back(in);
  }
  if (tensor_inputs.size() != example_inputs.size())
    throw bad_input("the model takes " + std::to_string(tensor_inputs.size()) + " input(s) but " +
                    std::to_string(example_inputs.size()) + " were given");
  BatchSymbols symbols(options.dynamic_batch);
  for (size_t k = 0; k < tensor_inputs.size(); ++k) {
    const at::Tensor& t = example_inputs[k];
    // A complex input enters as its (real, imag) pairs, as the IR holds complex values.
    std::vector<int64_t> sizes = t.sizes().vec();
    if (t.is_complex()) sizes.push_back(2);
    ir::Value* v = graph->add_input(io_name(options.input_names, k, tensor_inputs.size(), "input"),
                                    torchmodel::to_ir_dtype(c10::toRealValueType(t.scalar_type())),
                                    symbols.input(sizes, k));
    ctx.record(tensor_inputs[k], t, false);
    ctx.bind(tensor_inputs[k], v);
  }

  if (has_control_flow(jit_graph->block())) walker.keep_exact_values();
  walker.walk_releasing(jit_graph->block());
  if (auto missing = walker.unsupported(); !missing.empty()) throw UnsupportedOpsError(missing);
  if (control_flow) *control_flow = walker.coverage_;

  // Flatten tuple/list outputs into a list of tensors.
  std::vector<ir::Value*> outputs;
  std::vector<c10::IValue> recorded;
  for (const JitValue* out : jit_graph->outputs()) try {
      const c10::IValue& r = ctx.recorded(out);
      if (r.isTuple() || r.isList()) {
        auto items = ctx.tensor_list(out);
        outputs.insert(outputs.end(), items.begin(), items.end());
        if (r.isTuple()) {
          for (const auto& e : r.toTupleRef().elements()) recorded.push_back(e);
        } else {
          for (const auto& e : r.toListRef()) recorded.push_back(e);
        }
      } else {
        if (!r.isTensor())
          throw Error(ExitCode::kUnsupportedOps,
                      std::string("the model returns a ") + r.tagKind() +
                          "; only tensors (and tuples or lists of tensors) can be exported");
        outputs.push_back(ctx.tensor(out));
        recorded.push_back(r);
      }
    } catch (const PoisonedValue&) {
      throw Error(ExitCode::kUnsupportedOps,
                  "an output of the model could not be expressed (%" + out->debugName() + ")");
    }
  for (const c10::IValue& r : recorded)
    if (r.isTensor() && r.toTensor().is_complex())
      throw Error(ExitCode::kUnsupportedOps,
                  "the model returns a complex tensor; return torch.view_as_real(...) of it "
                  "(complex values leave the model as real tensors only)");
  if (options.output_names.size() > outputs.size())
    throw bad_input(std::to_string(options.output_names.size()) +
                    " output names given but the model has " + std::to_string(outputs.size()) +
                    " output(s)");
  // Recorded sizes downstream of NMS, NonZero... are the example's: only what the rules derive
  // stays fixed (the outputs' dims below follow).
  ir::ops::relax_data_dependent_dims(*graph);
  std::set<ir::Value*> used;
  for (size_t k = 0; k < outputs.size(); ++k) {
    ir::Value* v = outputs[k];
    // Graph inputs, constants and repeated values get their own Identity so names stay unique.
    if (!v->producer || used.count(v)) {
      ir::Value* copy = graph->add_node("Identity", {v})->outputs[0];
      copy->dtype = v->dtype;
      copy->shape = v->shape;
      v = copy;
    }
    used.insert(v);
    v->name = io_name(options.output_names, k, outputs.size(), "output");
    if (recorded[k].isTensor()) {
      const std::optional<ir::Shape> translated = v->shape;
      v->shape = symbols.output(recorded[k].toTensor().sizes().vec(), k);
      // A dim the translator marked unknown (NMS, NonZero...) has its length decided by the data:
      // the recorded run's length must not become part of the file.
      if (translated && translated->size() == v->shape->size())
        for (size_t d = 0; d < translated->size(); ++d)
          if (!(*translated)[d].is_fixed() && (*v->shape)[d].is_fixed())
            (*v->shape)[d] = ir::Dim::named((*translated)[d].symbol.empty()
                                                ? v->name + "_dim" + std::to_string(d)
                                                : (*translated)[d].symbol);
    }
    graph->mark_output(v);
  }
  return graph;
}

}  // namespace mlexport::frontend::torchscript

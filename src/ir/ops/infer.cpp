#include "ir/ops/infer.h"

#include <set>

#include "ir/ops/op_def.h"

namespace mlexport::ir::ops {
namespace {

class MapEnv final : public ShapeEnv {
 public:
  explicit MapEnv(const ShapeMap& shapes) : shapes_(shapes) {}
  const Shape* shape(const Value* v) const override {
    if (!v) return nullptr;
    auto it = shapes_.find(v);
    return it == shapes_.end() ? nullptr : &it->second;
  }
  std::optional<ShapeElements> elements(const Value* v) const override {
    if (auto it = elements_.find(v); it != elements_.end()) return it->second;
    return ShapeEnv::elements(v);
  }
  // Follows output 0 of `n` as a shape carried as data, where its op has a rule for that.
  void follow_elements(const Node& n, const OpDef* def) {
    if (!def || !def->shape_value || n.outputs.empty() || n.outputs[0]->is_constant()) return;
    const Shape* out = shape(n.outputs[0]);
    if (!out || out->size() > 1) return;
    auto e = def->shape_value(n, *this);
    if (!e || e->size() > static_cast<size_t>(kMaxShapeElements)) return;
    const Dim count = out->empty() ? Dim::fixed(1) : (*out)[0];
    if (count.is_fixed() && count.size != static_cast<int64_t>(e->size())) return;
    elements_[n.outputs[0]] = std::move(*e);
  }

 private:
  const ShapeMap& shapes_;
  std::map<const Value*, ShapeElements> elements_;
};

bool has_dynamic_dim(const ShapeMap& shapes) {
  for (const auto& [v, shape] : shapes)
    for (const Dim& d : shape)
      if (!d.is_fixed()) return true;
  return false;
}

std::optional<DType> type_by(TypeRule rule, const Node& n) {
  switch (rule) {
    case TypeRule::Input0:
      if (n.input(0)) return n.inputs[0]->dtype;
      return std::nullopt;
    case TypeRule::Input1:
      if (n.input(1)) return n.inputs[1]->dtype;
      return std::nullopt;
    case TypeRule::Bool:
      return DType::Bool;
    case TypeRule::Int64:
      return DType::Int64;
    case TypeRule::FromAttrTo:
      return static_cast<DType>(n.i("to", 0));
    case TypeRule::FromValue: {
      auto it = n.attrs.find("value");
      if (it == n.attrs.end()) return DType::Float32;
      if (const auto* t = std::get_if<Tensor>(&it->second)) return t->dtype;
      return std::nullopt;
    }
    case TypeRule::Unknown:
      return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace

std::optional<DType> infer_type(const Node& node, size_t k) {
  const OpDef* def = find(node.op);
  if (!def) return std::nullopt;
  return type_by(k == 0 ? def->type : def->later_outputs, node);
}

ShapeMap infer_shapes(const Graph& graph) {
  ShapeMap shapes;
  for (const Value* v : graph.inputs())
    if (v->shape) shapes[v] = *v->shape;
  for (const Value* v : graph.constants()) shapes[v] = fixed_shape(v->constant->shape);
  const bool dynamic = has_dynamic_dim(shapes);
  MapEnv env(shapes);
  for (const auto& n : graph.nodes()) {
    for (const Value* v : n->inputs)
      if (v && v->is_constant()) shapes[v] = fixed_shape(v->constant->shape);
    const OpDef* def = find(n->op);
    std::optional<std::vector<Shape>> inferred;
    if (def && def->shape) inferred = def->shape(*n, env);
    for (size_t k = 0; k < n->outputs.size(); ++k) {
      const Value* out = n->outputs[k];
      const Shape* guess = inferred && k < inferred->size() ? &(*inferred)[k] : nullptr;
      if (!out->shape) {
        if (guess) shapes[out] = *guess;
        continue;
      }
      Shape recorded = *out->shape;
      if (guess && guess->size() == recorded.size()) {
        if (dynamic) {
          shapes[out] = *guess;
          continue;
        }
        for (size_t d = 0; d < recorded.size(); ++d)
          if (!recorded[d].is_fixed()) recorded[d] = (*guess)[d];
      }
      shapes[out] = recorded;
    }
    env.follow_elements(*n, def);
  }
  return shapes;
}

size_t relax_data_dependent_dims(Graph& graph) {
  auto decided_by_data = [](const Value* v) {
    if (!v->shape) return false;
    for (const Dim& d : *v->shape)
      if (!d.is_fixed() && d.symbol.empty()) return true;
    return false;
  };
  ShapeMap shapes;
  for (const Value* v : graph.inputs())
    if (v->shape) shapes[v] = *v->shape;
  MapEnv env(shapes);
  std::set<const Value*> downstream;  // values computed from one the data decides
  size_t relaxed = 0;
  for (const auto& n : graph.nodes()) {
    bool tainted = false;
    for (const Value* v : n->inputs) {
      if (!v) continue;
      if (v->is_constant()) shapes[v] = fixed_shape(v->constant->shape);
      tainted = tainted || downstream.count(v);
    }
    const OpDef* def = find(n->op);
    bool unrecorded = false;  // an intermediate value a translator left without a shape
    for (const Value* out : n->outputs) unrecorded = unrecorded || !out->shape;
    std::optional<std::vector<Shape>> inferred;
    if ((tainted || unrecorded) && def && def->shape) inferred = def->shape(*n, env);
    for (size_t k = 0; k < n->outputs.size(); ++k) {
      Value* out = n->outputs[k];
      if (tainted || decided_by_data(out)) downstream.insert(out);
      const Shape* rule = inferred && k < inferred->size() ? &(*inferred)[k] : nullptr;
      if (!out->shape) {
        if (rule) shapes[out] = *rule;  // for the rules downstream; the IR is left as it is
        continue;
      }
      if (tainted && rule && rule->size() == out->shape->size())
        for (size_t d = 0; d < out->shape->size(); ++d) {
          Dim& dim = (*out->shape)[d];
          if (dim.is_fixed() && !(*rule)[d].is_fixed() && (*rule)[d].symbol.empty()) {
            dim = Dim{};
            ++relaxed;
          }
        }
      shapes[out] = *out->shape;
    }
  }
  return relaxed;
}

}  // namespace mlexport::ir::ops

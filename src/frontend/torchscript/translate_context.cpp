#include "frontend/torchscript/translate_context.h"

#include "mlexport/diagnostics.h"
#include "torchmodel/tensor_convert.h"

namespace mlexport::frontend::torchscript {
namespace {

std::string what_value(const JitValue* v) {
  return "%" + v->debugName();
}

}  // namespace

TranslateContext::Slot& TranslateContext::slot(const JitValue* v) {
  auto it = slots_.find(v);
  if (it == slots_.end())
    throw Error(ExitCode::kInternal, "value " + what_value(v) + " used before it was recorded");
  return it->second;
}

const TranslateContext::Slot& TranslateContext::slot(const JitValue* v) const {
  return const_cast<TranslateContext*>(this)->slot(v);
}

void TranslateContext::record(const JitValue* v, c10::IValue value, bool is_static) {
  // A value recorded again (the next unrolled iteration) drops what the last one translated to.
  Slot& s = slots_[v];
  s = Slot{};
  s.recorded = std::move(value);
  s.is_static = is_static;
}

void TranslateContext::release(const JitValue* v) {
  auto it = slots_.find(v);
  // Static values stay: a constant is made from the record when first used, which may be after
  // an in-place write through a view of it (view_writes.h).
  if (it == slots_.end() || it->second.is_static || !it->second.recorded.isTensor()) return;
  const at::Tensor& t = it->second.recorded.toTensor();
  if (t.defined() && !t.is_meta() && !t.is_nested()) it->second.recorded = t.to(at::kMeta);
}

const c10::IValue& TranslateContext::recorded(const JitValue* v) const {
  return slot(v).recorded;
}
bool TranslateContext::has_unknown_dim(const JitValue* v) const {
  auto it = slots_.find(v);
  if (it == slots_.end()) return false;
  auto unknown = [](const ir::Value* value) {
    if (!value || !value->shape) return false;
    for (const ir::Dim& d : *value->shape)
      if (!d.is_fixed() && d.symbol.empty()) return true;
    return false;
  };
  if (unknown(it->second.ir)) return true;
  for (const ir::Value* item : it->second.items)
    if (unknown(item)) return true;
  return false;
}

void TranslateContext::track_data_dependent_sizes(const JitValue* out,
                                                  bool from_data_dependent_input) {
  auto it = slots_.find(out);
  if (it == slots_.end()) return;
  Slot& s = it->second;
  std::vector<ir::Value*> values = s.items;
  if (s.ir) values.push_back(s.ir);
  std::vector<const c10::IValue*> records;
  if (s.recorded.isTensor()) records.push_back(&s.recorded);
  if (s.recorded.isList())
    for (const c10::IValue& e : s.recorded.toListRef()) records.push_back(&e);
  const bool source = has_unknown_dim(out);
  if (!source && !from_data_dependent_input) return;
  data_dependent_.insert(out);
  for (size_t k = 0; k < values.size(); ++k) {
    ir::Value* v = values[k];
    const c10::IValue* r = values.size() == records.size() ? records[k]
                           : records.size() == 1           ? records[0]
                                                           : nullptr;
    if (!v || !v->shape || !r || !r->isTensor() || r->toTensor().is_nested()) continue;
    const auto sizes = r->toTensor().sizes();
    if (sizes.size() != v->shape->size()) continue;
    for (size_t d = 0; d < sizes.size(); ++d) {
      ir::Dim& dim = (*v->shape)[d];
      if (!dim.is_fixed() && dim.symbol.empty())
        data_dependent_sizes_.insert(sizes[d]);
      else if (dim.is_fixed() && data_dependent_sizes_.count(sizes[d]))
        dim = ir::Dim{};
    }
  }
}

bool TranslateContext::is_static(const JitValue* v) const {
  return slot(v).is_static;
}

ir::DType TranslateContext::dtype(const JitValue* v) const {
  const c10::IValue& r = recorded(v);
  if (r.isTensor())
    return torchmodel::to_ir_dtype(c10::toRealValueType(r.toTensor().scalar_type()));
  if (r.isComplexDouble()) return ir::DType::Float32;
  if (r.isInt()) return ir::DType::Int64;
  if (r.isDouble()) return ir::DType::Float32;
  if (r.isBool()) return ir::DType::Bool;
  throw Error(
      ExitCode::kInternal,
      "value " + what_value(v) + " (a " + r.tagKind() + ") has no dtype" +
          (current_ ? std::string(" at ") + current_->kind().toQualString() + " " + current_source_
                    : std::string()));
}

bool TranslateContext::is_complex(const JitValue* v) const {
  const c10::IValue& r = recorded(v);
  return r.isComplexDouble() || (r.isTensor() && r.toTensor().is_complex());
}

int64_t TranslateContext::dim_arg(const JitValue* dim, int64_t rank) const {
  int64_t d = const_int(dim);
  if (d < 0) d += rank;
  if (d < 0 || (rank > 0 && d >= rank) || (rank == 0 && d != 0))
    throw Error(ExitCode::kInternal, "dimension out of range in " + current_source_);
  return d;
}

namespace {
[[noreturn]] void needs_static(const JitValue* v, const JitNode* node) {
  throw Error(ExitCode::kUnsupportedOps,
              std::string("argument ") + what_value(v) + " of " + node->kind().toQualString() +
                  " depends on the input; only constant values are supported there");
}
}  // namespace

int64_t TranslateContext::const_int(const JitValue* v) const {
  if (!is_static(v)) needs_static(v, current_);
  const c10::IValue& r = recorded(v);
  if (r.isTensor()) return r.toTensor().item<int64_t>();
  if (r.isBool()) return r.toBool();
  return r.toInt();
}

double TranslateContext::const_double(const JitValue* v) const {
  if (!is_static(v)) needs_static(v, current_);
  const c10::IValue& r = recorded(v);
  if (r.isTensor()) return r.toTensor().item<double>();
  if (r.isInt()) return static_cast<double>(r.toInt());
  if (r.isBool()) return r.toBool();
  return r.toDouble();
}

bool TranslateContext::const_bool(const JitValue* v) const {
  if (!is_static(v)) needs_static(v, current_);
  const c10::IValue& r = recorded(v);
  if (r.isInt()) return r.toInt() != 0;
  return r.toBool();
}

std::vector<int64_t> TranslateContext::const_ints(const JitValue* v) const {
  if (!is_static(v)) needs_static(v, current_);
  const c10::IValue& r = recorded(v);
  if (r.isInt()) return {r.toInt()};
  if (r.isTensor()) {
    at::Tensor t = r.toTensor().to(at::kLong).contiguous();
    return std::vector<int64_t>(t.data_ptr<int64_t>(), t.data_ptr<int64_t>() + t.numel());
  }
  return r.toIntVector();
}

std::string TranslateContext::const_string(const JitValue* v) const {
  if (!is_static(v)) needs_static(v, current_);
  return recorded(v).toStringRef();
}

ir::Value* TranslateContext::constant(ir::Tensor t, const std::string& hint) {
  ir::Value* c = graph().add_constant(std::move(t), hint);
  own(c);
  return c;
}

ir::Value* TranslateContext::from_ivalue(const c10::IValue& r, const JitValue* v) {
  if (r.isTensor()) return constant(torchmodel::to_ir_tensor(r.toTensor()), "const");
  if (r.isInt()) return constant(ir::Tensor::scalar_int64(r.toInt()));
  if (r.isDouble()) return constant(ir::Tensor::scalar_of(ir::DType::Float32, r.toDouble()));
  if (r.isBool()) return constant(ir::Tensor::scalar_of(ir::DType::Bool, r.toBool()));
  if (r.isComplexDouble()) {
    const c10::complex<double> z = r.toComplexDouble();
    ir::Tensor t(ir::DType::Float32, {2});
    t.data<float>()[0] = static_cast<float>(z.real());
    t.data<float>()[1] = static_cast<float>(z.imag());
    return constant(std::move(t));
  }
  if (r.isIntList()) return int64_vector(r.toIntVector());
  if (r.isDoubleList()) {
    auto values = r.toDoubleVector();
    ir::Tensor t(ir::DType::Float32, {static_cast<int64_t>(values.size())});
    for (size_t k = 0; k < values.size(); ++k) t.data<float>()[k] = static_cast<float>(values[k]);
    return constant(std::move(t));
  }
  throw Error(ExitCode::kUnsupportedOps,
              "value " + what_value(v) + " of type " + r.tagKind() + " cannot be used as a tensor");
}

ir::Value* TranslateContext::tensor(const JitValue* v) {
  Slot& s = slot(v);
  if (s.ir) return s.ir;
  if (s.is_static) {
    s.ir = from_ivalue(s.recorded, v);
    return s.ir;
  }
  if (s.has_items) {
    s.ir = int_list_tensor(v);
    return s.ir;
  }
  throw PoisonedValue{};
}

ir::Value* TranslateContext::tensor_as(const JitValue* v, ir::DType dtype) {
  Slot& s = slot(v);
  if (s.is_static && !s.ir) {
    ir::Value* c = from_ivalue(s.recorded, v);
    if (c->dtype == dtype) {
      s.ir = c;
      return c;
    }
    return constant(c->constant->cast(dtype));
  }
  return cast(tensor(v), dtype);
}

ir::Value* TranslateContext::cast(ir::Value* v, ir::DType to) {
  if (v->dtype == to) return v;
  if (v->is_constant()) return constant(v->constant->cast(to));
  ir::Value* out = op("Cast", {v}, {{"to", static_cast<int64_t>(to)}});
  out->dtype = to;
  out->shape = v->shape;
  return out;
}

std::vector<ir::Value*> TranslateContext::tensor_list(const JitValue* v) {
  Slot& s = slot(v);
  if (s.has_items) return s.items;
  if (!s.is_static) throw PoisonedValue{};
  std::vector<ir::Value*> items;
  const c10::IValue& r = s.recorded;
  if (r.isTensorList()) {
    for (const at::Tensor& t : r.toTensorVector())
      items.push_back(constant(torchmodel::to_ir_tensor(t)));
  } else if (r.isTuple()) {
    for (const c10::IValue& e : r.toTupleRef().elements()) items.push_back(from_ivalue(e, v));
  } else if (r.isList()) {
    for (const c10::IValue& e : r.toListRef()) items.push_back(from_ivalue(e, v));
  } else {
    items.push_back(tensor(v));
  }
  return items;
}

ir::Value* TranslateContext::int_list_tensor(const JitValue* v) {
  Slot& s = slot(v);
  if (s.is_static) return int64_vector(const_ints(v));
  if (!s.has_items) {
    // A dynamic 1-D int tensor (e.g. a shape) is already a list.
    ir::Value* t = tensor(v);
    return cast(t, ir::DType::Int64);
  }
  std::vector<ir::Value*> parts;
  for (ir::Value* item : s.items) {
    ir::Value* i64 = cast(item, ir::DType::Int64);
    if (i64->shape && i64->shape->empty()) {
      if (i64->is_constant()) {
        parts.push_back(int64_vector({i64->constant->value_as_int(0)}));
        continue;
      }
      ir::Value* u = op("Unsqueeze", {i64}, {{"axes", std::vector<int64_t>{0}}});
      u->dtype = ir::DType::Int64;
      u->shape = ir::fixed_shape({1});
      parts.push_back(u);
    } else {
      parts.push_back(i64);
    }
  }
  if (parts.size() == 1) return parts[0];
  ir::Value* out = op("Concat", parts, {{"axis", int64_t{0}}});
  out->dtype = ir::DType::Int64;
  out->shape = ir::fixed_shape({static_cast<int64_t>(s.items.size())});
  return out;
}

ir::Node* TranslateContext::emit(const std::string& op_type, std::vector<ir::Value*> inputs,
                                 std::map<std::string, ir::Attribute> attrs, size_t num_outputs) {
  for (ir::Value*& in : inputs)
    if (in) in = local(in);
  ir::Node* n = graph().add_node(op_type, std::move(inputs), num_outputs, std::move(attrs));
  n->source = current_source_;
  if (current_) n->source_op = current_->kind().toQualString();
  for (ir::Value* out : n->outputs) own(out);
  return n;
}

namespace {
void describe(ir::Value* v, const c10::IValue& r, bool dynamic_batch) {
  if (v->producer == nullptr) return;  // graph inputs and constants keep what they have
  if (r.isTensor()) {
    const at::Tensor& t = r.toTensor();
    v->dtype = torchmodel::to_ir_dtype(c10::toRealValueType(t.scalar_type()));
    // A nested tensor has no sizes; its translator gave the padded dense shape.
    if (!t.is_nested()) v->shape = ir::fixed_shape(t.sizes().vec());
    if (t.is_complex()) v->shape->push_back(ir::Dim::fixed(2));  // (real, imag) pairs
  } else if (r.isInt()) {
    v->dtype = ir::DType::Int64;
    v->shape = ir::Shape{};
  } else if (r.isDouble()) {
    v->dtype = ir::DType::Float32;
    v->shape = ir::Shape{};
  } else if (r.isBool()) {
    v->dtype = ir::DType::Bool;
    v->shape = ir::Shape{};
  }
  (void)dynamic_batch;
}
}  // namespace

void TranslateContext::bind(const JitValue* out, ir::Value* v) {
  Slot& s = slot(out);
  // A value bound again holds what an in-place write made of it (view_writes.h); the reference
  // run captures the value as first computed, so only the first binding takes the reference.
  const bool rebound = s.ir != nullptr;
  s.is_static = false;
  s.ir = v;
  describe(v, s.recorded, dynamic_batch);
  // Values of the model's own graph can be read back from a reference run; those inside
  // subgraphs (If branches, Loop bodies) take one value per iteration and cannot.
  if (!rebound && v->reference.empty() && !in_subgraph() && s.recorded.isTensor() &&
      !s.recorded.toTensor().is_complex() && !s.recorded.toTensor().is_nested())
    v->reference = out->debugName();
}

void TranslateContext::bind_list(const JitValue* out, std::vector<ir::Value*> items) {
  Slot& s = slot(out);
  s.is_static = false;
  s.items = std::move(items);
  s.has_items = true;
}

void TranslateContext::bind_static(const JitValue* out) {
  slot(out).is_static = true;
}

void TranslateContext::own(ir::Value* v) {
  if (in_subgraph()) owner_[v] = scopes_.back().id;
}

int TranslateContext::owner(const ir::Value* v) const {
  auto it = owner_.find(v);
  return it == owner_.end() ? 0 : it->second;
}

void TranslateContext::open_subgraph(ir::Subgraph graph) {
  ir::Graph* g = graph.get();
  scopes_.push_back(Scope{next_scope_id_++, g, std::move(graph), {}, {}});
}

std::vector<TranslateContext::Capture> TranslateContext::close_subgraph() {
  if (!in_subgraph()) throw Error(ExitCode::kInternal, "no subgraph is open");
  std::vector<Capture> captures = std::move(scopes_.back().captures);
  scopes_.pop_back();
  return captures;
}

ir::Value* TranslateContext::add_subgraph_input(const std::string& name, ir::DType dtype,
                                                ir::Shape shape) {
  ir::Value* v = graph().add_input(name, dtype, std::move(shape));
  own(v);
  return v;
}

ir::Value* TranslateContext::local(ir::Value* v) {
  if (!v || owner(v) == scopes_.back().id) return v;
  return local_at(v, scopes_.size() - 1);
}

ir::Value* TranslateContext::local_at(ir::Value* v, size_t depth) {
  Scope& scope = scopes_[depth];
  const int made_in = owner(v);
  if (made_in == scope.id) return v;
  if (auto it = scope.imported.find(v); it != scope.imported.end()) return it->second;
  ir::Value* inner = nullptr;
  if (v->is_constant()) {
    inner = scope.graph->add_constant(*v->constant, v->name);
  } else {
    size_t at = depth;
    while (at > 0 && scopes_[at].id != made_in) --at;
    if (scopes_[at].id != made_in || at == depth)
      throw Error(
          ExitCode::kUnsupportedOps,
          "value %" + v->name + " is used outside the branch or loop body that computes it");
    ir::Value* outer = local_at(v, depth - 1);
    inner = scope.graph->add_input(v->name, outer->dtype, outer->shape.value_or(ir::Shape{}));
    inner->shape = outer->shape;
    scope.captures.push_back({outer, inner});
  }
  owner_[inner] = scope.id;
  scope.imported[v] = inner;
  return inner;
}

}  // namespace mlexport::frontend::torchscript

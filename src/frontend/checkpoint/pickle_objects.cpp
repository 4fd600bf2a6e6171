// Python's objects as the opcodes build them: dict assignment with Python's key equality and
// hashing (1 == 1.0 == True), APPEND and SETITEM on lists, dicts and plain objects, NEWOBJ (an
// inert Object of any class that is not denied; policy 3 in pickle.h) and BUILD (attributes or
// state set on an object; numpy arrays become tensors here).
#include <cmath>

#include "frontend/checkpoint/pickle_machine.h"

namespace mlexport::frontend::checkpoint::detail {
namespace {

constexpr int kMaxKeyDepth = 32;  // tuple nesting considered when comparing dict keys

bool numeric(const Value& v) {
  return v.kind == Kind::Bool || v.kind == Kind::Int || v.kind == Kind::Float;
}

double numeric_value(const Value& v) {
  return v.kind == Kind::Float ? v.f : v.kind == Kind::Bool ? (v.b ? 1.0 : 0.0) : double(v.i);
}

bool keys_equal(const Value& a, const Value& b, int depth) {
  if (&a == &b) return true;
  if (numeric(a) && numeric(b)) {
    if (a.kind != Kind::Float && b.kind != Kind::Float) {
      const int64_t x = a.kind == Kind::Bool ? a.b : a.i;
      const int64_t y = b.kind == Kind::Bool ? b.b : b.i;
      return x == y;
    }
    return numeric_value(a) == numeric_value(b);
  }
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case Kind::None:
      return true;
    case Kind::String:
    case Kind::Bytes:
      return a.s == b.s;
    case Kind::Global:
      return a.class_name == b.class_name;
    case Kind::Tuple:
      if (depth >= kMaxKeyDepth || a.items.size() != b.items.size()) return false;
      for (size_t k = 0; k < a.items.size(); ++k)
        if (!keys_equal(*a.items[k], *b.items[k], depth + 1)) return false;
      return true;
    default:
      return false;  // objects compare by identity
  }
}

uint64_t key_hash(const Value& v, int depth) {
  switch (v.kind) {
    case Kind::Bool:
      return std::hash<int64_t>()(v.b);
    case Kind::Int:
      return std::hash<int64_t>()(v.i);
    case Kind::Float:
      if (std::abs(v.f) < 9.2e18 && v.f == std::trunc(v.f))
        return std::hash<int64_t>()(static_cast<int64_t>(v.f));
      return std::hash<double>()(v.f);
    case Kind::None:
      return 0x9e3779b9u;
    case Kind::String:
      return std::hash<std::string>()(v.s) ^ 0x51;
    case Kind::Bytes:
      return std::hash<std::string>()(v.s) ^ 0x52;
    case Kind::Global:
      return std::hash<std::string>()(v.class_name) ^ 0x53;
    case Kind::Tuple: {
      uint64_t h = 0x54 + v.items.size();
      if (depth >= kMaxKeyDepth) return h;
      for (const auto& item : v.items) h = h * 1000003u ^ key_hash(*item, depth + 1);
      return h;
    }
    default:
      return std::hash<const void*>()(&v);
  }
}

}  // namespace

// Python's dict assignment: an equal key keeps its place and takes the new value.
void Unpickler::dict_set(Value& d, ValuePtr key, ValuePtr value) {
  if (key->kind == Kind::List || key->kind == Kind::Dict) fail("unhashable dict key");
  auto& entries = d.entries;
  if (entries.size() < 16) {
    for (auto& e : entries)
      if (keys_equal(*e.first, *key, 0)) {
        e.second = std::move(value);
        return;
      }
  } else {
    auto& index = dict_index_[&d];
    if (index.size() != entries.size()) {  // (re)build lazily
      index.clear();
      for (size_t k = 0; k < entries.size(); ++k) index.emplace(key_hash(*entries[k].first, 0), k);
    }
    const uint64_t h = key_hash(*key, 0);
    auto [lo, hi] = index.equal_range(h);
    for (auto it = lo; it != hi; ++it)
      if (keys_equal(*entries[it->second].first, *key, 0)) {
        entries[it->second].second = std::move(value);
        return;
      }
    index.emplace(h, entries.size());
  }
  entries.emplace_back(std::move(key), std::move(value));
}

void Unpickler::append_to(Value& target, std::vector<MPtr> items) {
  const bool list_like =
      target.kind == Kind::List ||
      (target.kind == Kind::Object && target.class_name != "builtins.set" &&
       target.class_name != "builtins.frozenset" && target.class_name != "builtins.int");
  if (!list_like) fail("APPEND to a " + std::string(Value::kind_name(target.kind)));
  for (auto& item : items) target.items.push_back(std::move(item));
}

void Unpickler::set_items(Value& target, std::vector<MPtr> items) {
  if (target.kind != Kind::Dict &&
      !(target.kind == Kind::Object && target.class_name != "builtins.int"))
    fail("SETITEM on a " + std::string(Value::kind_name(target.kind)));
  if (items.size() % 2) fail("odd number of items for a dict");
  for (size_t k = 0; k < items.size(); k += 2)
    dict_set(target, std::move(items[k]), std::move(items[k + 1]));
}

void Unpickler::fill_dict(Value& d, const Value& src, const std::string& name) {
  if (src.kind == Kind::Dict) {
    for (const auto& e : src.entries) dict_set(d, e.first, e.second);
  } else if (src.kind == Kind::List || src.kind == Kind::Tuple) {
    for (const auto& pair : src.items) {
      if ((pair->kind != Kind::List && pair->kind != Kind::Tuple) || pair->items.size() != 2)
        fail(name + ": an item is not a key-value pair");
      dict_set(d, pair->items[0], pair->items[1]);
    }
  } else if (src.kind != Kind::None) {
    fail(name + " of a " + std::string(Value::kind_name(src.kind)));
  }
}

MPtr Unpickler::new_object(const Value& cls, std::vector<ValuePtr> args) {
  if (cls.kind != Kind::Global) fail("NEWOBJ of something that is not a class");
  const std::string& name = cls.class_name;
  if (name == "collections.OrderedDict" || name == "builtins.dict" ||
      name == "collections.defaultdict" || name == "collections.Counter") {
    auto d = make(Kind::Dict);
    if (name != "builtins.dict") d->class_name = name;
    return d;
  }
  if (name == "builtins.list") return make(Kind::List);
  if (name == "builtins.tuple" || name == "torch.Size") {
    auto t = make(Kind::Tuple);
    if (!args.empty() && (args[0]->kind == Kind::Tuple || args[0]->kind == Kind::List))
      t->items = args[0]->items;
    return t;
  }
  if (name == "builtins.set" || name == "builtins.frozenset") return make_object(name);
  if (name.starts_with("torch._utils.") || name.starts_with("torch._tensor.") ||
      name.starts_with("copyreg."))
    refuse(name, "through NEWOBJ, which only constructs classes");
  auto obj = make_object(name);
  obj->items = std::move(args);
  return obj;
}

void Unpickler::build(Value& target, MPtr state) {
  switch (target.kind) {
    case Kind::Object:
      if (target.class_name == "numpy.ndarray") {
        numpy_setstate(target, std::move(state));
        return;
      }
      if (target.class_name == "builtins.int") fail("BUILD on an int");
      if (state->kind == Kind::Dict) {
        for (const auto& e : state->entries) dict_set(target, e.first, e.second);
      } else if (state->kind == Kind::Tuple && state->items.size() == 2 &&
                 (state->items[0]->kind == Kind::Dict || state->items[0]->kind == Kind::None) &&
                 (state->items[1]->kind == Kind::Dict || state->items[1]->kind == Kind::None)) {
        for (const auto& part : state->items)
          for (const auto& e : part->entries) dict_set(target, e.first, e.second);
      } else if (state->kind != Kind::None) {
        target.state = std::move(state);
      }
      return;
    case Kind::Dict:  // an OrderedDict subclass's attributes (a state dict's _metadata)
      if (state->kind != Kind::None) target.state = std::move(state);
      return;
    case Kind::Tensor:  // Python attributes of a tensor: dropped
      return;
    default:
      fail("BUILD on a " + std::string(Value::kind_name(target.kind)));
  }
}

}  // namespace mlexport::frontend::checkpoint::detail

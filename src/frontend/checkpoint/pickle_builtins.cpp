// The builders the allow table names for Python's own classes: dict, OrderedDict, defaultdict and
// Counter become Dicts; list and deque Lists; tuple and torch.Size Tuples; set and frozenset set
// Objects; bytes, bytearray and _codecs.encode Bytes; copyreg's reconstructors Objects as NEWOBJ
// makes them; and inert records (an Object holding the call's arguments) for everything else the
// table allows, such as datetime, pathlib and argparse.Namespace.
#include "frontend/checkpoint/pickle_machine.h"

namespace mlexport::frontend::checkpoint::detail {

MPtr Unpickler::record(const std::string& name, const std::vector<ValuePtr>& args) {
  auto obj = make_object(name);
  obj->items = args;
  return obj;
}

MPtr Unpickler::build_dict(const std::string& name, const std::vector<ValuePtr>& args) {
  auto d = make(Kind::Dict);
  if (name != "builtins.dict") d->class_name = name;
  const bool has_factory = name == "collections.defaultdict";
  const size_t data_arg = has_factory ? 1 : 0;
  if (args.size() > data_arg + 1) fail(name + ": too many arguments");
  if (args.size() == data_arg + 1) fill_dict(*d, *args[data_arg], name);
  return d;
}

MPtr Unpickler::build_sequence(const std::string& name, const std::vector<ValuePtr>& args) {
  MPtr out;
  if (name == "builtins.list" || name == "collections.deque") {
    out = make(Kind::List);
    if (name == "collections.deque") out->class_name = name;
  } else if (name == "builtins.tuple" || name == "torch.Size") {
    out = make(Kind::Tuple);
  } else {
    out = make_object(name);
  }
  if (!args.empty()) {
    const Value& src = *args[0];
    if (src.kind == Kind::List || src.kind == Kind::Tuple ||
        (src.kind == Kind::Object &&
         (src.class_name == "builtins.set" || src.class_name == "builtins.frozenset")))
      out->items = src.items;
    else if (src.kind != Kind::None)
      fail(name + " of a " + std::string(Value::kind_name(src.kind)));
  }
  if (args.size() > (name == "collections.deque" ? 2u : 1u)) fail(name + ": too many arguments");
  return out;
}

MPtr Unpickler::codecs_encode(const std::string&, const std::vector<ValuePtr>& args) {
  if (args.size() != 2 || args[0]->kind != Kind::String || args[1]->kind != Kind::String)
    fail("_codecs.encode takes a string and an encoding");
  return encode_latin1(args[0]->s, args[1]->s);
}

MPtr Unpickler::build_bytes(const std::string& name, const std::vector<ValuePtr>& args) {
  if (args.empty()) return make(Kind::Bytes);
  if (args.size() == 1 && args[0]->kind == Kind::Bytes) return make_string(Kind::Bytes, args[0]->s);
  if (args.size() == 2 && args[0]->kind == Kind::String && args[1]->kind == Kind::String)
    return encode_latin1(args[0]->s, args[1]->s);
  if (args.size() == 1 && args[0]->kind == Kind::List) {
    std::string bytes;
    for (const auto& item : args[0]->items) {
      if (item->kind != Kind::Int || item->i < 0 || item->i > 255) fail(name + ": not a byte");
      bytes.push_back(static_cast<char>(item->i));
    }
    return make_string(Kind::Bytes, bytes);
  }
  fail(name + ": unexpected arguments");
}

// copyreg._reconstructor(cls, base, state): how protocols 0 and 1 pickle plain instances.
MPtr Unpickler::copyreg_reconstructor(const std::string&, const std::vector<ValuePtr>& args) {
  if (args.size() != 3 || args[0]->kind != Kind::Global || args[1]->kind != Kind::Global)
    fail("copyreg._reconstructor takes a class, a base class and a state");
  auto obj = make_object(args[0]->class_name);
  const Value& state = *args[2];
  if (state.kind == Kind::Dict)
    for (const auto& e : state.entries) dict_set(*obj, e.first, e.second);
  else if (state.kind == Kind::List)
    obj->items = state.items;
  else if (state.kind != Kind::None)
    obj->items.push_back(args[2]);
  return obj;
}

MPtr Unpickler::copyreg_newobj(const std::string&, const std::vector<ValuePtr>& args) {
  if (args.empty()) fail("copyreg.__newobj__ without a class");
  return new_object(*args[0], std::vector<ValuePtr>(args.begin() + 1, args.end()));
}

MPtr Unpickler::copyreg_newobj_ex(const std::string&, const std::vector<ValuePtr>& args) {
  if (args.size() != 3 || args[1]->kind != Kind::Tuple || args[2]->kind != Kind::Dict)
    fail("copyreg.__newobj_ex__ takes a class, a tuple and a dict");
  auto obj = new_object(*args[0], args[1]->items);
  if (obj->kind == Kind::Object)
    for (const auto& e : args[2]->entries) dict_set(*obj, e.first, e.second);
  return obj;
}

}  // namespace mlexport::frontend::checkpoint::detail

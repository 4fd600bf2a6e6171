// The opcode machine: reads a pickle's opcodes one by one and keeps the stack, the marks and the
// memo, as Python's Unpickler.load does, and counts every object against kMaxObjects. What a global
// may become is decided by pickle_policy.cpp; the literals, containers and builders it calls live
// in the other pickle_*.cpp files (see pickle_machine.h). Also the entry points unpickle() and
// load_pickle_bytes().
#include "frontend/checkpoint/pickle_machine.h"

#include <bit>
#include <charconv>
#include <cstdio>
#include <cstring>

#include "mlexport/diagnostics.h"

namespace mlexport::frontend::checkpoint {

static_assert(std::endian::native == std::endian::little,
              "checkpoint storages are copied as little-endian bytes");

namespace detail {
namespace {

namespace op {
constexpr uint8_t MARK = '(', STOP = '.', POP = '0', POP_MARK = '1', DUP = '2', FLOAT = 'F',
                  INT = 'I', BININT = 'J', BININT1 = 'K', LONG = 'L', BININT2 = 'M', NONE = 'N',
                  PERSID = 'P', BINPERSID = 'Q', REDUCE = 'R', STRING = 'S', BINSTRING = 'T',
                  SHORT_BINSTRING = 'U', UNICODE = 'V', BINUNICODE = 'X', APPEND = 'a', BUILD = 'b',
                  GLOBAL = 'c', DICT = 'd', EMPTY_DICT = '}', APPENDS = 'e', GET = 'g',
                  BINGET = 'h', INST = 'i', LONG_BINGET = 'j', LIST = 'l', EMPTY_LIST = ']',
                  OBJ = 'o', PUT = 'p', BINPUT = 'q', LONG_BINPUT = 'r', SETITEM = 's', TUPLE = 't',
                  EMPTY_TUPLE = ')', SETITEMS = 'u', BINFLOAT = 'G', BINBYTES = 'B',
                  SHORT_BINBYTES = 'C';
constexpr uint8_t PROTO = 0x80, NEWOBJ = 0x81, EXT1 = 0x82, EXT2 = 0x83, EXT4 = 0x84, TUPLE1 = 0x85,
                  TUPLE2 = 0x86, TUPLE3 = 0x87, NEWTRUE = 0x88, NEWFALSE = 0x89, LONG1 = 0x8a,
                  LONG4 = 0x8b, SHORT_BINUNICODE = 0x8c, BINUNICODE8 = 0x8d, BINBYTES8 = 0x8e,
                  EMPTY_SET = 0x8f, ADDITEMS = 0x90, FROZENSET = 0x91, NEWOBJ_EX = 0x92,
                  STACK_GLOBAL = 0x93, MEMOIZE = 0x94, FRAME = 0x95, BYTEARRAY8 = 0x96,
                  NEXT_BUFFER = 0x97, READONLY_BUFFER = 0x98;
}  // namespace op

}  // namespace

PickleResult Unpickler::run() {
  PickleResult result;
  result.root = parse();
  check_tree(result.root);
  for (auto& t : pending_)
    if (reachable_tensors_.count(t.value.get())) result.tensors.push_back(std::move(t));
  result.storages = std::move(storages_);
  result.end = pos_;
  return result;
}

[[noreturn]] void Unpickler::fail(const std::string& message) const {
  throw bad_input(path_ + ": malformed pickle (" + part_ + ", byte " + std::to_string(op_pos_) +
                  "): " + message);
}

[[noreturn]] void Unpickler::refuse(const std::string& global, const std::string& why) const {
  throw RefusedPickle(path_ + ": refuses to load: the pickle calls " + global + " (" + why +
                      "; mlexport never runs code from a checkpoint)");
}

// ---- input ----

void Unpickler::need(uint64_t n) const {
  if (n > size_ - pos_)
    fail("truncated (" + std::to_string(n) + " bytes needed, " + std::to_string(size_ - pos_) +
         " left)");
}

uint8_t Unpickler::u8() {
  need(1);
  return data_[pos_++];
}

uint64_t Unpickler::le(int n) {
  need(n);
  uint64_t v = 0;
  for (int k = 0; k < n; ++k) v |= uint64_t(data_[pos_ + k]) << (8 * k);
  pos_ += n;
  return v;
}

std::string_view Unpickler::take(uint64_t n) {
  need(n);
  std::string_view s(reinterpret_cast<const char*>(data_ + pos_), n);
  pos_ += n;
  return s;
}

std::string_view Unpickler::line() {
  const auto* start = data_ + pos_;
  const auto* nl = static_cast<const uint8_t*>(std::memchr(start, '\n', size_ - pos_));
  if (!nl) fail("a text opcode's argument has no terminating newline");
  std::string_view s(reinterpret_cast<const char*>(start), nl - start);
  pos_ += s.size() + 1;
  if (!s.empty() && s.back() == '\r') s.remove_suffix(1);
  return s;
}

// ---- objects ----

void Unpickler::count(size_t n) {
  objects_ += n;
  if (objects_ > kMaxObjects)
    fail("more than " + std::to_string(kMaxObjects) + " objects and references (an object bomb?)");
}

MPtr Unpickler::make(Kind kind) {
  count();
  auto v = std::make_shared<Value>();
  v->kind = kind;
  if (is_container(*v)) containers_.push_back(v);
  return v;
}

MPtr Unpickler::make_int(int64_t i) {
  auto v = make(Kind::Int);
  v->i = i;
  return v;
}

MPtr Unpickler::make_string(Kind kind, std::string_view s) {
  auto v = make(kind);
  v->s.assign(s);
  return v;
}

MPtr Unpickler::make_big_int(std::string digits) {
  auto v = make(Kind::Object);
  v->class_name = "builtins.int";
  v->s = std::move(digits);
  return v;
}

MPtr Unpickler::make_object(std::string class_name) {
  auto v = make(Kind::Object);
  v->class_name = std::move(class_name);
  return v;
}

MPtr Unpickler::none() {
  if (!none_) none_ = std::make_shared<Value>();
  return none_;
}

MPtr Unpickler::boolean(bool b) {
  MPtr& slot = b ? true_ : false_;
  if (!slot) {
    slot = std::make_shared<Value>();
    slot->kind = Kind::Bool;
    slot->b = b;
  }
  return slot;
}

// ---- the stack and the memo ----

void Unpickler::push(MPtr v) {
  count();
  stack_.push_back(std::move(v));
}

MPtr Unpickler::pop() {
  if (stack_.size() <= floor()) fail("stack underflow");
  MPtr v = std::move(stack_.back());
  stack_.pop_back();
  return v;
}

MPtr& Unpickler::top() {
  if (stack_.size() <= floor()) fail("stack underflow");
  return stack_.back();
}

std::vector<MPtr> Unpickler::pop_mark() {
  if (marks_.empty()) fail("no MARK on the stack");
  const size_t m = marks_.back();
  marks_.pop_back();
  std::vector<MPtr> items(std::make_move_iterator(stack_.begin() + m),
                          std::make_move_iterator(stack_.end()));
  stack_.resize(m);
  return items;
}

void Unpickler::memo_put(uint64_t index) {
  count();
  memo_[index] = top();
}

void Unpickler::memo_get(uint64_t index) {
  auto it = memo_.find(index);
  if (it == memo_.end()) fail("memo key " + std::to_string(index) + " was never stored");
  push(it->second);
}

// ---- the main loop ----

ValuePtr Unpickler::parse() {
  for (;;) {
    op_pos_ = pos_;
    const uint8_t code = u8();
    switch (code) {
      case op::PROTO: {
        const uint8_t proto = u8();
        if (proto > 5) fail("unsupported pickle protocol " + std::to_string(proto));
        break;
      }
      case op::FRAME: {
        const uint64_t n = le(8);
        need(n);  // frames only group opcodes; their bounds must lie inside the input
        break;
      }
      case op::STOP: {
        if (!marks_.empty()) fail("STOP inside an unclosed MARK");
        if (stack_.size() != 1)
          fail("STOP with " + std::to_string(stack_.size()) + " objects on the stack");
        return pop();
      }
      case op::MARK:
        if (marks_.size() >= kMaxObjects) fail("too many marks");
        marks_.push_back(stack_.size());
        break;
      case op::POP:
        if (stack_.size() > floor())
          stack_.pop_back();
        else
          pop_mark();  // Python pops a mark when the stack above it is empty
        break;
      case op::POP_MARK:
        pop_mark();
        break;
      case op::DUP: {
        MPtr v = top();
        push(std::move(v));
        break;
      }

      // ---- scalars ----
      case op::NONE:
        push(none());
        break;
      case op::NEWTRUE:
        push(boolean(true));
        break;
      case op::NEWFALSE:
        push(boolean(false));
        break;
      case op::BININT:
        push(make_int(static_cast<int32_t>(le(4))));
        break;
      case op::BININT1:
        push(make_int(u8()));
        break;
      case op::BININT2:
        push(make_int(static_cast<int64_t>(le(2))));
        break;
      case op::LONG1:
        push(make_long(take(u8())));
        break;
      case op::LONG4: {
        const int32_t n = static_cast<int32_t>(le(4));
        if (n < 0) fail("negative LONG4 length");
        if (static_cast<size_t>(n) > kMaxLongBytes) fail("integer longer than 1 KiB");
        push(make_long(take(n)));
        break;
      }
      case op::INT: {
        const std::string_view text = line();
        if (text == "00")
          push(boolean(false));
        else if (text == "01")
          push(boolean(true));
        else
          push(parse_decimal(text));
        break;
      }
      case op::LONG: {
        std::string_view text = line();
        if (!text.empty() && text.back() == 'L') text.remove_suffix(1);
        push(parse_decimal(text));
        break;
      }
      case op::BINFLOAT: {
        const uint64_t bits = __builtin_bswap64(le(8));  // big-endian on the wire
        auto v = make(Kind::Float);
        v->f = std::bit_cast<double>(bits);
        push(std::move(v));
        break;
      }
      case op::FLOAT: {
        const std::string_view text = line();
        auto v = make(Kind::Float);
        const auto r = std::from_chars(text.data(), text.data() + text.size(), v->f);
        if (r.ec != std::errc() || r.ptr != text.data() + text.size())
          fail("FLOAT argument is not a number");
        push(std::move(v));
        break;
      }

      // ---- strings and bytes ----
      case op::SHORT_BINUNICODE:
        push(make_string(Kind::String, take(u8())));
        break;
      case op::BINUNICODE:
        push(make_string(Kind::String, take(le(4))));
        break;
      case op::BINUNICODE8:
        push(make_string(Kind::String, take(le(8))));
        break;
      case op::UNICODE:
        push(make_string(Kind::String, raw_unicode_escape(line())));
        break;
      case op::SHORT_BINSTRING:
        push(make_string(Kind::String, take(u8())));
        break;
      case op::BINSTRING: {
        const int32_t n = static_cast<int32_t>(le(4));
        if (n < 0) fail("negative BINSTRING length");
        push(make_string(Kind::String, take(n)));
        break;
      }
      case op::STRING:
        push(make_string(Kind::String, escape_decode(line())));
        break;
      case op::SHORT_BINBYTES:
        push(make_string(Kind::Bytes, take(u8())));
        break;
      case op::BINBYTES:
        push(make_string(Kind::Bytes, take(le(4))));
        break;
      case op::BINBYTES8:
      case op::BYTEARRAY8:
        push(make_string(Kind::Bytes, take(le(8))));
        break;
      case op::READONLY_BUFFER:
        if (top()->kind != Kind::Bytes) fail("READONLY_BUFFER on a non-buffer");
        break;
      case op::NEXT_BUFFER:
        fail("out-of-band buffers (protocol 5 NEXT_BUFFER) are not supported");

      // ---- containers ----
      case op::EMPTY_TUPLE:
        push(make(Kind::Tuple));
        break;
      case op::TUPLE1:
      case op::TUPLE2:
      case op::TUPLE3: {
        const size_t n = code - op::TUPLE1 + 1;
        auto t = make(Kind::Tuple);
        t->items.resize(n);
        for (size_t k = n; k-- > 0;) t->items[k] = pop();
        push(std::move(t));
        break;
      }
      case op::TUPLE: {
        auto items = pop_mark();
        auto t = make(Kind::Tuple);
        t->items.assign(std::make_move_iterator(items.begin()),
                        std::make_move_iterator(items.end()));
        push(std::move(t));
        break;
      }
      case op::EMPTY_LIST:
        push(make(Kind::List));
        break;
      case op::LIST: {
        auto items = pop_mark();
        auto l = make(Kind::List);
        l->items.assign(std::make_move_iterator(items.begin()),
                        std::make_move_iterator(items.end()));
        push(std::move(l));
        break;
      }
      case op::APPEND: {
        MPtr item = pop();
        append_to(*top(), {std::move(item)});
        break;
      }
      case op::APPENDS: {
        auto items = pop_mark();
        append_to(*top(), std::move(items));
        break;
      }
      case op::EMPTY_DICT:
        push(make(Kind::Dict));
        break;
      case op::DICT: {
        auto items = pop_mark();
        auto d = make(Kind::Dict);
        set_items(*d, std::move(items));
        push(std::move(d));
        break;
      }
      case op::SETITEM: {
        MPtr value = pop();
        MPtr key = pop();
        std::vector<MPtr> kv{std::move(key), std::move(value)};
        set_items(*top(), std::move(kv));
        break;
      }
      case op::SETITEMS: {
        auto items = pop_mark();
        set_items(*top(), std::move(items));
        break;
      }
      case op::EMPTY_SET: {
        push(make_object("builtins.set"));
        break;
      }
      case op::ADDITEMS: {
        auto items = pop_mark();
        Value& s = *top();
        if (s.kind != Kind::Object ||
            (s.class_name != "builtins.set" && s.class_name != "builtins.frozenset"))
          fail("ADDITEMS on a non-set");
        for (auto& item : items) s.items.push_back(std::move(item));
        break;
      }
      case op::FROZENSET: {
        auto items = pop_mark();
        auto s = make_object("builtins.frozenset");
        s->items.assign(std::make_move_iterator(items.begin()),
                        std::make_move_iterator(items.end()));
        push(std::move(s));
        break;
      }

      // ---- memo ----
      case op::BINPUT:
        memo_put(u8());
        break;
      case op::LONG_BINPUT:
        memo_put(le(4));
        break;
      case op::PUT:
        memo_put(parse_index(line()));
        break;
      case op::MEMOIZE:
        memo_put(memo_.size());
        break;
      case op::BINGET:
        memo_get(u8());
        break;
      case op::LONG_BINGET:
        memo_get(le(4));
        break;
      case op::GET:
        memo_get(parse_index(line()));
        break;

      // ---- globals and calls ----
      case op::GLOBAL: {
        const std::string_view module = line();
        const std::string_view name = line();
        push(global(module, name));
        break;
      }
      case op::STACK_GLOBAL: {
        MPtr name = pop();
        MPtr module = pop();
        if (name->kind != Kind::String || module->kind != Kind::String)
          fail("STACK_GLOBAL needs two strings");
        push(global(module->s, name->s));
        break;
      }
      case op::REDUCE: {
        MPtr args = pop();
        MPtr callable = pop();
        push(reduce(*callable, *args));
        break;
      }
      case op::NEWOBJ: {
        MPtr args = pop();
        MPtr cls = pop();
        if (args->kind != Kind::Tuple) fail("NEWOBJ arguments are not a tuple");
        push(new_object(*cls, args->items));
        break;
      }
      case op::NEWOBJ_EX: {
        MPtr kwargs = pop();
        MPtr args = pop();
        MPtr cls = pop();
        if (args->kind != Kind::Tuple || kwargs->kind != Kind::Dict)
          fail("NEWOBJ_EX needs an argument tuple and a keyword dict");
        auto obj = new_object(*cls, args->items);
        if (obj->kind == Kind::Object)
          for (const auto& e : kwargs->entries) dict_set(*obj, e.first, e.second);
        push(std::move(obj));
        break;
      }
      case op::INST: {
        const std::string_view module = line();
        const std::string_view name = line();
        auto cls = global(module, name);
        auto items = pop_mark();
        Value args;
        args.kind = Kind::Tuple;
        args.items.assign(items.begin(), items.end());
        push(reduce(*cls, args));
        break;
      }
      case op::OBJ: {
        auto items = pop_mark();
        if (items.empty()) fail("OBJ without a class");
        Value args;
        args.kind = Kind::Tuple;
        args.items.assign(items.begin() + 1, items.end());
        push(reduce(*items.front(), args));
        break;
      }
      case op::BUILD: {
        MPtr state = pop();
        build(*top(), std::move(state));
        break;
      }
      case op::BINPERSID: {
        MPtr pid = pop();
        push(persistent_load(*pid));
        break;
      }
      case op::PERSID:
        fail("text persistent ids (PERSID) are not used by torch.save");
      case op::EXT1:
      case op::EXT2:
      case op::EXT4:
        fail("copyreg extension codes (EXT1/EXT2/EXT4) are not supported");
      default: {
        char hex[8];
        std::snprintf(hex, sizeof hex, "0x%02x", code);
        fail(std::string("unknown opcode ") + hex);
      }
    }
  }
}

PickleResult unpickle(const std::byte* data, size_t size, size_t offset, const std::string& path,
                      const std::string& part) {
  if (offset > size) throw bad_input(path + ": " + part + " lies outside the file");
  Unpickler u(data, size, offset, path, part);
  return u.run();
}

}  // namespace detail

pyvalue::ValuePtr load_pickle_bytes(const void* data, size_t size, const std::string& name) {
  auto result = detail::unpickle(static_cast<const std::byte*>(data), size, 0, name, "pickle");
  if (!result.storages.empty())
    throw bad_input(name +
                    ": the pickle refers to torch storages, which a standalone pickle lacks");
  return result.root;
}

}  // namespace mlexport::frontend::checkpoint

// The pickle writer against its references: Python's pickle.dumps(obj, protocol=2) and the
// data.pkl torch.save (1.13) writes, byte for byte; and what it refuses.
#include "emit/torch/pickle_writer.h"

#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <limits>
#include <map>

#include "core/formats/verify_torch_checkpoint.h"
#include "emit/torch/config_value.h"
#include "emit/torch/torch_checkpoint.h"
#include "frontend/checkpoint/torch_file.h"
#include "frontend/checkpoint/zip_reader.h"
#include "mlexport/diagnostics.h"
#include "test_support.h"

namespace {

using namespace emit_torch_test;
namespace config = mlexport::emit::torch::config;
namespace ir = mlexport::ir;
using mlexport::Error;
using mlexport::ExitCode;
using mlexport::emit::TorchCheckpoint;
using mlexport::emit::torch::pickle_for_torch_save;
using mlexport::pyvalue::Value;
using mlexport::pyvalue::ValuePtr;
using Kind = Value::Kind;

std::string to_hex(const std::string& s) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

std::string pow2_decimal(int n, bool negative = false) {
  std::string digits = "1";  // little-endian decimal digits
  for (int k = 0; k < n; ++k) {
    int carry = 0;
    for (char& d : digits) {
      const int v = (d - '0') * 2 + carry;
      d = static_cast<char>('0' + v % 10);
      carry = v / 10;
    }
    if (carry) digits.push_back(static_cast<char>('0' + carry));
  }
  std::string out(digits.rbegin(), digits.rend());
  return negative ? "-" + out : out;
}

std::shared_ptr<Value> mutable_value(const ValuePtr& v) {
  return std::const_pointer_cast<Value>(v);
}

// The same objects as pickle_cases() in torch_side.py.
std::map<std::string, ValuePtr> cpp_cases() {
  std::map<std::string, ValuePtr> cases;
  cases["ints"] = config::list({0,
                                1,
                                127,
                                128,
                                255,
                                256,
                                65535,
                                65536,
                                -1,
                                -128,
                                -129,
                                -256,
                                INT32_MAX,
                                INT32_MIN,
                                int64_t{2147483648},
                                int64_t{-2147483649},
                                INT64_MAX,
                                INT64_MIN,
                                config::big_integer(pow2_decimal(64)),
                                config::big_integer(pow2_decimal(64, true)),
                                config::big_integer(pow2_decimal(100)),
                                config::big_integer(pow2_decimal(100, true)),
                                config::big_integer(pow2_decimal(2100)),
                                config::big_integer(pow2_decimal(2100, true))});
  cases["floats"] = config::list({0.0, -0.0, 0.1, -2.5, 1e-310, INFINITY, -INFINITY, DBL_MAX,
                                  std::numeric_limits<double>::quiet_NaN()});
  std::string e_acute_128;
  for (int k = 0; k < 128; ++k) e_acute_128 += "\xc3\xa9";
  cases["strings"] = config::list({"", "a", "h\xc3\xa9llo", "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",
                                   "\xf0\x9f\x99\x82", std::string(255, 'x'), std::string(256, 'y'),
                                   std::string(65536, 'z'), e_acute_128});
  std::string all_bytes;
  for (int k = 0; k < 256; ++k) all_bytes.push_back(static_cast<char>(k));
  const ValuePtr empty = config::bytes("");  // b"" is one object in Python: met twice
  cases["bytes"] = config::list(
      {empty, config::bytes(std::string("ab\0\xff", 4)), config::bytes(all_bytes), empty});
  cases["containers"] = config::list(
      {config::tuple({}), config::tuple({1}), config::tuple({1, 2}), config::tuple({1, 2, 3}),
       config::tuple({1, 2, 3, 4}), config::list({}), config::list({1}), config::dict({}),
       config::dict({{"k", nullptr}}),
       config::dict({{"t", true},
                     {"f", false},
                     {"n", config::list({config::tuple({}), config::list({config::list({})})})}})});
  auto range = [](int n) {
    std::vector<int64_t> v(n);
    for (int k = 0; k < n; ++k) v[k] = k;
    return config::list_of(v);
  };
  auto entries = [](const std::string& prefix, int n) {
    std::vector<std::pair<std::string, ValuePtr>> e;
    for (int k = 0; k < n; ++k) e.emplace_back(prefix + std::to_string(k), config::integer(k));
    return e;
  };
  cases["batches"] =
      config::list({range(1000), range(1001), range(2000), config::dict(entries("k", 1000)),
                    config::dict(entries("j", 1001)), config::ordered_dict(entries("o", 1000)),
                    config::ordered_dict(entries("p", 1001)),
                    config::ordered_dict({{"q", config::integer(1)}}), config::ordered_dict({})});
  std::vector<ValuePtr> words;
  for (int k = 0; k < 300; ++k) words.push_back(config::string("word" + std::to_string(k)));
  words.push_back(words[0]);
  words.push_back(words[299]);
  words.push_back(words[150]);
  cases["memo"] = config::list(words);
  const ValuePtr shared = config::list({1, 2});
  cases["shared"] = config::list({shared, shared, config::tuple({shared})});
  auto od =
      mutable_value(config::ordered_dict({{"a", config::integer(1)}, {"b", config::integer(2)}}));
  od->state = config::dict({{"_metadata", config::dict({{"", config::dict({{"version", 1}})}})}});
  cases["ordered_dict_with_metadata"] = od;
  auto keys = mutable_value(config::dict({}));
  keys->entries = {{config::integer(1), config::string("one")},
                   {config::real(2.5), config::string("float")},
                   {config::tuple({1, "x"}), config::string("tuple")},
                   {config::none(), config::string("none")},
                   {config::bytes("k"), config::string("bytes")}};
  cases["keys"] = keys;
  return cases;
}

std::string first_difference(const std::string& want, const std::string& got) {
  size_t k = 0;
  while (k < want.size() && k < got.size() && want[k] == got[k]) ++k;
  auto around = [&](const std::string& s) { return s.substr(k > 40 ? k - 40 : 0, 80); };
  return "first difference at hex offset " + std::to_string(k) + "\n python: " + around(want) +
         "\n ours:   " + around(got);
}

TEST(PickleWriter, MatchesPythonPickleByteForByte) {
  const json python = run_python({"pickles"});
  ASSERT_TRUE(python.is_object());
  const auto cases = cpp_cases();
  ASSERT_EQ(python.size(), cases.size()) << "torch_side.py and this test list the same cases";
  for (const auto& [name, value] : cases) {
    SCOPED_TRACE(name);
    ASSERT_TRUE(python.contains(name));
    const auto pickled = pickle_for_torch_save(*value);
    EXPECT_TRUE(pickled.storages.empty());
    const std::string want = python[name].get<std::string>(), got = to_hex(pickled.data);
    EXPECT_EQ(want.size(), got.size());
    if (want != got) ADD_FAILURE() << first_difference(want, got);
  }
}

std::string member_text(mlexport::frontend::checkpoint::ZipReader& zip, const std::string& name) {
  const auto* e = zip.find(name);
  if (!e) return "<missing " + name + ">";
  const auto bytes = zip.read(*e, true);
  return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

// torchsave_object() of torch_side.py, built in C++.
TorchCheckpoint torchsave_object() {
  TorchCheckpoint c;
  auto w = make_tensor<float>(ir::DType::Float32, {2, 3}, {0, 1, 2, 3, 4, 5});
  ir::Tensor w_t = w;  // the same storage seen as 3x2
  w_t.shape = {3, 2};
  c.state_dict = {
      {"w", w},
      {"w_t", w_t},
      {"empty", ir::Tensor(ir::DType::Float32, {2, 0, 3})},
      {"scalar", make_tensor<double>(ir::DType::Float64, {}, {3.5})},
      {"mask", make_tensor<uint8_t>(ir::DType::Bool, {3}, {1, 0, 1})},
      {"half", make_tensor<uint16_t>(ir::DType::Float16, {4}, {0, 0x3c00, 0x4000, 0x4200})},
      {"brain", make_tensor<uint16_t>(ir::DType::BFloat16, {3}, {0, 0x3f80, 0x4000})},
      {"bytes8", make_tensor<int8_t>(ir::DType::Int8, {2}, {-3, 7})},
      {"ubytes", make_tensor<uint8_t>(ir::DType::UInt8, {2}, {200, 1})},
      {"short", make_tensor<int16_t>(ir::DType::Int16, {1}, {-300})},
      {"int", make_tensor<int32_t>(ir::DType::Int32, {1, 1}, {70000})},
      {"long", make_tensor<int64_t>(ir::DType::Int64, {1, 1, 1, 5}, {0, 1, 2, 3, 4})}};
  c.config = config::dict({{"lr", 0.25}, {"name", "resnet"}, {"depth", 18}});
  c.extra = {{"epoch", config::integer(7)}};
  return c;
}

TEST(PickleWriter, MatchesTorchSaveByteForByte) {
  ScratchDir dir;
  const json python = run_python({"torchsave", dir.path().string()});
  ASSERT_TRUE(python.is_object());
  std::filesystem::create_directory(dir.path() / "ours");
  const std::string ours_path = (dir.path() / "ours" / "reference.pt").string();
  mlexport::emit::emit_torch_checkpoint(torchsave_object(), ours_path);

  const std::string theirs_file = read_file(python["path"].get<std::string>());
  const std::string ours_file = read_file(ours_path);
  mlexport::frontend::checkpoint::ZipReader theirs(
      reinterpret_cast<const std::byte*>(theirs_file.data()), theirs_file.size(), "torch.save");
  mlexport::frontend::checkpoint::ZipReader ours(
      reinterpret_cast<const std::byte*>(ours_file.data()), ours_file.size(), "ours");
  // The same members in the same order; torch 1.13 writes no byteorder record, we do (newer
  // torch.save does, and torch 1.13 ignores it).
  std::vector<std::string> want = python["members"].get<std::vector<std::string>>();
  ASSERT_GE(want.size(), 2u);
  want.insert(want.begin() + 1, "reference/byteorder");
  std::vector<std::string> got;
  for (const auto& e : ours.entries()) got.push_back(e.name);
  EXPECT_EQ(got, want);
  const std::string pkl_want = member_text(theirs, "reference/data.pkl");
  const std::string pkl_got = member_text(ours, "reference/data.pkl");
  if (pkl_want != pkl_got)
    ADD_FAILURE() << "data.pkl differs from torch.save's: "
                  << first_difference(to_hex(pkl_want), to_hex(pkl_got));
  for (const auto& e : theirs.entries()) {
    if (e.name != "reference/data.pkl") {
      EXPECT_EQ(member_text(ours, e.name), member_text(theirs, e.name)) << e.name;
    }
  }
}

// The bad_input message of pickling `v`, or "" when it pickles.
std::string refusal(const ValuePtr& v) {
  try {
    pickle_for_torch_save(*v);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kBadInput) << e.what();
    return e.what();
  }
  return "";
}

TEST(PickleWriter, RefusesWhatPythonCouldNotLoadBack) {
  auto object = std::make_shared<Value>();
  object->kind = Kind::Object;
  object->class_name = "mymodule.Config";
  auto global = std::make_shared<Value>();
  global->kind = Kind::Global;
  global->class_name = "os.system";
  auto bad_int = std::make_shared<Value>();
  bad_int->kind = Kind::Object;
  bad_int->class_name = "builtins.int";
  bad_int->s = "12a";
  auto deque = mutable_value(config::list({1}));
  deque->class_name = "collections.deque";
  auto defaultdict = mutable_value(config::dict({{"a", 1}}));
  defaultdict->class_name = "collections.defaultdict";
  auto list_key = mutable_value(config::dict({}));
  list_key->entries = {{config::list({1}), config::integer(1)}};
  auto one_and_true = mutable_value(config::dict({}));
  one_and_true->entries = {{config::integer(1), config::integer(1)},
                           {config::boolean(true), config::integer(2)}};
  auto one_and_float = mutable_value(config::dict({}));
  one_and_float->entries = {{config::integer(1), config::integer(1)},
                            {config::real(1.0), config::integer(2)}};

  EXPECT_NE(refusal(config::dict({{"model", config::dict({{"cfg", object}})}}))
                .find("checkpoint['model']['cfg']: unsupported object value mymodule.Config("),
            std::string::npos)
      << refusal(config::dict({{"model", config::dict({{"cfg", object}})}}));
  EXPECT_NE(refusal(config::list({1, global}))
                .find("checkpoint[1]: unsupported global value <os.system>"),
            std::string::npos);
  EXPECT_NE(refusal(bad_int).find("digits are '12a'"), std::string::npos);
  EXPECT_NE(refusal(deque).find("collections.deque"), std::string::npos);
  EXPECT_NE(refusal(defaultdict).find("collections.defaultdict"), std::string::npos);
  EXPECT_NE(refusal(list_key).find("unhashable dict key [1]"), std::string::npos);
  EXPECT_NE(refusal(one_and_true).find("duplicate dict key True"), std::string::npos);
  EXPECT_NE(refusal(one_and_float).find("duplicate dict key 1"), std::string::npos);
  for (const char* bad : {"\x80", "a\xc3", "\xc0\x80", "\xed\xa0", "\xf4\x90\x80\x80", "\xff"})
    EXPECT_NE(refusal(config::list({std::string(bad)})).find("not valid UTF-8"), std::string::npos)
        << to_hex(bad);
  EXPECT_EQ(refusal(config::list({std::string("\xed\xa0\x80")})), "")
      << "a lone surrogate passes: Python decodes with surrogatepass";
  EXPECT_NE(refusal(config::big_integer(pow2_decimal(8200))).find("longer than 1 KiB"),
            std::string::npos);

  ir::Tensor short_buffer(ir::DType::Float32, {2});
  short_buffer.shape = {4};
  EXPECT_NE(refusal(config::tensor(short_buffer)).find("needs 16 bytes but holds 8"),
            std::string::npos);
  ir::Tensor ragged(ir::DType::Float32, {2});
  ragged.bytes->resize(7);
  EXPECT_NE(refusal(config::tensor(ragged)).find("not a whole number of elements"),
            std::string::npos);
  ir::Tensor negative(ir::DType::Float32, {0});
  negative.shape = {-1};
  EXPECT_NE(refusal(config::tensor(negative)).find("negative dimension"), std::string::npos);

  ValuePtr deep = config::list({});
  for (int k = 0; k < mlexport::emit::torch::kMaxWriteDepth + 1; ++k) deep = config::list({deep});
  EXPECT_NE(refusal(deep).find("nested deeper than"), std::string::npos);
}

TEST(PickleWriter, DeepestAllowedNestingReadsBack) {
  ValuePtr deep = config::list({"bottom"});
  for (int k = 0; k < mlexport::emit::torch::kMaxWriteDepth - 8; ++k) deep = config::list({deep});
  ScratchDir dir;
  TorchCheckpoint c;
  c.config = deep;
  mlexport::emit::emit_torch_checkpoint(c, dir.file("deep.pt"));
  EXPECT_NE(mlexport::core::verify_torch_checkpoint(dir.file("deep.pt"), c).find("ok:"),
            std::string::npos);
}

TEST(PickleWriter, StorageClassesCoverEveryDtype) {
  using mlexport::emit::torch::storage_class_name;
  EXPECT_EQ(storage_class_name(ir::DType::Float32), "FloatStorage");
  EXPECT_EQ(storage_class_name(ir::DType::Float16), "HalfStorage");
  EXPECT_EQ(storage_class_name(ir::DType::Float64), "DoubleStorage");
  EXPECT_EQ(storage_class_name(ir::DType::BFloat16), "BFloat16Storage");
  EXPECT_EQ(storage_class_name(ir::DType::Int8), "CharStorage");
  EXPECT_EQ(storage_class_name(ir::DType::UInt8), "ByteStorage");
  EXPECT_EQ(storage_class_name(ir::DType::Int16), "ShortStorage");
  EXPECT_EQ(storage_class_name(ir::DType::Int32), "IntStorage");
  EXPECT_EQ(storage_class_name(ir::DType::Int64), "LongStorage");
  EXPECT_EQ(storage_class_name(ir::DType::Bool), "BoolStorage");
}

}  // namespace

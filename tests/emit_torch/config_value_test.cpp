// The config builders: the mix-in's serialization rule (class_path + init_args, enums as strings,
// arrays and tuples as lists) and the implicit conversions of config::Item.
#include "emit/torch/config_value.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

#include "mlexport/diagnostics.h"
#include "test_support.h"

namespace {

namespace config = mlexport::emit::torch::config;
namespace ir = mlexport::ir;
using emit_torch_test::make_tensor;
using mlexport::Error;
using mlexport::ExitCode;
using mlexport::pyvalue::Value;
using Kind = Value::Kind;

TEST(ConfigValue, ClassConfigNestsAsClassPathAndInitArgs) {
  auto head = config::class_config("pkg.heads.Head", config::dict({{"classes", 10}}));
  auto cfg = config::class_config("pkg.models.Net", config::dict({{"depth", 18}, {"head", head}}));
  ASSERT_EQ(cfg->kind, Kind::Dict);
  EXPECT_TRUE(cfg->class_name.empty()) << "a plain dict";
  ASSERT_EQ(cfg->entries.size(), 2u);
  EXPECT_EQ(cfg->entries[0].first->s, "class_path");
  EXPECT_EQ(cfg->get("class_path")->s, "pkg.models.Net");
  const Value* args = cfg->get("init_args");
  ASSERT_NE(args, nullptr);
  EXPECT_EQ(args->get("depth")->i, 18);
  EXPECT_EQ(args->get("head")->get("class_path")->s, "pkg.heads.Head");
  EXPECT_EQ(args->get("head")->get("init_args")->get("classes")->i, 10);
  EXPECT_EQ(config::class_config("pkg.Empty", nullptr)->get("init_args")->entries.size(), 0u);
}

TEST(ConfigValue, ClassConfigRefusesBadPathsAndNonDictArgs) {
  for (const char* bad : {"", "Net", "pkg..Net", "pkg.1Net", ".Net", "pkg.Net.", "pkg.N-et"}) {
    try {
      config::class_config(bad, config::dict({}));
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::kBadInput);
    }
  }
  try {
    config::class_config("pkg.Net", config::list({1}));
    ADD_FAILURE() << "accepted a list as init_args";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("init_args must be a dict, not list"), std::string::npos);
  }
}

TEST(ConfigValue, ItemsConvertToTheRightKinds) {
  const auto v = config::list({nullptr, true, 7, int8_t{-3}, uint64_t{18446744073709551615ull}, 2.5,
                               0.5f, "text", std::string("str"), std::string_view("view"),
                               config::ValuePtr(), config::integer(1)});
  ASSERT_EQ(v->items.size(), 12u);
  EXPECT_EQ(v->items[0]->kind, Kind::None);
  EXPECT_EQ(v->items[1]->kind, Kind::Bool);
  EXPECT_TRUE(v->items[1]->b);
  EXPECT_EQ(v->items[2]->i, 7);
  EXPECT_EQ(v->items[3]->i, -3);
  EXPECT_EQ(v->items[4]->kind, Kind::Object) << "beyond int64: a big integer";
  EXPECT_EQ(v->items[4]->s, "18446744073709551615");
  EXPECT_EQ(v->items[5]->f, 2.5);
  EXPECT_EQ(v->items[6]->f, 0.5);
  EXPECT_EQ(v->items[7]->s, "text");
  EXPECT_EQ(v->items[8]->s, "str");
  EXPECT_EQ(v->items[9]->s, "view");
  EXPECT_EQ(v->items[10]->kind, Kind::None) << "a null ValuePtr is None";
  EXPECT_EQ(v->items[11]->i, 1);
  EXPECT_THROW(config::big_integer("12x"), Error);
  EXPECT_THROW(config::big_integer("-"), Error);
}

TEST(ConfigValue, ArraysAndTuplesBecomeLists) {
  auto m =
      config::array(make_tensor<int64_t>(ir::DType::Int64, {2, 2}, {INT64_MIN, 1, 2, INT64_MAX}));
  ASSERT_EQ(m->kind, Kind::List);
  ASSERT_EQ(m->items.size(), 2u);
  EXPECT_EQ(m->items[0]->items[0]->i, INT64_MIN) << "int64 elements exactly";
  EXPECT_EQ(m->items[1]->items[1]->i, INT64_MAX);
  auto h = config::array(make_tensor<uint16_t>(ir::DType::Float16, {2}, {0x3c00, 0xc000}));
  EXPECT_EQ(h->items[0]->f, 1.0);
  EXPECT_EQ(h->items[1]->f, -2.0);
  auto b = config::array(make_tensor<uint8_t>(ir::DType::Bool, {2}, {0, 1}));
  EXPECT_EQ(b->items[1]->kind, Kind::Bool);
  EXPECT_TRUE(b->items[1]->b);
  auto scalar = config::array(make_tensor<float>(ir::DType::Float32, {}, {1.5f}));
  EXPECT_EQ(scalar->kind, Kind::Float);
  EXPECT_EQ(config::array(ir::Tensor(ir::DType::Float32, {0, 3}))->items.size(), 0u);
  EXPECT_EQ(config::list_of(std::vector<std::string>{"a", "b"})->items[1]->s, "b");
  EXPECT_EQ(config::list_of(std::vector<double>{0.25})->items[0]->f, 0.25);
  EXPECT_EQ(config::enum_value("RGB")->kind, Kind::String);
  EXPECT_EQ(config::ordered_dict({{"a", config::integer(1)}})->class_name,
            "collections.OrderedDict");
  EXPECT_EQ(config::tuple({1, 2})->kind, Kind::Tuple);
}

}  // namespace

// emit_torch_checkpoint end to end: stock torch.load (torch 1.13, /usr/bin/python3) and mlexport's
// own reader must give back exactly what was written; failures leave no file.
#include "emit/torch/torch_checkpoint.h"

#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <fstream>

#include "core/formats/verify_torch_checkpoint.h"
#include "emit/torch/config_value.h"
#include "emit/torch/torch_archive.h"
#include "frontend/checkpoint/torch_file.h"
#include "frontend/checkpoint/zip_reader.h"
#include "mlexport/diagnostics.h"
#include "test_support.h"

namespace {

using namespace emit_torch_test;
namespace config = mlexport::emit::torch::config;
namespace ir = mlexport::ir;
namespace torch_writer = mlexport::emit::torch;
using mlexport::Error;
using mlexport::ExitCode;
using mlexport::core::verify_torch_checkpoint;
using mlexport::emit::emit_torch_checkpoint;
using mlexport::emit::torch_checkpoint_value;
using mlexport::emit::TorchCheckpoint;
using mlexport::pyvalue::Value;
using mlexport::pyvalue::ValuePtr;
using DT = ir::DType;

ir::Tensor pattern_tensor(DT dtype, std::vector<int64_t> shape, int seed) {
  ir::Tensor t(dtype, std::move(shape));
  auto* p = reinterpret_cast<unsigned char*>(t.raw());
  for (size_t k = 0; k < t.nbytes(); ++k) p[k] = static_cast<unsigned char>((k * 37 + seed) & 0x7f);
  return t;
}

// Every dtype with its edge values (NaN payloads, -0, infinities, subnormals, integer limits),
// 0-d and empty tensors, a 5-d shape, storages shared between tensors, one tensor smaller than its
// storage, one buffer seen as two dtypes (two storages), and a 1 MiB tensor.
TorchCheckpoint dtype_checkpoint() {
  TorchCheckpoint c;
  auto shared = make_tensor<float>(DT::Float32, {2, 4}, {1, 2, 3, 4, 5, 6, 7, 8});
  ir::Tensor shared_t = shared;
  shared_t.shape = {4, 2};
  ir::Tensor shared_as_int = shared;
  shared_as_int.dtype = DT::Int32;
  shared_as_int.shape = {8};
  auto longs = make_tensor<int64_t>(DT::Int64, {6}, {10, 11, 12, 13, 14, 15});
  ir::Tensor longs_head = longs;
  longs_head.shape = {2};
  c.state_dict = {
      {"f32", make_tensor<uint32_t>(DT::Float32, {3, 3},
                                    {0x00000000, 0x80000000, 0x3fc00000, 0xc0100000, 0x7f800000,
                                     0xff800000, 0x7fc00001, 0x00000001, 0x7f7fffff})},
      {"f16",
       make_tensor<uint16_t>(DT::Float16, {8},
                             {0x0000, 0x8000, 0x3c00, 0x7c00, 0xfc00, 0x7e01, 0x0001, 0x7bff})},
      {"f64",
       make_tensor<uint64_t>(DT::Float64, {2, 2, 2},
                             {0x0, 0x8000000000000000, 0x3ff8000000000000, 0x7ff0000000000000,
                              0xfff0000000000000, 0x7ff8000000000123, 0x1, 0x7fefffffffffffff})},
      {"bf16", make_tensor<uint16_t>(DT::BFloat16, {5}, {0x3f80, 0x7fc1, 0x0001, 0xff80, 0x8000})},
      {"i8", make_tensor<int8_t>(DT::Int8, {4}, {-128, 127, 0, -1})},
      {"u8", make_tensor<uint8_t>(DT::UInt8, {3}, {0, 255, 128})},
      {"i16", make_tensor<int16_t>(DT::Int16, {2}, {-32768, 32767})},
      {"i32", make_tensor<int32_t>(DT::Int32, {2}, {INT32_MIN, INT32_MAX})},
      {"i64", make_tensor<int64_t>(DT::Int64, {2, 1}, {INT64_MIN, INT64_MAX})},
      {"bool", make_tensor<uint8_t>(DT::Bool, {2, 2}, {1, 0, 0, 1})},
      {"scalar_f32", make_tensor<float>(DT::Float32, {}, {2.5f})},
      {"scalar_i64", make_tensor<int64_t>(DT::Int64, {}, {-7})},
      {"scalar_bool", make_tensor<uint8_t>(DT::Bool, {}, {1})},
      {"scalar_bf16", make_tensor<uint16_t>(DT::BFloat16, {}, {0xc040})},
      {"empty_f32", ir::Tensor(DT::Float32, {0})},
      {"empty_i64", ir::Tensor(DT::Int64, {2, 0, 3})},
      {"empty_bool", ir::Tensor(DT::Bool, {0, 5})},
      {"five_d", pattern_tensor(DT::Float32, {1, 2, 1, 2, 1}, 3)},
      {"shared", shared},
      {"shared_t", shared_t},
      {"shared_as_int", shared_as_int},
      {"longs", longs},
      {"longs_head", longs_head},
      {"big", pattern_tensor(DT::Float32, {256, 1024}, 5)}};
  const ValuePtr once = config::tensor(pattern_tensor(DT::Float16, {3}, 9));
  c.extra = {{"same_tensor_twice", config::list({once, once})}};
  return c;
}

// A config with every kind of value and the pickle's boundaries: big ints, exact floats,
// unicode, strings around 255/256/65535/65536 bytes, bytes, batches over 1000, >256 memo slots.
ValuePtr rich_config() {
  std::string e_acute_at_boundary = std::string(254, 'a') + "\xc3\xa9";  // 256 bytes, 255 chars
  std::vector<std::pair<std::string, ValuePtr>> many_keys;
  for (int k = 0; k < 1001; ++k)
    many_keys.emplace_back("key_" + std::to_string(k), config::integer(k * 7));
  std::vector<ValuePtr> many_strings;
  for (int k = 0; k < 400; ++k) many_strings.push_back(config::string("s" + std::to_string(k)));
  std::vector<int64_t> long_list(1001);
  for (int k = 0; k < 1001; ++k) long_list[k] = k - 500;
  std::string all_bytes;
  for (int k = 0; k < 256; ++k) all_bytes.push_back(static_cast<char>(k));
  auto head = config::class_config(
      "mypkg.models.HeadConfig",
      config::dict({{"dropout", 0.1}, {"activation", config::enum_value("GELU")}}));
  return config::class_config(
      "mypkg.models.NetConfig",
      config::dict(
          {{"head", head},
           {"name", "r\xc3\xa9seau \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x99\x82"},
           {"ints", config::list({0, -1, 255, 256, 65535, 65536, INT32_MIN, INT64_MAX, INT64_MIN,
                                  config::big_integer("18446744073709551616"),
                                  config::big_integer("-1267650600228229401496703205376"),
                                  config::big_integer(std::string(300, '9'))})},
           {"floats", config::list({0.1, -0.0, 1e-310, INFINITY, -INFINITY, DBL_MAX, DBL_MIN,
                                    1.0 / 3.0, std::nan("")})},
           {"strings",
            config::list({"", std::string(255, 'x'), std::string(256, 'y'), std::string(65535, 'z'),
                          std::string(65536, 'w'), e_acute_at_boundary})},
           {"raw", config::bytes(all_bytes)},
           {"no_bytes", config::bytes("")},
           {"shape", config::tuple({1, 3, 224, 224})},
           {"widths", config::list_of(std::vector<int64_t>{64, 128, 256})},
           {"mean", config::list_of(std::vector<double>{0.485, 0.456, 0.406})},
           {"matrix", config::array(make_tensor<float>(DT::Float32, {2, 3}, {1, 2, 3, 4, 5, 6}))},
           {"flags", config::list({true, false, nullptr})},
           {"long_list", config::list_of(long_list)},
           {"many_keys", config::dict(many_keys)},
           {"many_strings", config::list(many_strings)}}));
}

TorchCheckpoint rich_checkpoint() {
  TorchCheckpoint c;
  c.state_dict = {{"weight", pattern_tensor(DT::Float32, {4, 3}, 1)},
                  {"bias", pattern_tensor(DT::Float32, {4}, 2)},
                  {"bloc\xc3\xa9.\xe6\x97\xa5.scale", pattern_tensor(DT::BFloat16, {4}, 3)}};
  c.config = rich_config();
  auto optimizer = std::const_pointer_cast<Value>(
      config::ordered_dict({{"step", config::integer(100)},
                            {"exp_avg", config::tensor(pattern_tensor(DT::Float32, {4}, 4))}}));
  optimizer->state =
      config::dict({{"_metadata", config::dict({{"", config::dict({{"version", 1}})}})}});
  auto keys = std::const_pointer_cast<Value>(config::dict({}));
  keys->entries = {{config::integer(0), config::string("int key")},
                   {config::tuple({1, "a"}), config::string("tuple key")},
                   {config::none(), config::string("None key")},
                   {config::real(0.5), config::string("float key")}};
  const ValuePtr shared_list = config::list({1, 2, 3});
  c.extra = {{"optimizer", optimizer},
             {"odd_keys", keys},
             {"shared_list", config::list({shared_list, shared_list})},
             {"epoch", config::integer(12)}};
  return c;
}

// A checkpoint torch 1.13's weights_only loader accepts: no float, no bytes, no LONG4 integer.
TorchCheckpoint weights_only_checkpoint() {
  TorchCheckpoint c = dtype_checkpoint();
  c.extra.clear();
  std::vector<ValuePtr> many;
  for (int k = 0; k < 300; ++k) many.push_back(config::string("name" + std::to_string(k)));
  c.config = config::class_config(
      "mypkg.Config",
      config::dict({{"depth", 50},
                    {"big", config::big_integer("-1267650600228229401496703205376")},
                    {"act", "relu"},
                    {"sizes", config::tuple({1, 3, 224, 224})},
                    {"flags", config::list({true, false, nullptr})},
                    {"many", config::list(many)},
                    {"nested", config::class_config("mypkg.Sub", config::dict({{"k", 65536}}))}}));
  c.extra = {{"epoch", config::integer(3)}};
  return c;
}

// Stock torch.load of `path` (canonical form) equals what was written; so does mlexport's reader.
void expect_loads_back(const std::string& path, const TorchCheckpoint& c,
                       bool weights_only = false) {
  const ValuePtr written = torch_checkpoint_value(c);
  std::vector<std::string> args = {"load"};
  if (weights_only) args.push_back("--weights-only");
  args.push_back(path);
  const json python = run_python(args);
  ASSERT_TRUE(python.is_object());
  const json want = canonical(*written, /*with_storage=*/true);
  const json& got = python[path];
  if (got != want)
    ADD_FAILURE() << "torch.load gives something else than was written; JSON patch from ours to "
                     "torch's:\n"
                  << json::diff(want, got).dump(1).substr(0, 4000);
  const ValuePtr ours = mlexport::frontend::checkpoint::load_torch_file(path);
  const json own = canonical(*ours, false);
  if (own != canonical(*written, false))
    ADD_FAILURE() << "mlexport's reader gives something else than was written:\n"
                  << json::diff(canonical(*written, false), own).dump(1).substr(0, 4000);
  EXPECT_NO_THROW(verify_torch_checkpoint(path, c));
}

TEST(TorchLoad, EveryDtypeZeroDimEmptyAndSharedStorages) {
  ScratchDir dir;
  const TorchCheckpoint c = dtype_checkpoint();
  const auto result = emit_torch_checkpoint(c, dir.file("dtypes.pt"));
  expect_loads_back(dir.file("dtypes.pt"), c);
  // shared/shared_t share a storage, longs/longs_head too, shared_as_int has its own.
  EXPECT_EQ(result.tensor_count, c.state_dict.size() + 1);
  EXPECT_EQ(result.storage_count, c.state_dict.size() + 1 - 2);
  EXPECT_EQ(result.bytes, std::filesystem::file_size(dir.file("dtypes.pt")));
}

TEST(TorchLoad, ConfigValuesRoundTripExactly) {
  ScratchDir dir;
  const TorchCheckpoint c = rich_checkpoint();
  emit_torch_checkpoint(c, dir.file("rich.pt"));
  expect_loads_back(dir.file("rich.pt"), c);
}

TEST(TorchLoad, WeightsOnlyLoadsStateDictAndPlainConfig) {
  ScratchDir dir;
  const TorchCheckpoint c = weights_only_checkpoint();
  emit_torch_checkpoint(c, dir.file("weights.pt"));
  expect_loads_back(dir.file("weights.pt"), c, /*weights_only=*/true);
}

TEST(TorchLoad, Zip64ArchiveLoads) {
  ScratchDir dir;
  const TorchCheckpoint c = dtype_checkpoint();
  const auto pickled = torch_writer::pickle_for_torch_save(*torch_checkpoint_value(c));
  torch_writer::write_torch_archive(pickled, dir.file("zip64.pt"), {.zip64_limit = 0});
  expect_loads_back(dir.file("zip64.pt"), c);
}

TEST(TorchLoad, NullConfigAndNullExtraAreNone) {
  ScratchDir dir;
  TorchCheckpoint c;
  c.state_dict = {{"w", pattern_tensor(DT::Float32, {2}, 1)}};
  c.extra = {{"notes", nullptr}};
  emit_torch_checkpoint(c, dir.file("none.pt"));
  const json python = run_python({"load", dir.file("none.pt")});
  ASSERT_TRUE(python.is_object());
  const json& top = python[dir.file("none.pt")]["dict"];
  ASSERT_EQ(top.size(), 3u);
  EXPECT_EQ(top[1], json::array({{{"str", "config"}}, nullptr}));
  EXPECT_EQ(top[2], json::array({{{"str", "notes"}}, nullptr}));
}

TEST(Emit, ArchiveLayoutIsTorchSaves) {
  ScratchDir dir;
  TorchCheckpoint c;
  for (int k = 0; k < 12; ++k)
    c.state_dict.emplace_back("t" + std::to_string(k), pattern_tensor(DT::Int16, {k + 1}, k));
  emit_torch_checkpoint(c, dir.file("resnet18.v2.pt"));
  const std::string file = read_file(dir.file("resnet18.v2.pt"));
  mlexport::frontend::checkpoint::ZipReader zip(reinterpret_cast<const std::byte*>(file.data()),
                                                file.size(), "layout");
  std::vector<std::string> names;
  for (const auto& e : zip.entries()) {
    names.push_back(e.name);
    EXPECT_EQ(e.data_offset % 64, 0u) << e.name;
    zip.read(e, /*verify_crc=*/true);
  }
  const std::string p = "resnet18.v2/";
  EXPECT_EQ(names, (std::vector<std::string>{
                       p + "data.pkl", p + "byteorder", p + "data/0", p + "data/1", p + "data/10",
                       p + "data/11", p + "data/2", p + "data/3", p + "data/4", p + "data/5",
                       p + "data/6", p + "data/7", p + "data/8", p + "data/9", p + "version"}));
  auto text = [&](const std::string& name) {
    const auto bytes = zip.read(*zip.find(name));
    return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  };
  EXPECT_EQ(text(p + "version"), "3\n");
  EXPECT_EQ(text(p + "byteorder"), "little");
  EXPECT_EQ(text(p + "data/10").size(), 11u * 2);

  EXPECT_EQ(torch_writer::archive_name("/x/model.pt"), "model");
  EXPECT_EQ(torch_writer::archive_name("noext"), "noext");
  EXPECT_EQ(torch_writer::archive_name("/x/.pt"), "archive");
  EXPECT_EQ(torch_writer::archive_name("/x/my model!.pt"), "archive");
  EXPECT_EQ(torch_writer::archive_name("/x/mod\xc3\xa8le.pt"), "archive");
}

TEST(Emit, OddFileNamesStillLoad) {
  ScratchDir dir;
  TorchCheckpoint c;
  c.state_dict = {{"w", pattern_tensor(DT::Float32, {2}, 1)}};
  emit_torch_checkpoint(c, dir.file("my model!.pt"));
  expect_loads_back(dir.file("my model!.pt"), c);
}

TEST(Emit, MissingFolderThrowsAndLeavesNoFile) {
  ScratchDir dir;
  TorchCheckpoint c;
  c.state_dict = {{"w", pattern_tensor(DT::Float32, {2}, 1)}};
  try {
    emit_torch_checkpoint(c, dir.file("missing/model.pt"));
    ADD_FAILURE() << "must throw";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kBadInput);
    EXPECT_NE(std::string(e.what()).find("does not exist"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(dir.listing().empty());
}

TEST(Emit, RefusedValueLeavesTheExistingFileAlone) {
  ScratchDir dir;
  const std::string path = dir.file("model.pt");
  { std::ofstream(path) << "previous export"; }
  TorchCheckpoint c;
  c.state_dict = {{"w", pattern_tensor(DT::Float32, {2}, 1)}};
  c.config = config::dict({{"name", std::string("bad \xff utf-8")}});
  try {
    emit_torch_checkpoint(c, path);
    ADD_FAILURE() << "must throw";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kBadInput);
    EXPECT_NE(std::string(e.what()).find("checkpoint['config']['name']: a string that is not "
                                         "valid UTF-8"),
              std::string::npos)
        << e.what();
  }
  EXPECT_EQ(read_file(path), "previous export");
  EXPECT_EQ(dir.listing(), std::vector<std::string>{"model.pt"});
}

TEST(Emit, RepeatedNamesAndKeysAreRefused) {
  ScratchDir dir;
  auto message = [&](const TorchCheckpoint& c) {
    try {
      emit_torch_checkpoint(c, dir.file("x.pt"));
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::kBadInput);
      return std::string(e.what());
    }
    return std::string();
  };
  TorchCheckpoint twice;
  twice.state_dict = {{"w", ir::Tensor(DT::Float32, {1})}, {"w", ir::Tensor(DT::Float32, {1})}};
  EXPECT_NE(message(twice).find("state_dict name 'w' appears twice"), std::string::npos);
  TorchCheckpoint taken;
  taken.extra = {{"config", config::integer(1)}};
  EXPECT_NE(message(taken).find("top-level key 'config'"), std::string::npos);
  TorchCheckpoint extra_twice;
  extra_twice.extra = {{"a", config::integer(1)}, {"a", config::integer(2)}};
  EXPECT_NE(message(extra_twice).find("top-level key 'a'"), std::string::npos);
  EXPECT_TRUE(dir.listing().empty());
}

TEST(Verify, ReportsOkAndCatchesEveryDifference) {
  ScratchDir dir;
  const TorchCheckpoint c = rich_checkpoint();
  emit_torch_checkpoint(c, dir.file("v.pt"));
  const std::string report = verify_torch_checkpoint(dir.file("v.pt"), c);
  EXPECT_EQ(report, "ok: 6 top-level keys, 4 tensors, 0.0 MB");

  auto failure = [&](const TorchCheckpoint& expected) {
    try {
      verify_torch_checkpoint(dir.file("v.pt"), expected);
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::kInternal);
      return std::string(e.what());
    }
    return std::string("no difference found");
  };
  TorchCheckpoint flipped = c;
  ir::Tensor copy = flipped.state_dict[1].second;
  copy.bytes = std::make_shared<std::vector<std::byte>>(*copy.bytes);
  (*copy.bytes)[3] ^= std::byte{1};
  flipped.state_dict[1].second = copy;
  EXPECT_NE(failure(flipped).find("['state_dict']['bias']: tensor bytes differ"), std::string::npos)
      << failure(flipped);
  TorchCheckpoint renamed = c;
  renamed.state_dict[0].first = "weights";
  EXPECT_NE(failure(renamed).find("key 0 ('weights')"), std::string::npos) << failure(renamed);
  TorchCheckpoint other_epoch = c;
  other_epoch.extra.back().second = config::integer(13);
  EXPECT_NE(failure(other_epoch).find("['epoch']: wrote 13, read 12"), std::string::npos)
      << failure(other_epoch);
  TorchCheckpoint fewer = c;
  fewer.extra.pop_back();
  EXPECT_NE(failure(fewer).find("wrote 5 keys, read 6"), std::string::npos) << failure(fewer);
  TorchCheckpoint reshaped = c;
  reshaped.state_dict[0].second.shape = {3, 4};
  EXPECT_NE(failure(reshaped).find("wrote a float32[3,4] tensor, read a float32[4,3] one"),
            std::string::npos)
      << failure(reshaped);
}

}  // namespace

// Checkpoint readers: torch.save files (zip, legacy, protocols 1-5), inert objects, the refusal
// policy, malformed inputs and safetensors. Fixtures come from make_fixtures.py (Debian's python3
// with torch 1.13), written at test time into MLEXPORT_CKPT_DIR; every tensor is compared byte for
// byte with what Python wrote.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include "frontend/checkpoint/checkpoint.h"
#include "mlexport/diagnostics.h"

namespace {

namespace fs = std::filesystem;
using namespace std::string_literals;
using mlexport::Error;
using mlexport::ExitCode;
using mlexport::frontend::checkpoint::load_pickle_bytes;
using mlexport::frontend::checkpoint::load_safetensors;
using mlexport::frontend::checkpoint::load_torch_file;
using mlexport::frontend::checkpoint::tensors_of;
using mlexport::pyvalue::Value;
using mlexport::pyvalue::ValuePtr;
using Kind = Value::Kind;
using NamedTensors = std::vector<std::pair<std::string, mlexport::ir::Tensor>>;

fs::path fixture_dir() {
  const char* dir = std::getenv("MLEXPORT_CKPT_DIR");
  return dir && *dir ? fs::path(dir) : fs::path("fixtures");
}

std::string fixture(const std::string& name) {
  const fs::path p = fixture_dir() / name;
  if (!fs::exists(p)) ADD_FAILURE() << "missing fixture " << p << " (run make_fixtures.py)";
  return p.string();
}

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

// Compares tensors with <name>.expect.json / .expect.bin: names, order, dtype, shape, bytes.
void expect_tensors(const std::string& name, const NamedTensors& got) {
  const auto meta = nlohmann::json::parse(read_all(fixture_dir() / (name + ".expect.json")));
  const std::string blob = read_all(fixture_dir() / (name + ".expect.bin"));
  const auto& want = meta.at("tensors");
  ASSERT_EQ(got.size(), want.size()) << name;
  for (size_t k = 0; k < got.size(); ++k) {
    const auto& w = want[k];
    const auto& [gname, t] = got[k];
    SCOPED_TRACE(name + ": " + w.at("name").get<std::string>());
    EXPECT_EQ(gname, w.at("name").get<std::string>());
    EXPECT_EQ(std::string(mlexport::ir::dtype_name(t.dtype)), w.at("dtype").get<std::string>());
    EXPECT_EQ(t.shape, w.at("shape").get<std::vector<int64_t>>());
    const size_t off = w.at("offset").get<size_t>(), n = w.at("nbytes").get<size_t>();
    ASSERT_EQ(t.nbytes(), n);
    EXPECT_TRUE(n == 0 || std::memcmp(t.raw(), blob.data() + off, n) == 0) << "bytes differ";
  }
}

// The bad_input message of loading `path`, or "" when it loads.
template <typename F>
std::string error_of(F&& load) {
  try {
    load();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kBadInput) << e.what();
    const std::string msg = e.what();
    EXPECT_EQ(msg.find('\n'), std::string::npos) << "one line: " << msg;
    return msg;
  }
  return "";
}

// ---------------------------------------------------------------- torch.save state dicts

class TorchFiles : public ::testing::TestWithParam<const char*> {};

TEST_P(TorchFiles, TensorsMatchPythonByteForByte) {
  const std::string name = GetParam();
  ValuePtr root = load_torch_file(fixture(name));
  ASSERT_TRUE(root);
  expect_tensors(name, tensors_of(*root));
}

INSTANTIATE_TEST_SUITE_P(Checkpoints, TorchFiles,
                         ::testing::Values("cnn.pt", "cnn_legacy.pt", "cnn_p1.pt", "cnn_p2.pt",
                                           "cnn_p4.pt", "cnn_p5.pt", "cnn_legacy_p4.pt",
                                           "cnn_deflated.pt", "cnn_module.pt",
                                           "cnn_module_legacy.pt", "resnet18.pt", "views.pt",
                                           "views_legacy.pt", "dtypes.pt", "dtypes_legacy.pt",
                                           "shared.pt", "shared_legacy.pt", "train.pt",
                                           "lightning.ckpt", "lightning_p5.ckpt", "handmade_ok.pt",
                                           "v3_untyped.pt", "legacy_view.pt"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& c : n)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return n;
                         });

TEST(TorchFile, StateDictIsAnOrderedDict) {
  ValuePtr root = load_torch_file(fixture("cnn.pt"));
  EXPECT_EQ(root->kind, Kind::Dict);
  EXPECT_EQ(root->class_name, "collections.OrderedDict");
  ASSERT_TRUE(root->get("conv1.weight"));
  EXPECT_TRUE(root->get("conv1.weight")->is_tensor());
  EXPECT_EQ(root->get("conv1.weight")->tensor.shape, (std::vector<int64_t>{8, 3, 3, 3}));
  // The state dict's _metadata (an OrderedDict attribute) is kept as the BUILD state.
  ASSERT_TRUE(root->state);
  EXPECT_EQ(root->state->kind, Kind::Dict);
  EXPECT_TRUE(root->state->get("_metadata"));
  EXPECT_EQ(root->get("bn1.num_batches_tracked")->tensor.dtype, mlexport::ir::DType::Int64);
}

TEST(TorchFile, SharedStorageAndMemoizedTensor) {
  ValuePtr root = load_torch_file(fixture("shared.pt"));
  const Value* a = root->get("a");
  const Value* again = root->get("again");
  ASSERT_TRUE(a && again);
  EXPECT_EQ(a, again);  // one Python object, one Value
  EXPECT_EQ(a->tensor.to_double_vector(), (std::vector<double>{2, 3, 4}));
  EXPECT_EQ(root->get("b")->tensor.to_double_vector(), (std::vector<double>{5, 6, 7, 8, 9}));
}

TEST(TorchFile, NonContiguousViewsAreMaterializedRowMajor) {
  ValuePtr root = load_torch_file(fixture("views.pt"));
  EXPECT_EQ(root->get("transposed")->tensor.shape, (std::vector<int64_t>{6, 4}));
  EXPECT_EQ(root->get("transposed")->tensor.to_double_vector()[1], 6.0);
  EXPECT_EQ(root->get("expanded")->tensor.to_double_vector(),
            (std::vector<double>{0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2}));
  EXPECT_EQ(root->get("column")->tensor.to_double_vector(), (std::vector<double>{3, 9, 15, 21}));
}

TEST(TorchFile, TrainingScriptDict) {
  ValuePtr root = load_torch_file(fixture("train.pt"));
  ASSERT_EQ(root->kind, Kind::Dict);
  EXPECT_TRUE(root->class_name.empty());
  EXPECT_EQ(root->get("model_name")->s, "resnet18");
  EXPECT_EQ(root->get("num_classes")->i, 10);
  EXPECT_EQ(root->get("epoch")->i, 3);
  EXPECT_DOUBLE_EQ(root->get("best_acc")->f, 0.875);
  EXPECT_TRUE(root->get("note")->is_none());
  EXPECT_EQ(root->get("classes")->kind, Kind::Tuple);
  EXPECT_EQ(root->get("classes")->items.at(1)->s, "dog");
  EXPECT_EQ(root->get("flags")->kind, Kind::List);
  EXPECT_TRUE(root->get("flags")->items.at(0)->b);
  EXPECT_FALSE(root->get("flags")->items.at(1)->b);
  const Value* opt = root->get("optimizer");
  ASSERT_TRUE(opt && opt->get("param_groups"));
  const Value* group = opt->get("param_groups")->items.at(0).get();
  EXPECT_DOUBLE_EQ(group->get("lr")->f, 1e-3);
  EXPECT_EQ(group->get("betas")->kind, Kind::Tuple);
  // A state dict nested in the checkpoint: tensors_of of the sub-dict gives the plain names.
  const auto sd = tensors_of(*root->get("state_dict"));
  ASSERT_FALSE(sd.empty());
  EXPECT_EQ(sd.front().first, "conv1.weight");
}

void check_lightning(const std::string& name) {
  SCOPED_TRACE(name);
  ValuePtr root = load_torch_file(fixture(name));
  EXPECT_EQ(root->get("pytorch-lightning_version")->s, "1.9.0");
  const Value* hp = root->get("hyper_parameters");
  ASSERT_TRUE(hp);
  const Value* args = hp->get("args");
  ASSERT_TRUE(args);
  EXPECT_EQ(args->kind, Kind::Object);
  EXPECT_EQ(args->class_name, "argparse.Namespace");
  EXPECT_DOUBLE_EQ(args->get("lr")->f, 0.1);
  EXPECT_EQ(args->get("name")->s, "run1");
  EXPECT_EQ(args->get("layers")->items.size(), 2u);

  const Value* config = hp->get("config");
  EXPECT_EQ(config->class_name, "__main__.MyConfig");
  EXPECT_EQ(config->get("depth")->i, 18);
  EXPECT_EQ(config->get("activation")->kind, Kind::Global);
  EXPECT_EQ(config->get("activation")->class_name, "torch.nn.modules.activation.ReLU");
  EXPECT_EQ(config->get("dtype")->class_name, "torch.float16");

  EXPECT_EQ(hp->get("data")->class_name, "__main__.DataConfig");
  EXPECT_EQ(hp->get("data")->get("batch_size")->i, 32);
  const Value* attr = hp->get("attr");
  EXPECT_EQ(attr->class_name, "__main__.AttributeDict");
  EXPECT_DOUBLE_EQ(attr->get("lr")->f, 0.01);
  EXPECT_DOUBLE_EQ(attr->get("momentum")->f, 0.9);

  EXPECT_EQ(hp->get("big")->class_name, "builtins.int");
  EXPECT_EQ(hp->get("big")->s, "1208925819614629174706176");
  EXPECT_EQ(hp->get("neg")->s, "-1180591620717411303424");
  EXPECT_EQ(hp->get("raw")->kind, Kind::Bytes);
  EXPECT_EQ(hp->get("raw")->s, std::string("\x00\x01\xff", 3));
  EXPECT_EQ(hp->get("tags")->class_name, "builtins.set");
  EXPECT_EQ(hp->get("tags")->items.size(), 2u);
  EXPECT_EQ(hp->get("when")->class_name, "datetime.date");
  EXPECT_EQ(hp->get("path")->class_name, "pathlib.PurePosixPath");
  EXPECT_EQ(hp->get("np_float")->kind, Kind::Float);
  EXPECT_DOUBLE_EQ(hp->get("np_float")->f, 0.25);
  EXPECT_EQ(hp->get("np_int")->kind, Kind::Int);
  EXPECT_EQ(hp->get("np_int")->i, -7);
  EXPECT_EQ(hp->get("np_array")->kind, Kind::Tensor);
  EXPECT_EQ(hp->get("np_fortran")->tensor.to_int_vector(),
            (std::vector<int64_t>{0, 1, 2, 3, 4, 5}));
  // Messages can show it.
  EXPECT_NE(hp->repr(2).find("argparse.Namespace("), std::string::npos) << hp->repr(2);
}

TEST(TorchFile, LightningHyperParametersLoadAsInertRecords) {
  check_lightning("lightning.ckpt");
  check_lightning("lightning_p5.ckpt");
}

TEST(TorchFile, WholeModulePickleLoadsAsInertObjects) {
  ValuePtr root = load_torch_file(fixture("cnn_module.pt"));
  EXPECT_EQ(root->kind, Kind::Object);
  EXPECT_EQ(root->class_name, "__main__.SmallCNN");
  EXPECT_TRUE(root->get("_modules")->get("conv1"));
  EXPECT_EQ(root->get("_modules")->get("conv1")->class_name, "torch.nn.modules.conv.Conv2d");
}

// ---------------------------------------------------------------- refusals

struct Malicious {
  const char* file;
  const char* global;
  const char* canary;
};

void PrintTo(const Malicious& m, std::ostream* os) {
  *os << m.file;
}

class MaliciousFiles : public ::testing::TestWithParam<Malicious> {};

TEST_P(MaliciousFiles, AreRefusedNamingTheGlobalAndNeverRun) {
  const Malicious m = GetParam();
  const std::string path = fixture(m.file);
  const std::string msg = error_of([&] { load_torch_file(path); });
  EXPECT_NE(msg.find(path + ": refuses to load: the pickle calls " + m.global), std::string::npos)
      << msg;
  if (m.canary) {
    EXPECT_FALSE(fs::exists(fixture_dir() / m.canary)) << "the payload ran";
  }
}

INSTANTIATE_TEST_SUITE_P(
    Payloads, MaliciousFiles,
    ::testing::Values(
        Malicious{"evil_os_system.pt", "os.system", "canary_os_system"},
        Malicious{"evil_eval.pt", "builtins.eval", "canary_eval"},
        Malicious{"evil_popen.pt", "subprocess.Popen", "canary_popen"},
        Malicious{"evil_stack_global.pt", "posix.system", "canary_stack_global"},
        Malicious{"evil_newobj.pt", "os.system", nullptr},
        Malicious{"evil_getattr.pt", "builtins.getattr", nullptr},
        Malicious{"evil_unknown_reduce.pt", "mymodule.helper", nullptr},
        Malicious{"evil_rebuild_from_type.pt", "posix.system", "canary_rebuild_from_type"},
        Malicious{"evil_reduce_class.pt", "posix.system", "canary_reduce_class"},
        Malicious{"evil_reduce_class_legacy.pt", "posix.system", "canary_reduce_class"},
        Malicious{"evil_plain_pickle.pkl", "os.system", "canary_plain_pickle"}),
    [](const auto& info) {
      std::string n = info.param.file;
      for (char& c : n)
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
      return n;
    });

// ---------------------------------------------------------------- malformed files

struct Malformed {
  const char* file;
  const char* reason;  // a substring of the message
};

void PrintTo(const Malformed& m, std::ostream* os) {
  *os << m.file;
}

class MalformedFiles : public ::testing::TestWithParam<Malformed> {};

TEST_P(MalformedFiles, GiveOneClearBadInputLine) {
  const Malformed m = GetParam();
  const std::string path = fixture(m.file);
  const std::string msg = error_of([&] { load_torch_file(path); });
  EXPECT_EQ(msg.rfind(path + ": ", 0), 0u) << msg;
  EXPECT_NE(msg.find(m.reason), std::string::npos) << msg;
}

INSTANTIATE_TEST_SUITE_P(
    Inputs, MalformedFiles,
    ::testing::Values(Malformed{"bad_truncated_zip.pt", "malformed zip archive: truncated"},
                      Malformed{"bad_truncated_legacy.pt", "truncated"},
                      Malformed{"bad_not_a_checkpoint.pt", "not a PyTorch checkpoint"},
                      Malformed{"bad_empty.pt", "empty file"},
                      Malformed{"bad_short_storage.pt", "fewer than the 24"},
                      Malformed{"bad_storage_bomb.pt",
                                "inflates to 16777216 bytes, more than the 24 the pickle declares"},
                      Malformed{"bad_offset.pt", "reaches beyond its storage"},
                      Malformed{"bad_negative_stride.pt", "negative tensor stride"},
                      Malformed{"bad_absurd_size.pt", "MiB once expanded"},
                      Malformed{"bad_missing_storage.pt", "is missing"},
                      Malformed{"bad_traversal.pt", "unsafe name '../evil.txt'"},
                      Malformed{"bad_opcode.pt", "unknown opcode 0xff"},
                      Malformed{"bad_huge_string.pt", "truncated"},
                      Malformed{"bad_underflow.pt", "stack underflow"},
                      Malformed{"bad_no_stop.pt", "truncated"},
                      Malformed{"bad_deep.pt", "nested deeper than"},
                      Malformed{"bad_memo_bomb.pt", "memo bomb"},
                      Malformed{"bad_cycle.pt", "cycle"},
                      Malformed{"bad_memo_get.pt", "memo key 7 was never stored"},
                      Malformed{"bad_big_endian.pt", "big-endian checkpoints are not supported"},
                      Malformed{"bad_legacy_view.pt", "storage view lies outside its storage"}),
    [](const auto& info) {
      std::string n = info.param.file;
      for (char& c : n)
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
      return n;
    });

TEST(TorchFile, MissingFile) {
  const std::string msg = error_of([] { load_torch_file("/nonexistent/model.pt"); });
  EXPECT_NE(msg.find("/nonexistent/model.pt: cannot open"), std::string::npos) << msg;
}

// Every truncation of a valid zip and legacy file fails cleanly (or, for the zip, never succeeds
// with different tensors).
TEST(TorchFile, EveryTruncationFailsCleanly) {
  for (const char* name : {"dtypes.pt", "dtypes_legacy.pt"}) {
    const std::string data = read_all(fixture_dir() / name);
    for (size_t cut = 0; cut < data.size(); cut += 7) {
      try {
        mlexport::frontend::checkpoint::load_torch_bytes(data.data(), cut, name);
        ADD_FAILURE() << name << " truncated to " << cut << " bytes loaded";
      } catch (const Error& e) {
        EXPECT_EQ(e.code(), ExitCode::kBadInput);
      }
    }
  }
}

// ---------------------------------------------------------------- the unpickler directly

ValuePtr unpickle(const std::string& bytes) {
  return load_pickle_bytes(bytes.data(), bytes.size(), "test.pkl");
}

TEST(Pickle, ProtocolZeroTextOpcodes) {
  // {'a': [1, True, 2.5, 'x\ny', u'\u00e9'], 'b': (123456789012345678901234567890L, None)}
  const std::string p =
      "(dp0\nS'a'\np1\n(lp2\nI1\naI01\naF2.5\naS'x\134ny'\np3\naV\134u00e9\np4\nasS'b'\np5\n"
      "(L123456789012345678901234567890L\nNtp6\ns."s;
  ValuePtr v = unpickle(p);
  ASSERT_EQ(v->kind, Kind::Dict);
  const Value* a = v->get("a");
  ASSERT_EQ(a->items.size(), 5u);
  EXPECT_EQ(a->items[0]->i, 1);
  EXPECT_EQ(a->items[1]->kind, Kind::Bool);
  EXPECT_DOUBLE_EQ(a->items[2]->f, 2.5);
  EXPECT_EQ(a->items[3]->s, "x\ny");
  EXPECT_EQ(a->items[4]->s, "\xc3\xa9");
  const Value* b = v->get("b");
  EXPECT_EQ(b->items[0]->s, "123456789012345678901234567890");
  EXPECT_TRUE(b->items[1]->is_none());
}

TEST(Pickle, MemoDupPopMarkAndDictOverwrite) {
  // [x, x] where x = 'k'; DUP, POP, POP_MARK; {'k': 1, 'k': 2} keeps one key with value 2.
  const std::string p =
      "\200\002X\001\000\000\000kq\00520(K\001K\0021}q\006(h\005K\001h\005K\002u\206."s;
  ValuePtr v = unpickle(p);
  ASSERT_EQ(v->kind, Kind::Tuple);
  ASSERT_EQ(v->items.size(), 2u);
  EXPECT_EQ(v->items[0]->s, "k");
  const Value& d = *v->items[1];
  ASSERT_EQ(d.entries.size(), 1u);
  EXPECT_EQ(d.get("k")->i, 2);
}

TEST(Pickle, IntegerEncodings) {
  const std::string p =
      "\200\002(J\377\377\377\377M\377\377\212\010\000\000\000\000\000\000\000\200\212\001\377"
      "\212\000\213\002\000\000\000\000\001t."s;
  ValuePtr v = unpickle(p);
  ASSERT_EQ(v->items.size(), 6u);
  EXPECT_EQ(v->items[0]->i, -1);
  EXPECT_EQ(v->items[1]->i, 65535);
  EXPECT_EQ(v->items[2]->i, INT64_MIN);
  EXPECT_EQ(v->items[3]->i, -1);
  EXPECT_EQ(v->items[4]->i, 0);
  EXPECT_EQ(v->items[5]->i, 256);
}

TEST(Pickle, FramedProtocolFourWithMemoize) {
  // pickle.dumps({'a': [b'xy', 1.5]}, protocol=4)
  const std::string p =
      "\200\004\225\032\000\000\000\000\000\000\000}\224\214\001a\224]\224(C\002xy\224G\077\370"
      "\000\000\000\000\000\000es."s;
  ValuePtr v = unpickle(p);
  const Value* a = v->get("a");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->items[0]->kind, Kind::Bytes);
  EXPECT_EQ(a->items[0]->s, "xy");
  EXPECT_DOUBLE_EQ(a->items[1]->f, 1.5);
}

TEST(Pickle, RefusesCallsOutsideTheAllowList) {
  for (const auto& [p, global] : std::vector<std::pair<std::string, std::string>>{
           {"cos\nsystem\n(S'x'\ntR.", "os.system"},
           {"cnt\nsystem\n(S'x'\ntR.", "nt.system"},
           {"c__builtin__\nexec\n(S'x'\ntR.", "builtins.exec"},
           {"cbuiltins\n__import__\n(S'os'\ntR.", "builtins.__import__"},
           {"cimportlib\nimport_module\n(S'os'\ntR.", "importlib.import_module"},
           {"csubprocess\ncheck_output\n(S'x'\ntR.", "subprocess.check_output"},
           {"(cos\nsystem\nS'x'\no.", "os.system"},
           {"(S'x'\nios\nsystem\n.", "os.system"},
           {"cenum\nEnum\n(I1\ntR.", "enum.Enum"},
           {"(dp0\n)R.", "a dict"}}) {
    const std::string msg = error_of([&] { unpickle(p); });
    EXPECT_NE(msg.find("refuses to load: the pickle calls " + global), std::string::npos) << msg;
  }
}

TEST(Pickle, InertObjectsFromReconstructorAndBuild) {
  // copyreg._reconstructor(__main__.C, object, None) then BUILD {'x': 1}
  const std::string p =
      "ccopy_reg\n_reconstructor\np0\n(c__main__\nC\np1\nc__builtin__\nobject\np2\nNtp3\nRp4\n"
      "(dp5\nS'x'\np6\nI1\nsb.";
  ValuePtr v = unpickle(p);
  EXPECT_EQ(v->kind, Kind::Object);
  EXPECT_EQ(v->class_name, "__main__.C");
  EXPECT_EQ(v->get("x")->i, 1);
  EXPECT_EQ(v->repr(), "__main__.C({'x': 1})");
}

TEST(Pickle, StandalonePickleWithStoragesIsRefused) {
  const std::string p =
      "\200\002(X\007\000\000\000storagectorch\nFloatStorage\nX\001\000\000\0000X\003\000\000\000"
      "cpuK\001tQ."s;
  const std::string msg = error_of([&] { unpickle(p); });
  EXPECT_NE(msg.find("standalone pickle"), std::string::npos) << msg;
}

TEST(Pickle, UnreadableTensorKindsAreReportedByTensorsOf) {
  const std::string p = "\200\002}X\001\000\000\000qctorch._utils\n_rebuild_qtensor\nK\001\205Rs."s;
  ValuePtr v = unpickle(p);
  const std::string msg = error_of([&] { tensors_of(*v); });
  EXPECT_NE(msg.find("'q' is a tensor kind mlexport cannot read"), std::string::npos) << msg;
}

// ---------------------------------------------------------------- safetensors

TEST(Safetensors, AllDtypesMatchByteForByte) {
  std::map<std::string, std::string> meta;
  const auto tensors = load_safetensors(fixture("model.safetensors"), &meta);
  expect_tensors("model.safetensors", tensors);
  EXPECT_EQ(meta.at("format"), "pt");
  EXPECT_EQ(meta.at("source"), "fixture");
}

class MalformedSafetensors : public ::testing::TestWithParam<Malformed> {};

TEST_P(MalformedSafetensors, GiveOneClearBadInputLine) {
  const Malformed m = GetParam();
  const std::string path = fixture(std::string(m.file) + ".safetensors");
  std::map<std::string, std::string> meta;
  const std::string msg = error_of([&] { load_safetensors(path, &meta); });
  EXPECT_EQ(msg.rfind(path + ": ", 0), 0u) << msg;
  EXPECT_NE(msg.find(m.reason), std::string::npos) << msg;
  EXPECT_TRUE(meta.empty());
}

INSTANTIATE_TEST_SUITE_P(
    Inputs, MalformedSafetensors,
    ::testing::Values(
        Malformed{"st_header_beyond_file", "exceeds the file"},
        Malformed{"st_truncated", "truncated"}, Malformed{"st_bad_json", "bad JSON header"},
        Malformed{"st_offsets_out_of_range", "lie outside the"},
        Malformed{"st_size_mismatch", "needs 16 bytes, but 24"},
        Malformed{"st_unknown_dtype", "has dtype F8_E4M3"}, Malformed{"st_overlap", "overlap"},
        Malformed{"st_negative_dim", "non-natural"}, Malformed{"st_absurd_shape", "absurd shape"},
        Malformed{"st_metadata_not_string", "is not a string"},
        Malformed{"st_not_object", "not a JSON object"},
        Malformed{"st_missing_field", "lacks dtype, shape or data_offsets"},
        Malformed{"st_duplicate_name", "duplicate tensor name 'a'"}),
    [](const auto& info) { return std::string(info.param.file); });

}  // namespace

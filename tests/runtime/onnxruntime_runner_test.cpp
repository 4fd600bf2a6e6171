#include "runtime/onnxruntime_runner.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "mlexport/diagnostics.h"

namespace mlexport::runtime {
namespace {

namespace fs = std::filesystem;
using ir::DType;
using ir::Tensor;

// Tiny models written with onnx.helper at test time (Debian python3-onnx).
constexpr char kMakeModels[] = R"(
import os, sys
import onnx
from onnx import helper, TensorProto as T
d = sys.argv[1]
def vi(name, t, shape): return helper.make_tensor_value_info(name, t, shape)
def save(name, nodes, inputs, outputs, inits=()):
    g = helper.make_graph(nodes, name, inputs, outputs, initializer=list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid('', 13)])
    m.ir_version = 8
    onnx.checker.check_model(m)
    onnx.save(m, os.path.join(d, name + '.onnx'))
# Node names like torch.onnx.export's, so OpenCV's layer names differ from the tensor names.
save('add', [helper.make_node('Add', ['x', 'y'], ['sum'], name='/Add'),
             helper.make_node('Mul', ['x', 'y'], ['prod'], name='/Mul')],
     [vi('x', T.FLOAT, [2, 3]), vi('y', T.FLOAT, [2, 3])],
     [vi('sum', T.FLOAT, [2, 3]), vi('prod', T.FLOAT, [2, 3])])
save('cast', [helper.make_node('Cast', ['x'], ['y'], to=T.INT64)],
     [vi('x', T.FLOAT, [5])], [vi('y', T.INT64, [5])])
types = [('f16', T.FLOAT16), ('f64', T.DOUBLE), ('i64', T.INT64), ('i32', T.INT32),
         ('i16', T.INT16), ('i8', T.INT8), ('u8', T.UINT8), ('b', T.BOOL)]
save('identity', [helper.make_node('Identity', ['in_' + n], ['out_' + n]) for n, _ in types],
     [vi('in_' + n, t, [2, 2]) for n, t in types], [vi('out_' + n, t, [2, 2]) for n, t in types])
# An initializer that is also listed as a graph input (keep_initializers_as_inputs=True style).
w = helper.make_tensor('w', T.FLOAT, [3], [10.0, 20.0, 30.0])
save('bias', [helper.make_node('Add', ['x', 'w'], ['y'], name='/Add')],
     [vi('x', T.FLOAT, [2, 3]), vi('w', T.FLOAT, [3])], [vi('y', T.FLOAT, [2, 3])], [w])
)";

Tensor floats(std::vector<int64_t> shape, std::vector<float> values) {
  Tensor t(DType::Float32, std::move(shape));
  std::memcpy(t.raw(), values.data(), t.nbytes());
  return t;
}

template <typename T>
std::vector<T> values_of(const Tensor& t) {
  return std::vector<T>(t.data<T>(), t.data<T>() + t.numel());
}

class RuntimeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string templ = (fs::temp_directory_path() / "runtime_test-XXXXXX").string();
    if (!mkdtemp(templ.data())) return;
    dir_ = templ;
    std::ofstream((dir_ / "make.py").string()) << kMakeModels;
    std::string cmd = "/usr/bin/python3 '" + (dir_ / "make.py").string() + "' '" + dir_.string() +
                      "' >'" + (dir_ / "make.log").string() + "' 2>&1";
    models_ok_ = std::system(cmd.c_str()) == 0;
    std::ofstream((dir_ / "garbage.onnx").string()) << "this is not a protobuf, just text\n";
  }
  static void TearDownTestSuite() {
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }
  void SetUp() override {
    if (!models_ok_) GTEST_SKIP() << "/usr/bin/python3 with onnx could not write the test models";
  }
  void require_ort() {
    std::string why;
    if (!onnxruntime_available(&why)) GTEST_SKIP() << "ONNX Runtime unavailable: " << why;
  }
  static std::string model(const std::string& name) { return (dir_ / (name + ".onnx")).string(); }
  static void expect_error(const std::function<void()>& fn, ExitCode code,
                           const std::string& text) {
    try {
      fn();
      ADD_FAILURE() << "no error; expected: " << text;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), code) << e.what();
      EXPECT_NE(std::string(e.what()).find(text), std::string::npos)
          << e.what() << "\n  expected: " << text;
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << "one line: " << e.what();
    }
  }

  static inline fs::path dir_;
  static inline bool models_ok_ = false;
};

TEST_F(RuntimeTest, OnnxRuntimeAddAndMul) {
  require_ort();
  Tensor x = floats({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor y = floats({2, 3}, {0.5f, -1, 10, 0, 2, -3});
  RunResult r = run_onnxruntime(model("add"), {x, y}, /*threads=*/1);
  EXPECT_EQ(r.input_names, (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(r.output_names, (std::vector<std::string>{"sum", "prod"}));
  EXPECT_EQ(r.runtime.rfind("onnxruntime-node ", 0), 0u) << r.runtime;
  EXPECT_GE(r.run_seconds, 0);
  ASSERT_EQ(r.outputs.size(), 2u);
  EXPECT_EQ(r.outputs[0].dtype, DType::Float32);
  EXPECT_EQ(r.outputs[0].shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(values_of<float>(r.outputs[0]), (std::vector<float>{1.5f, 1, 13, 4, 7, 3}));
  EXPECT_EQ(values_of<float>(r.outputs[1]), (std::vector<float>{0.5f, -2, 30, 0, 10, -18}));
}

TEST_F(RuntimeTest, OnnxRuntimeCastToInt64) {
  require_ort();
  RunResult r = run_onnxruntime(model("cast"), {floats({5}, {1.7f, -2.3f, 0, 1e6f, -7})});
  ASSERT_EQ(r.outputs.size(), 1u);
  EXPECT_EQ(r.outputs[0].dtype, DType::Int64);
  EXPECT_EQ(r.outputs[0].shape, std::vector<int64_t>{5});
  EXPECT_EQ(values_of<int64_t>(r.outputs[0]), (std::vector<int64_t>{1, -2, 0, 1000000, -7}));
}

TEST_F(RuntimeTest, OnnxRuntimeCarriesEveryDTypeExactly) {
  require_ort();
  const DType types[] = {DType::Float16, DType::Float64, DType::Int64, DType::Int32,
                         DType::Int16,   DType::Int8,    DType::UInt8, DType::Bool};
  std::vector<Tensor> inputs;
  for (DType dtype : types) {
    Tensor t(dtype, {2, 2});
    if (dtype == DType::Bool) {
      const uint8_t bits[] = {1, 0, 1, 1};
      std::memcpy(t.raw(), bits, sizeof(bits));
    } else if (ir::is_floating(dtype)) {
      t = floats({2, 2}, {1.5f, -2.25f, 1e-3f, 65504.f}).cast(dtype);
    } else {
      for (size_t b = 0; b < t.nbytes(); ++b) t.raw()[b] = std::byte((b * 37 + 11) & 0xff);
    }
    inputs.push_back(t);
  }
  RunResult r = run_onnxruntime(model("identity"), inputs);
  ASSERT_EQ(r.outputs.size(), inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    SCOPED_TRACE(std::string(ir::dtype_name(inputs[i].dtype)));
    EXPECT_EQ(r.outputs[i].dtype, inputs[i].dtype);
    EXPECT_EQ(r.outputs[i].shape, inputs[i].shape);
    EXPECT_EQ(*r.outputs[i].bytes, *inputs[i].bytes);
  }
}

TEST_F(RuntimeTest, OnnxRuntimeErrors) {
  require_ort();
  expect_error([] { run_onnxruntime(model("garbage"), {}); }, ExitCode::kBadInput,
               "cannot load model");
  expect_error([] { run_onnxruntime((dir_ / "missing.onnx").string(), {}); }, ExitCode::kBadInput,
               "cannot read model file");
  Tensor x = floats({2, 3}, {1, 2, 3, 4, 5, 6});
  expect_error([&] { run_onnxruntime(model("add"), {x}); }, ExitCode::kInternal,
               "the model has 2 input(s) (x, y)");
  Tensor wrong(DType::Int32, {2, 3});
  expect_error(
      [&] {
        run_onnxruntime(model("add"), {x, wrong});
      },
      ExitCode::kInternal, "expects float32, got int32");
  expect_error(
      [&] {
        run_onnxruntime(model("add"), {x, floats({3}, {1, 2, 3})});
      },
      ExitCode::kInternal, "ONNX Runtime: run failed");
}

TEST_F(RuntimeTest, TemporaryDirectoriesAreRemoved) {
  require_ort();
  fs::path tmp = dir_ / "tmp";
  fs::create_directory(tmp);
  const char* old = std::getenv("TMPDIR");
  std::string saved = old ? old : "";
  setenv("TMPDIR", tmp.c_str(), 1);
  Tensor x = floats({2, 3}, {1, 2, 3, 4, 5, 6});
  EXPECT_NO_THROW(run_onnxruntime(model("add"), {x, x}));
  EXPECT_THROW(run_onnxruntime(model("garbage"), {x}), Error);
  if (old) {
    setenv("TMPDIR", saved.c_str(), 1);
  } else {
    unsetenv("TMPDIR");
  }
  // Only our own directories count: node itself may leave files in TMPDIR.
  for (const auto& entry : fs::directory_iterator(tmp))
    EXPECT_NE(entry.path().filename().string().rfind("mlexport-ort-", 0), 0u) << entry.path();
}

TEST_F(RuntimeTest, RunnerOverrideIsHonoured) {
  std::string why;
  setenv("MLEXPORT_ORT_RUNNER", (dir_ / "no-such-run.js").c_str(), 1);
  EXPECT_FALSE(onnxruntime_available(&why));
  EXPECT_NE(why.find("MLEXPORT_ORT_RUNNER"), std::string::npos) << why;
  expect_error([] { run_onnxruntime(model("add"), {}); }, ExitCode::kInternal,
               "ONNX Runtime is not available");
  // A script that exists but fails reports its error line.
  std::ofstream((dir_ / "broken.js").string()) << "process.stderr.write('error: broken\\n');"
                                                  "process.exit(1);\n";
  setenv("MLEXPORT_ORT_RUNNER", (dir_ / "broken.js").c_str(), 1);
  EXPECT_FALSE(onnxruntime_available(&why));
  EXPECT_NE(why.find("broken"), std::string::npos) << why;
  unsetenv("MLEXPORT_ORT_RUNNER");
}

// Tests that need ONNX Runtime skip without it (a machine set up by hand may lack Node); this one
// fails instead, so that a run where they all skipped does not pass. scripts/setup.sh installs
// it; MLEXPORT_ALLOW_NO_ONNXRUNTIME=1 accepts its absence on purpose.
TEST(OnnxRuntimeInstalled, ByTheSetUpScript) {
  if (std::getenv("MLEXPORT_ALLOW_NO_ONNXRUNTIME"))
    GTEST_SKIP() << "MLEXPORT_ALLOW_NO_ONNXRUNTIME is set: tests that need ONNX Runtime may skip";
  std::string why;
  EXPECT_TRUE(onnxruntime_available(&why))
      << "ONNX Runtime is not available (" << why
      << "): run scripts/setup.sh; every test that needs it skipped";
}

}  // namespace
}  // namespace mlexport::runtime

// The Exportable mix-in: every hook changes what is exported, so each test fails if its hook is
// ignored; training mode and requires_grad come back after every export.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>

#include "core/onnx_file_info.h"
#include "frontend/checkpoint/torch_file.h"
#include "mlexport/exportable.h"
#include "mlexport/zoo_model.h"
#include "pyvalue/value.h"
#include "runtime/onnxruntime_runner.h"

namespace fs = std::filesystem;
using mlexport::ExportOptions;
using mlexport::SampleInput;

namespace {

fs::path temp_dir() {
  static fs::path dir = [] {
    fs::path d = fs::temp_directory_path() / ("mlexport-api-" + std::to_string(::getpid()));
    fs::create_directories(d);
    return d;
  }();
  return dir;
}

std::string out(const std::string& name) {
  return (temp_dir() / name).string();
}

// Runs an ONNX file on an all-ones input of `shape`.
std::vector<mlexport::ir::Tensor> run_ones(const std::string& path, std::vector<int64_t> shape) {
  mlexport::ir::Tensor ones(mlexport::ir::DType::Float32, shape);
  for (int64_t k = 0; k < ones.numel(); ++k) ones.data<float>()[k] = 1.0f;
  return mlexport::runtime::run_onnxruntime(path, {ones}).outputs;
}

struct Policy : torch::nn::Module, mlexport::Exportable<Policy> {
  Policy() {
    fc1 = register_module("fc1", torch::nn::Linear(14, 32));
    fc2 = register_module("fc2", torch::nn::Linear(32, 4));
  }
  torch::Tensor forward(torch::Tensor x) { return fc2(torch::relu(fc1(x))); }
  SampleInput sample_input() { return torch::randn({3, 14}); }
  torch::nn::Linear fc1{nullptr}, fc2{nullptr};
};

TEST(Exportable, SampleInputHookSetsTheTracedShape) {
  Policy policy;
  auto result = policy.to_onnx(out("policy.onnx"));
  EXPECT_EQ(result.validation.status, "PASS");
  ASSERT_FALSE(result.validation.outputs.empty());
  EXPECT_EQ(result.validation.outputs[0].shape, (std::vector<int64_t>{3, 4}));
}

TEST(Exportable, ExplicitInputSampleOverridesTheHook) {
  Policy policy;
  ExportOptions options;
  options.input_sample = SampleInput(torch::randn({5, 14}));
  auto result = policy.to_onnx(out("policy5.onnx"), options);
  EXPECT_EQ(result.validation.outputs.at(0).shape, (std::vector<int64_t>{5, 4}));
}

// A per-pixel classifier: scores [N, 3, H, W].
struct PixelClassifier : torch::nn::Module, mlexport::Exportable<PixelClassifier> {
  PixelClassifier() { conv = register_module("conv", torch::nn::Conv2d(2, 3, 1)); }
  torch::Tensor forward(torch::Tensor x) { return conv(x); }
  SampleInput sample_input() { return torch::randn({1, 2, 5, 6}); }
  torch::nn::Conv2d conv{nullptr};
};

TEST(Exportable, TaskAndSegmentationOutputReachTheFile) {
  PixelClassifier model;
  ExportOptions options;
  options.task = "segmentation";
  options.segmentation_output = "argmax";
  auto result = model.to_onnx(out("pixels.onnx"), options);
  EXPECT_EQ(result.task, "segmentation");
  EXPECT_EQ(result.validation.status, "PASS");
  // The file returns the class map, not the scores.
  auto got = run_ones(out("pixels.onnx"), {1, 2, 5, 6});
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].dtype, mlexport::ir::DType::Int64);
  EXPECT_EQ(got[0].shape, (std::vector<int64_t>{1, 5, 6}));
  options.segmentation_output = "argmin";
  EXPECT_THROW(model.to_onnx(out("pixels_bad.onnx"), options), mlexport::Error);
  EXPECT_FALSE(fs::exists(out("pixels_bad.onnx")));
}

TEST(Exportable, TrainingModeAndRequiresGradAreRestored) {
  Policy policy;
  policy.train();
  ASSERT_TRUE(policy.fc1->weight.requires_grad());
  policy.to_onnx(out("train.onnx"));
  EXPECT_TRUE(policy.is_training());
  EXPECT_TRUE(policy.fc1->weight.requires_grad());
  // Also when the export fails.
  EXPECT_THROW(policy.to_torch_export_ir(out("policy.ptir")), mlexport::Error);
  EXPECT_TRUE(policy.is_training());
  policy.eval();
  policy.to_onnx(out("eval.onnx"));
  EXPECT_FALSE(policy.is_training());
}

TEST(Exportable, UnavailableFormatSaysWhy) {
  Policy policy;
  try {
    policy.to_torch_export_ir(out("p.ptir"));
    FAIL() << "expected an error";
  } catch (const mlexport::Error& e) {
    EXPECT_NE(std::string(e.what()).find("2.1"), std::string::npos) << e.what();
    EXPECT_FALSE(fs::exists(out("p.ptir")));
  }
}

struct Doubler : torch::nn::Module, mlexport::Exportable<Doubler> {
  torch::Tensor forward(torch::Tensor x) { return x * 2; }
  torch::Tensor forward_for_export(torch::Tensor x) {
    return x * (export_config().count("factor") ? std::stof(export_config().at("factor")) : 3.0f);
  }
  SampleInput sample_input() { return torch::ones({1, 4}); }
  void prepare_for_export() { ++prepared; }
  void restore_after_export() { ++restored; }
  int prepared = 0, restored = 0;
};

TEST(Exportable, ForwardForExportIsTracedInsteadOfForward) {
  Doubler model;
  auto result = model.to_onnx(out("triple.onnx"));
  EXPECT_EQ(result.validation.status, "PASS");
  auto outputs = run_ones(out("triple.onnx"), {1, 4});
  EXPECT_FLOAT_EQ(outputs.at(0).data<float>()[0], 3.0f);
}

TEST(Exportable, ExportConfigReachesTheModel) {
  Doubler model;
  model.set_export_config({{"factor", "5"}});
  model.to_onnx(out("five.onnx"));
  EXPECT_FLOAT_EQ(run_ones(out("five.onnx"), {1, 4}).at(0).data<float>()[0], 5.0f);
}

TEST(Exportable, PrepareAndRestoreHooksRunOnceEach) {
  Doubler model;
  model.to_onnx(out("hooks.onnx"));
  EXPECT_EQ(model.prepared, 1);
  EXPECT_EQ(model.restored, 1);
  EXPECT_THROW(model.to_torch_export_ir(out("hooks.ptir")), mlexport::Error);
  EXPECT_EQ(model.restored, model.prepared);
}

struct TwoInputs : torch::nn::Module, mlexport::Exportable<TwoInputs> {
  TwoInputs() { fc = register_module("fc", torch::nn::Linear(8, 2)); }
  std::tuple<torch::Tensor, torch::Tensor> forward(torch::Tensor image, torch::Tensor state) {
    auto h = fc(image.flatten(1) + state);
    return {h, h.sum(1)};
  }
  SampleInput sample_input() {
    return SampleInput::named(
        {{"image", torch::randn({2, 2, 4})}, {"state", torch::randn({2, 8})}});
  }
  ExportOptions extra_export_args(const std::string& format) {
    ExportOptions o;
    if (format == "onnx") o.output_names = {"action", "score"};
    return o;
  }
  mlexport::ConfigValue config() {
    return mlexport::ConfigValue::object("policies.TwoInputs",
                                         {{"hidden", 8},
                                          {"mode", mlexport::ConfigValue::enumeration("FAST")},
                                          {"shape", std::make_tuple(2, 4)}});
  }
  torch::nn::Linear fc{nullptr};
};

TEST(Exportable, NamedInputsAndExtraExportArgsNameTheGraph) {
  TwoInputs model;
  auto result = model.to_onnx(out("named.onnx"));
  EXPECT_EQ(result.input_names, (std::vector<std::string>{"image", "state"}));
  EXPECT_EQ(result.output_names, (std::vector<std::string>{"action", "score"}));
  EXPECT_EQ(result.validation.status, "PASS");
  // Options given to the call win over the hook's.
  ExportOptions given;
  given.output_names = {"a", "b"};
  auto renamed = model.to_onnx(out("named2.onnx"), given);
  EXPECT_EQ(renamed.output_names, (std::vector<std::string>{"a", "b"}));
}

TEST(Exportable, ConfigHookIsSavedByToTorch) {
  TwoInputs model;
  auto result = model.to_torch(out("two.pth"));
  EXPECT_EQ(result.format, "torch");
  auto root = mlexport::frontend::checkpoint::load_torch_file(out("two.pth"));
  const auto* config = root->get("config");
  ASSERT_NE(config, nullptr);
  EXPECT_EQ(config->get("class_path")->s, "policies.TwoInputs");
  const auto* args = config->get("init_args");
  EXPECT_EQ(args->get("hidden")->i, 8);
  EXPECT_EQ(args->get("mode")->s, "FAST");
  EXPECT_EQ(args->get("shape")->kind, mlexport::pyvalue::Value::Kind::List);
  const auto* state = root->get("state_dict");
  ASSERT_NE(state, nullptr);
  EXPECT_NE(state->get("fc.weight"), nullptr);
}

struct EncoderDecoder : torch::nn::Module, mlexport::Exportable<EncoderDecoder> {
  EncoderDecoder() {
    encoder = register_module("encoder", torch::nn::Linear(6, 3));
    decoder = register_module("decoder", torch::nn::Linear(3, 6));
  }
  torch::Tensor forward(torch::Tensor x) { return decoder(encoder(x)); }
  SampleInput sample_input() { return torch::randn({1, 6}); }
  std::vector<std::string> list_export_subnets() { return {"encoder", "decoder"}; }
  mlexport::ExportSubnet get_export_subnet(const std::string& name) {
    mlexport::ExportSubnet s;
    if (name == "encoder") {
      s.module = encoder.ptr().get();
      s.forward = [this](const mlexport::TensorList& in) {
        return mlexport::TensorList{encoder(in[0])};
      };
      s.sample = torch::randn({1, 6});
    } else {
      s.module = decoder.ptr().get();
      s.forward = [this](const mlexport::TensorList& in) {
        return mlexport::TensorList{decoder(in[0])};
      };
      s.sample = torch::randn({1, 3});
    }
    return s;
  }
  torch::nn::Linear encoder{nullptr}, decoder{nullptr};
};

TEST(Exportable, SubnetsAreExportedToSeparateFiles) {
  EncoderDecoder model;
  auto results = model.export_subnets(out("ed.onnx"));
  ASSERT_EQ(results.size(), 2u);
  EXPECT_TRUE(fs::exists(out("ed-encoder.onnx")));
  EXPECT_TRUE(fs::exists(out("ed-decoder.onnx")));
  EXPECT_EQ(run_ones(out("ed-encoder.onnx"), {1, 6}).at(0).shape, (std::vector<int64_t>{1, 3}));
  EXPECT_EQ(run_ones(out("ed-decoder.onnx"), {1, 3}).at(0).shape, (std::vector<int64_t>{1, 6}));
  for (const auto& r : results) EXPECT_EQ(r.validation.status, "PASS");
}

TEST(Exportable, FormatComesFromTheExtension) {
  Policy policy;
  EXPECT_EQ(policy.export_to(out("p.onnx")).format, "onnx");
  EXPECT_EQ(policy.export_to(out("p.ts")).format, "torchscript");
  EXPECT_EQ(policy.export_to(out("p.pth")).format, "torch");
  auto ov = policy.export_to(out("p.xml"));
  EXPECT_EQ(ov.format, "openvino");
  EXPECT_TRUE(fs::exists(out("p.bin")));
  EXPECT_EQ(ov.validation.status, "PASS");
}

TEST(Exportable, EveryAvailableFormatValidates) {
  Policy policy;
  for (const auto& format : mlexport::list_formats()) {
    if (!format.available) continue;
    auto result = policy.export_to(out("every" + format.extensions[0]));
    EXPECT_EQ(result.format, format.name);
    EXPECT_TRUE(result.validation.ran) << format.name;
    EXPECT_EQ(result.validation.status, "PASS") << format.name;
  }
}

TEST(Exportable, ZooModelsAreExportable) {
  auto model = mlexport::ZooModel::create("simple_cnn", 10);
  auto onnx = model.to_onnx(out("cnn.onnx"));
  EXPECT_EQ(onnx.validation.status, "PASS");
  auto torch_file = model.to_torch(out("cnn.pth"));
  EXPECT_EQ(torch_file.validation.status, "PASS");
  // The written checkpoint builds the same model again.
  auto again = mlexport::ZooModel::from_checkpoint(out("cnn.pth"));
  EXPECT_EQ(again.zoo_architecture(), "simple_cnn");
  EXPECT_EQ(again.num_classes(), 10);
  torch::NoGradGuard no_grad;
  auto x = torch::randn({1, 3, 64, 64});
  EXPECT_TRUE(torch::allclose(model.forward(x), again.forward(x)));
}

// A hook that asks for opset 13 and no validation, for every format.
struct Opset13Hook : torch::nn::Module, mlexport::Exportable<Opset13Hook> {
  Opset13Hook() { fc = register_module("fc", torch::nn::Linear(4, 2)); }
  torch::Tensor forward(torch::Tensor x) { return fc(x); }
  SampleInput sample_input() { return torch::randn({1, 4}); }
  ExportOptions extra_export_args(const std::string& /*format*/) {
    ExportOptions o;
    o.opset_version = 13;
    o.validate = false;
    return o;
  }
  torch::nn::Linear fc{nullptr};
};

TEST(Exportable, HookOptionsApplyWhenTheCallGivesNone) {
  Opset13Hook model;
  auto result = model.to_onnx(out("hook13.onnx"));
  EXPECT_EQ(mlexport::core::read_onnx_file_info(out("hook13.onnx")).opset, 13);
  EXPECT_FALSE(result.validation.ran);
}

TEST(Exportable, GivenOptionEqualToTheDefaultStillOverridesTheHook) {
  Opset13Hook model;
  // 17 and true are the library's defaults: given explicitly, they win over the hook's values.
  auto result = model.to_onnx(out("given17.onnx"), {.opset_version = 17, .validate = true});
  EXPECT_EQ(mlexport::core::read_onnx_file_info(out("given17.onnx")).opset, 17);
  EXPECT_TRUE(result.validation.ran);
  EXPECT_EQ(result.validation.status, "PASS");
}

TEST(Exportable, DesignatedInitializersNameEveryKindOfOption) {
  Policy policy;
  auto result = policy.to_onnx(
      out("designated.onnx"),
      {.opset_version = 14, .output_names = {{"action"}}, .precision = mlexport::Precision::kFp16});
  EXPECT_EQ(result.output_names, (std::vector<std::string>{"action"}));
  EXPECT_EQ(result.validation.precision, "fp16");
  EXPECT_EQ(mlexport::core::read_onnx_file_info(out("designated.onnx")).precision, "fp16");
}

}  // namespace

// Zoo tests for the segmentation models (src/zoo/segmentation.cpp).
//
// ZooApiSeg.*         registry rows (task, family, aux), output at the input's size for odd
//                     sizes, aux_classifier keys only when asked, the dilated trunks (no Python).
// ZooParitySeg.<name> reads $MLEXPORT_ZOO_REF_DIR/<name>.pt (make_reference_seg.py: torchvision
//                     0.14 with num_classes=5, randomized BatchNorm state and biases; "<model>_aux"
//                     built with aux_loss=True), requires the C++ model's state-dict keys to equal
//                     torchvision's (names and order), loads the state strictly, compares the
//                     eval forward with result["out"] (max|a-b| / max(1, max|a|) <= 1e-5), then
//                     traces the model and runs the traced graph on a second input.
#include <gtest/gtest.h>
#include <torch/csrc/jit/api/function_impl.h>
#include <torch/csrc/jit/frontend/tracer.h>
#include <torch/torch.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "zoo/zoo.h"
#include "zoo/zoo_torch.h"

namespace zoo = mlexport::zoo;

namespace {

const std::vector<std::string> kSegmentation = {"fcn_resnet50",
                                                "fcn_resnet101",
                                                "deeplabv3_resnet50",
                                                "deeplabv3_resnet101",
                                                "deeplabv3_mobilenet_v3_large",
                                                "lraspp_mobilenet_v3_large"};

double scaled_diff(const torch::Tensor& got, const torch::Tensor& expected) {
  const double diff =
      (got.to(torch::kDouble) - expected.to(torch::kDouble)).abs().max().item<double>();
  return diff / std::max(1.0, expected.abs().max().item<double>());
}

struct Reference {
  std::vector<std::string> keys;
  std::map<std::string, at::Tensor> state;
  torch::Tensor input, output;
};

Reference read_reference(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw std::runtime_error("cannot open " + path);
  std::vector<char> bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  const auto record = torch::pickle_load(bytes).toGenericDict();
  Reference ref;
  for (const auto& key : record.at("keys").toListRef()) ref.keys.push_back(key.toStringRef());
  for (const auto& item : record.at("state").toGenericDict())
    ref.state[item.key().toStringRef()] = item.value().toTensor();
  ref.input = record.at("input").toTensor();
  ref.output = record.at("output").toTensor();
  return ref;
}

std::shared_ptr<torch::jit::Graph> trace(const zoo::ZooModel& model, const torch::Tensor& example) {
  auto fn = [&](torch::jit::Stack inputs) -> torch::jit::Stack {
    return {model.forward(inputs.at(0).toTensor())};
  };
  auto traced = torch::jit::tracer::trace(
      {example}, fn, [](const torch::autograd::Variable&) { return std::string(); },
      /*strict=*/false);
  return traced.first->graph;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

void check_parity(const std::string& reference_name) {
  const char* dir = std::getenv("MLEXPORT_ZOO_REF_DIR");
  if (!dir) GTEST_SKIP() << "MLEXPORT_ZOO_REF_DIR is not set (ctest sets it)";
  const Reference ref = read_reference(std::string(dir) + "/" + reference_name + ".pt");
  const bool aux = ends_with(reference_name, "_aux");
  const std::string name =
      aux ? reference_name.substr(0, reference_name.size() - 4) : reference_name;
  auto model = zoo::create_zoo_model(name, 5, aux);

  const auto keys = zoo::state_dict_keys(*model.module);
  for (size_t i = 0; i < std::min(keys.size(), ref.keys.size()); ++i)
    ASSERT_EQ(keys[i], ref.keys[i]) << reference_name << " key " << i;
  ASSERT_EQ(keys.size(), ref.keys.size()) << reference_name;
  zoo::load_state_dict(*model.module, ref.state, /*strict=*/true);
  for (const auto& [key, value] : zoo::named_state(*model.module))
    ASSERT_TRUE(torch::equal(value, ref.state.at(key))) << key << " not loaded";

  torch::NoGradGuard no_grad;
  const auto output = model.forward(ref.input);
  ASSERT_EQ(output.sizes(), ref.output.sizes()) << reference_name;
  const double diff = scaled_diff(output, ref.output);
  EXPECT_LE(diff, 1e-5) << reference_name;

  auto graph = trace(model, ref.input);
  const auto second = torch::randn_like(ref.input) * 2;
  torch::jit::GraphFunction function("forward", graph->copy(), nullptr);
  const double trace_diff = scaled_diff(function({second}).toTensor(), model.forward(second));
  EXPECT_LE(trace_diff, 1e-5) << reference_name << " traced graph";
  std::cout << "[zoo] " << reference_name << " max_scaled_diff=" << diff
            << " traced_diff=" << trace_diff << " keys=" << keys.size() << std::endl;
  ::testing::Test::RecordProperty("max_scaled_diff", std::to_string(diff));
}

bool has_prefix(const std::vector<std::string>& keys, const std::string& prefix) {
  return std::any_of(keys.begin(), keys.end(),
                     [&](const std::string& k) { return k.rfind(prefix, 0) == 0; });
}

}  // namespace

TEST(ZooApiSeg, RegistryRows) {
  for (const auto& name : kSegmentation) {
    ASSERT_TRUE(zoo::has_model(name)) << name;
    EXPECT_EQ(zoo::model_task(name), "segmentation") << name;
    EXPECT_EQ(zoo::default_input_shape(name), (std::vector<int64_t>{3, 520, 520})) << name;
    EXPECT_EQ(zoo::has_aux_classifier(name), name != "lraspp_mobilenet_v3_large") << name;
  }
  EXPECT_EQ(zoo::model_task("resnet18"), "classification");
  EXPECT_FALSE(zoo::has_aux_classifier("resnet18"));
  EXPECT_THROW(zoo::create_zoo_model("resnet18", 10, true), std::invalid_argument);
}

TEST(ZooApiSeg, OutputHasTheInputsSizeAndTheClasses) {
  torch::NoGradGuard no_grad;
  for (const char* name : {"lraspp_mobilenet_v3_large", "deeplabv3_mobilenet_v3_large"}) {
    auto model = zoo::create_zoo_model(name, 3);
    for (auto [h, w] : std::vector<std::pair<int64_t, int64_t>>{{33, 47}, {64, 64}})
      EXPECT_EQ(model.forward(torch::randn({2, 3, h, w})).sizes(), (at::IntArrayRef{2, 3, h, w}))
          << name << " " << h << "x" << w;
  }
}

TEST(ZooApiSeg, AuxClassifierOnlyWhenAsked) {
  auto plain =
      zoo::state_dict_keys(*zoo::create_zoo_model("deeplabv3_mobilenet_v3_large", 4).module);
  auto with =
      zoo::state_dict_keys(*zoo::create_zoo_model("deeplabv3_mobilenet_v3_large", 4, true).module);
  EXPECT_FALSE(has_prefix(plain, "aux_classifier."));
  EXPECT_TRUE(has_prefix(with, "aux_classifier.4.weight"));
  EXPECT_EQ(with.size(), plain.size() + 8);  // conv, BatchNorm (5 entries), conv weight + bias
  // The backbone keeps features 0..16 under "backbone." (IntermediateLayerGetter), no classifier
  // of the classification model.
  EXPECT_TRUE(has_prefix(plain, "backbone.16.0.weight"));
  EXPECT_FALSE(has_prefix(plain, "backbone.17"));
  EXPECT_FALSE(has_prefix(plain, "backbone.classifier"));
}

TEST(ZooApiSeg, DilatedResNetTrunkKeepsOutputStride8) {
  torch::NoGradGuard no_grad;
  auto model = zoo::create_zoo_model("fcn_resnet50", 2);
  const auto named = model.module->named_parameters();
  // layer4's first block: stride 1 (dilation replaces it), a 1x1 downsample without stride.
  EXPECT_TRUE(named.contains("backbone.layer4.0.downsample.0.weight"));
  EXPECT_FALSE(named.contains("backbone.fc.weight"));
  auto* conv = model.module->named_modules()["backbone.layer4.1.conv2"]->as<torch::nn::Conv2d>();
  ASSERT_NE(conv, nullptr);
  EXPECT_EQ(conv->options.dilation()->at(0), 4);
  EXPECT_EQ(conv->options.stride()->at(0), 1);
  auto* first = model.module->named_modules()["backbone.layer3.0.conv2"]->as<torch::nn::Conv2d>();
  EXPECT_EQ(first->options.dilation()->at(0), 1);  // the first block keeps the previous dilation
}

#define SEG_PARITY(name)     \
  TEST(ZooParitySeg, name) { \
    check_parity(#name);     \
  }
SEG_PARITY(fcn_resnet50)
SEG_PARITY(fcn_resnet101)
SEG_PARITY(deeplabv3_resnet50)
SEG_PARITY(deeplabv3_resnet101)
SEG_PARITY(deeplabv3_mobilenet_v3_large)
SEG_PARITY(lraspp_mobilenet_v3_large)
SEG_PARITY(fcn_resnet50_aux)
SEG_PARITY(deeplabv3_mobilenet_v3_large_aux)

// Zoo tests: registry API, state-dict loading, and numerical parity with torchvision.
//
// ZooApi.*         registry contents, stable keys of our own models, load_state_dict reports,
//                  legacy DenseNet keys, tracing.
// ZooParity.<name> reads $MLEXPORT_ZOO_REF_DIR/<name>.pt (make_reference.py: torchvision 0.14 with
//                  num_classes=10, randomized BatchNorm state), requires the C++ model's state-dict
//                  keys to equal torchvision's (names and order), loads the state dict strictly,
//                  compares the eval forward with the eager output (max|a-b| / max(1, max|a|) <=
//                  1e-5), then traces the model and runs the traced graph on a second input.
#include <gtest/gtest.h>
#include <torch/csrc/jit/api/function_impl.h>
#include <torch/csrc/jit/frontend/tracer.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "zoo/zoo.h"
#include "zoo/zoo_torch.h"

namespace zoo = mlexport::zoo;

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double scaled_diff(const torch::Tensor& got, const torch::Tensor& expected) {
  const double diff =
      (got.to(torch::kDouble) - expected.to(torch::kDouble)).abs().max().item<double>();
  const double scale = std::max(1.0, expected.abs().max().item<double>());
  return diff / scale;
}

struct Reference {
  std::vector<std::string> keys;
  std::map<std::string, at::Tensor> state;
  torch::Tensor input;
  torch::Tensor output;
};

Reference read_reference(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw std::runtime_error("cannot open " + path);
  file.seekg(0, std::ios::end);
  std::vector<char> bytes(static_cast<size_t>(file.tellg()));
  file.seekg(0, std::ios::beg);
  if (!file.read(bytes.data(), static_cast<std::streamsize>(bytes.size()))) {
    throw std::runtime_error("cannot read " + path);
  }
  const auto record = torch::pickle_load(bytes).toGenericDict();
  Reference ref;
  for (const auto& key : record.at("keys").toListRef()) ref.keys.push_back(key.toStringRef());
  for (const auto& item : record.at("state").toGenericDict()) {
    ref.state[item.key().toStringRef()] = item.value().toTensor();
  }
  ref.input = record.at("input").toTensor();
  ref.output = record.at("output").toTensor();
  return ref;
}

// Traces model.forward on `example` with the LibTorch tracer; returns the traced graph.
std::shared_ptr<torch::jit::Graph> trace(const zoo::ZooModel& model, const torch::Tensor& example) {
  auto fn = [&](torch::jit::Stack inputs) -> torch::jit::Stack {
    return {model.forward(inputs.at(0).toTensor())};
  };
  auto traced = torch::jit::tracer::trace(
      {example}, fn, [](const torch::autograd::Variable&) { return std::string(); },
      /*strict=*/false);
  return traced.first->graph;
}

torch::Tensor run_graph(const std::shared_ptr<torch::jit::Graph>& graph, const torch::Tensor& x) {
  torch::jit::GraphFunction function("forward", graph->copy(), nullptr);
  return function({x}).toTensor();
}

void check_parity(const std::string& name) {
  const char* dir = std::getenv("MLEXPORT_ZOO_REF_DIR");
  if (!dir) GTEST_SKIP() << "MLEXPORT_ZOO_REF_DIR is not set (ctest sets it)";
  auto start = Clock::now();
  const Reference ref = read_reference(std::string(dir) + "/" + name + ".pt");
  const double read_s = seconds_since(start);

  start = Clock::now();
  auto model = zoo::create_zoo_model(name, 10);
  const double build_s = seconds_since(start);

  // Names and order, exactly as torchvision's state_dict().
  const auto keys = zoo::state_dict_keys(*model.module);
  ASSERT_EQ(keys.size(), ref.keys.size()) << name;
  for (size_t i = 0; i < keys.size(); ++i) ASSERT_EQ(keys[i], ref.keys[i]) << name << " key " << i;

  start = Clock::now();
  std::vector<std::string> missing, unexpected, mismatched;
  zoo::load_state_dict(*model.module, ref.state, /*strict=*/true, &missing, &unexpected,
                       &mismatched);
  const double load_s = seconds_since(start);
  EXPECT_TRUE(missing.empty()) << missing.front();
  EXPECT_TRUE(unexpected.empty()) << unexpected.front();
  EXPECT_TRUE(mismatched.empty()) << mismatched.front();
  for (const auto& [key, value] : zoo::named_state(*model.module)) {
    ASSERT_TRUE(torch::equal(value, ref.state.at(key))) << name << ": " << key << " not loaded";
    ASSERT_FALSE(value.requires_grad()) << key;
  }

  torch::NoGradGuard no_grad;
  EXPECT_FALSE(model.module->is_training());
  start = Clock::now();
  const auto output = model.forward(ref.input);
  const double forward_s = seconds_since(start);
  ASSERT_EQ(output.sizes(), ref.output.sizes()) << name;
  const double diff = scaled_diff(output, ref.output);
  EXPECT_LE(diff, 1e-5) << name;

  // Traceable, and the traced graph computes the model (weights are constants in it).
  start = Clock::now();
  auto graph = trace(model, ref.input);
  const auto second = torch::randn_like(ref.input, torch::TensorOptions().dtype(torch::kFloat)) * 2;
  const double trace_diff = scaled_diff(run_graph(graph, second), model.forward(second));
  const double trace_s = seconds_since(start);
  EXPECT_LE(trace_diff, 1e-5) << name << " traced graph";

  std::cout << "[zoo] " << name << " max_scaled_diff=" << diff << " traced_diff=" << trace_diff
            << " keys=" << keys.size() << " read=" << read_s << "s build=" << build_s
            << "s load=" << load_s << "s forward=" << forward_s << "s trace+run=" << trace_s << "s"
            << std::endl;
  ::testing::Test::RecordProperty("max_scaled_diff", std::to_string(diff));
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Registry and helpers

TEST(ZooApi, RegistryListsOurModels) {
  const auto names = zoo::model_names();
  for (const char* name : {"resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "vgg11",
                           "vgg13", "vgg16", "vgg19", "densenet121", "densenet161", "densenet169",
                           "densenet201", "mobilenet_v2", "simple_cnn", "tiny_net"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), name), names.end()) << name;
    EXPECT_TRUE(zoo::has_model(name)) << name;
  }
  EXPECT_FALSE(zoo::has_model("resnet19"));
  EXPECT_EQ(zoo::default_input_shape("resnet50"), (std::vector<int64_t>{3, 224, 224}));
  EXPECT_EQ(zoo::default_input_shape("tiny_net"), (std::vector<int64_t>{3, 64, 64}));
  EXPECT_EQ(zoo::model_family("densenet169"), "densenet");
  EXPECT_EQ(zoo::model_family("simple_cnn"), "custom");
  EXPECT_THROW(zoo::default_input_shape("nope"), std::out_of_range);
  EXPECT_THROW(zoo::create_zoo_model("nope", 10), std::out_of_range);
  EXPECT_THROW(zoo::create_zoo_model("tiny_net", 0), std::invalid_argument);
}

TEST(ZooApi, CustomModelKeysAreStable) {
  const std::vector<std::string> tiny{"conv1.weight", "conv1.bias", "conv2.weight",
                                      "conv2.bias",   "fc.weight",  "fc.bias"};
  EXPECT_EQ(zoo::state_dict_keys(*zoo::create_model("tiny_net", 10)), tiny);

  std::vector<std::string> simple;
  for (int block = 0; block < 3; ++block) {
    const std::string conv = "features." + std::to_string(4 * block) + ".";
    const std::string bn = "features." + std::to_string(4 * block + 1) + ".";
    simple.push_back(conv + "weight");
    for (const char* k : {"weight", "bias", "running_mean", "running_var", "num_batches_tracked"}) {
      simple.push_back(bn + k);
    }
  }
  simple.push_back("classifier.weight");
  simple.push_back("classifier.bias");
  EXPECT_EQ(zoo::state_dict_keys(*zoo::create_model("simple_cnn", 10)), simple);
}

TEST(ZooApi, HeadFollowsNumClassesAndInputSizeIsFree) {
  torch::NoGradGuard no_grad;
  for (const char* name : {"resnet18", "mobilenet_v2", "simple_cnn", "tiny_net"}) {
    auto model = zoo::create_zoo_model(name, 7);
    for (int64_t side : {32, 97}) {
      EXPECT_EQ(model.forward(torch::randn({2, 3, side, side})).sizes(), (at::IntArrayRef{2, 7}))
          << name << " " << side;
    }
  }
}

TEST(ZooApi, LoadStateDictReportsMissingUnexpectedAndMismatched) {
  auto source = zoo::create_model("simple_cnn", 10);
  std::map<std::string, at::Tensor> state;
  for (const auto& [key, value] : zoo::named_state(*source)) state[key] = value.clone();
  state.erase("features.0.weight");
  state.erase("features.1.num_batches_tracked");  // old checkpoints lack it: not reported
  state["features.2.weight"] = torch::zeros({3});
  state["classifier.bias"] = torch::zeros({11});

  auto target = zoo::create_model("simple_cnn", 10);
  const auto before = target->named_parameters()["features.5.weight"].clone();
  std::vector<std::string> missing, unexpected, mismatched;
  EXPECT_THROW(zoo::load_state_dict(*target, state, true, &missing, &unexpected, &mismatched),
               std::runtime_error);
  EXPECT_EQ(missing, std::vector<std::string>{"features.0.weight"});
  EXPECT_EQ(unexpected, std::vector<std::string>{"features.2.weight"});
  ASSERT_EQ(mismatched.size(), 1u);
  EXPECT_EQ(mismatched[0].rfind("classifier.bias:", 0), 0u) << mismatched[0];
  // Strict failure copies nothing.
  EXPECT_TRUE(torch::equal(target->named_parameters()["features.5.weight"], before));

  const auto bias_before = target->named_parameters()["classifier.bias"].clone();
  zoo::load_state_dict(*target, state, false, &missing, &unexpected, &mismatched);
  EXPECT_EQ(missing.size(), 1u);
  EXPECT_EQ(unexpected.size(), 1u);
  EXPECT_EQ(mismatched.size(), 1u);
  // Non-strict: matching tensors are copied, the mismatched one is left alone.
  EXPECT_TRUE(
      torch::equal(target->named_parameters()["features.5.weight"], state.at("features.5.weight")));
  EXPECT_TRUE(torch::equal(target->named_parameters()["classifier.bias"], bias_before));
}

TEST(ZooApi, LoadsLegacyDenseNetKeys) {
  auto source = zoo::create_model("densenet121", 10);
  std::map<std::string, at::Tensor> legacy;
  size_t renamed = 0;
  for (const auto& [key, value] : zoo::named_state(*source)) {
    std::string k = key;
    for (const char* part : {".norm1.", ".norm2.", ".conv1.", ".conv2."}) {
      const auto pos = k.find(part);
      if (pos != std::string::npos && k.find("denselayer") != std::string::npos &&
          k.find("num_batches_tracked") == std::string::npos) {
        k = k.substr(0, pos) + "." + std::string(part + 1, 4) + "." + std::string(1, part[5]) +
            k.substr(pos + 6);
        ++renamed;
      }
    }
    legacy[k] = value.clone() + 1;
  }
  ASSERT_GT(renamed, 0u);
  ASSERT_TRUE(legacy.count("features.denseblock1.denselayer1.norm.1.weight"));
  auto target = zoo::create_model("densenet121", 10);
  zoo::load_state_dict(*target, legacy, true);
  EXPECT_TRUE(
      torch::equal(target->named_parameters()["features.denseblock1.denselayer1.norm1.weight"],
                   legacy.at("features.denseblock1.denselayer1.norm.1.weight")));
}

TEST(ZooApi, TracedGraphMatchesEager) {
  torch::NoGradGuard no_grad;
  auto model = zoo::create_zoo_model("tiny_net", 10);
  auto graph = trace(model, torch::randn({1, 3, 16, 16}));
  size_t convolutions = 0;
  for (const auto* node : graph->nodes()) {
    if (node->kind().toQualString() == std::string("aten::_convolution")) ++convolutions;
  }
  EXPECT_EQ(convolutions, 2u) << *graph;
  const auto x = torch::randn({1, 3, 16, 16});
  EXPECT_LE(scaled_diff(run_graph(graph, x), model.forward(x)), 1e-6);
}

// ---------------------------------------------------------------------------------------------
// Parity with torchvision (one test per model; ctest runs each with its own reference fixture).

#define ZOO_PARITY(name)  \
  TEST(ZooParity, name) { \
    check_parity(#name);  \
  }

ZOO_PARITY(resnet18)
ZOO_PARITY(resnet34)
ZOO_PARITY(resnet50)
ZOO_PARITY(resnet101)
ZOO_PARITY(resnet152)
ZOO_PARITY(vgg11)
ZOO_PARITY(vgg13)
ZOO_PARITY(vgg16)
ZOO_PARITY(vgg19)
ZOO_PARITY(densenet121)
ZOO_PARITY(densenet161)
ZOO_PARITY(densenet169)
ZOO_PARITY(densenet201)
ZOO_PARITY(mobilenet_v2)
ZOO_PARITY(simple_cnn)
ZOO_PARITY(tiny_net)

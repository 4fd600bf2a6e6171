// Zoo tests: registry API, state-dict loading, and numerical parity with torchvision.
//
// ZooApi.*, ZooApiB.*, ZooApiSeg.*   no Python: registry contents, stable keys of our own models,
//     load_state_dict reports, legacy DenseNet keys, tracing (ZooApi); head size, free input
//     size, ViT image size, normalization eps, stochastic depth (ZooApiB: mobilenet_v3,
//     efficientnet, vit, convnext); segmentation rows, output at the input's size, aux_classifier
//     keys only when asked, the dilated trunks (ZooApiSeg).
// Zoo/ZooParity.Torchvision/<name>   one test per row of kParityCases: reads
//     $MLEXPORT_ZOO_REF_DIR/<name>.pt (make_reference.py: torchvision 0.14, randomized
//     normalization state and biases; "<model>_aux" built with aux_loss=True), requires the C++
//     model's state-dict keys to equal torchvision's (names and order), loads the state dict
//     strictly, compares the eval forward with the eager output (segmentation: result["out"];
//     max|a-b| / max(1, max|a|) <= 1e-5), then traces the model and runs the traced graph on a
//     second input.
#include <gtest/gtest.h>
#include <torch/csrc/jit/api/function_impl.h>
#include <torch/csrc/jit/frontend/tracer.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "zoo/zoo.h"
#include "zoo/zoo_torch.h"

namespace mlexport::zoo {
// vit.cpp: a ViT variant for another image size (the registry builds image_size 224).
ZooModel build_vit(const std::string& name, int64_t num_classes, int64_t image_size);
}  // namespace mlexport::zoo

namespace zoo = mlexport::zoo;

namespace {

// The parity rows: the reference (and test) name, and the classes the reference was built with
// (make_reference.py's MODELS: the same names). ctest picks one row per test (tests/zoo/
// CMakeLists.txt: the default run and the compat run).
struct ParityCase {
  const char* name;
  int64_t num_classes;
};

const ParityCase kParityCases[] = {
    // Classification (src/zoo/{resnet,vgg,densenet,mobilenet_v2,custom}.cpp).
    {"resnet18", 10},
    {"resnet34", 10},
    {"resnet50", 10},
    {"resnet101", 10},
    {"resnet152", 10},
    {"vgg11", 10},
    {"vgg13", 10},
    {"vgg16", 10},
    {"vgg19", 10},
    {"densenet121", 10},
    {"densenet161", 10},
    {"densenet169", 10},
    {"densenet201", 10},
    {"mobilenet_v2", 10},
    {"simple_cnn", 10},
    {"tiny_net", 10},
    // mobilenet_v3, efficientnet, vit, convnext.
    {"mobilenet_v3_small", 10},
    {"mobilenet_v3_large", 10},
    {"efficientnet_b0", 10},
    {"efficientnet_b1", 10},
    {"efficientnet_b2", 10},
    {"efficientnet_b3", 10},
    {"vit_b_16", 10},
    {"vit_b_32", 10},
    {"vit_l_16", 10},
    {"convnext_tiny", 10},
    {"convnext_small", 10},
    {"convnext_base", 10},
    // Segmentation (src/zoo/segmentation.cpp); "_aux": built with aux_loss=True.
    {"fcn_resnet50", 5},
    {"fcn_resnet101", 5},
    {"deeplabv3_resnet50", 5},
    {"deeplabv3_resnet101", 5},
    {"deeplabv3_mobilenet_v3_large", 5},
    {"lraspp_mobilenet_v3_large", 5},
    {"fcn_resnet50_aux", 5},
    {"deeplabv3_mobilenet_v3_large_aux", 5},
};

const std::vector<std::string> kSegmentation = {"fcn_resnet50",
                                                "fcn_resnet101",
                                                "deeplabv3_resnet50",
                                                "deeplabv3_resnet101",
                                                "deeplabv3_mobilenet_v3_large",
                                                "lraspp_mobilenet_v3_large"};

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
  std::vector<char> bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  const auto record = torch::pickle_load(bytes).toGenericDict();
  bytes = {};  // the big models' references are hundreds of MB
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

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

void check_parity(const ParityCase& row) {
  const std::string name = row.name;
  const char* dir = std::getenv("MLEXPORT_ZOO_REF_DIR");
  if (!dir) GTEST_SKIP() << "MLEXPORT_ZOO_REF_DIR is not set (ctest sets it)";
  auto start = Clock::now();
  const Reference ref = read_reference(std::string(dir) + "/" + name + ".pt");
  const double read_s = seconds_since(start);

  start = Clock::now();
  const bool aux = ends_with(name, "_aux");
  auto model =
      zoo::create_zoo_model(aux ? name.substr(0, name.size() - 4) : name, row.num_classes, aux);
  const double build_s = seconds_since(start);

  // Names and order, exactly as torchvision's state_dict().
  const auto keys = zoo::state_dict_keys(*model.module);
  for (size_t i = 0; i < std::min(keys.size(), ref.keys.size()); ++i) {
    ASSERT_EQ(keys[i], ref.keys[i]) << name << " key " << i;
  }
  ASSERT_EQ(keys.size(), ref.keys.size()) << name;

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

// Models built once per process (building initialises every weight: seconds for the big ones).
// In eval mode, parameters not requiring grad; tests that switch to training build their own.
const zoo::ZooModel& shared_model(const std::string& name, int64_t num_classes = 10) {
  static std::map<std::pair<std::string, int64_t>, zoo::ZooModel> models;
  auto it = models.find({name, num_classes});
  if (it == models.end()) {
    it = models.emplace(std::make_pair(name, num_classes), zoo::create_zoo_model(name, num_classes))
             .first;
  }
  return it->second;
}

bool has_key(const std::vector<std::string>& keys, const std::string& key) {
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

bool has_prefix(const std::vector<std::string>& keys, const std::string& prefix) {
  return std::any_of(keys.begin(), keys.end(),
                     [&](const std::string& k) { return k.rfind(prefix, 0) == 0; });
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
// mobilenet_v3, efficientnet, vit and convnext: registry and model properties (no Python)

TEST(ZooApiB, RegistryListsTheFamilies) {
  const std::vector<std::pair<std::string, std::vector<std::string>>> families = {
      {"mobilenet_v3", {"mobilenet_v3_small", "mobilenet_v3_large"}},
      {"efficientnet",
       {"efficientnet_b0", "efficientnet_b1", "efficientnet_b2", "efficientnet_b3"}},
      {"vit", {"vit_b_16", "vit_b_32", "vit_l_16"}},
      {"convnext", {"convnext_tiny", "convnext_small", "convnext_base"}},
  };
  for (const auto& [family, names] : families) {
    for (const auto& name : names) {
      ASSERT_TRUE(zoo::has_model(name)) << name;
      EXPECT_EQ(zoo::model_family(name), family) << name;
      EXPECT_EQ(zoo::default_input_shape(name), (std::vector<int64_t>{3, 224, 224})) << name;
    }
  }
}

TEST(ZooApiB, HeadFollowsNumClassesAndInputSizeIsFree) {
  torch::NoGradGuard no_grad;
  for (const char* name : {"mobilenet_v3_small", "efficientnet_b0", "convnext_tiny"}) {
    const auto& model = shared_model(name, 7);
    for (int64_t side : {32, 97}) {
      EXPECT_EQ(model.forward(torch::randn({2, 3, side, side})).sizes(), (at::IntArrayRef{2, 7}))
          << name << " " << side;
    }
  }
}

TEST(ZooApiB, ViTImageSizeIsAConstructorParameter) {
  torch::NoGradGuard no_grad;
  auto model = zoo::build_vit("vit_b_32", 5, 96);
  zoo::prepare_for_inference(*model.module);
  const auto named = model.module->named_parameters();
  EXPECT_EQ(named["encoder.pos_embedding"].sizes(), (at::IntArrayRef{1, 10, 768}));  // 3x3 + 1
  EXPECT_EQ(named["class_token"].sizes(), (at::IntArrayRef{1, 1, 768}));
  EXPECT_EQ(named["conv_proj.weight"].sizes(), (at::IntArrayRef{768, 3, 32, 32}));
  EXPECT_EQ(named["heads.head.weight"].sizes(), (at::IntArrayRef{5, 768}));
  EXPECT_EQ(model.forward(torch::randn({2, 3, 96, 96})).sizes(), (at::IntArrayRef{2, 5}));
  EXPECT_THROW(model.forward(torch::randn({1, 3, 224, 224})), c10::Error);
  EXPECT_THROW(zoo::build_vit("vit_b_16", 5, 100), c10::Error);  // not a multiple of 16
  EXPECT_THROW(zoo::build_vit("vit_h_14", 5, 224), std::out_of_range);
}

TEST(ZooApiB, KeysFollowTorchvision) {
  const auto mnv3 = zoo::state_dict_keys(*shared_model("mobilenet_v3_small").module);
  for (const char* key : {"features.0.0.weight", "features.0.1.running_var",
                          "features.1.block.0.0.weight", "features.1.block.1.fc1.weight",
                          "features.1.block.1.fc2.bias", "features.4.block.2.fc1.bias",
                          "features.12.0.weight", "classifier.0.weight", "classifier.3.bias"}) {
    EXPECT_TRUE(has_key(mnv3, key)) << key;
  }
  const auto eff = zoo::state_dict_keys(*shared_model("efficientnet_b0").module);
  for (const char* key : {"features.0.0.weight", "features.1.0.block.0.0.weight",
                          "features.1.0.block.1.fc1.weight", "features.2.1.block.2.fc2.bias",
                          "features.8.1.num_batches_tracked", "classifier.1.weight"}) {
    EXPECT_TRUE(has_key(eff, key)) << key;
  }
  const auto vit = zoo::state_dict_keys(*shared_model("vit_b_32").module);
  for (const char* key :
       {"class_token", "conv_proj.weight", "encoder.pos_embedding",
        "encoder.layers.encoder_layer_0.ln_1.weight",
        "encoder.layers.encoder_layer_0.self_attention.in_proj_weight",
        "encoder.layers.encoder_layer_0.self_attention.in_proj_bias",
        "encoder.layers.encoder_layer_0.self_attention.out_proj.weight",
        "encoder.layers.encoder_layer_11.mlp.0.weight",
        "encoder.layers.encoder_layer_11.mlp.3.bias", "encoder.ln.bias", "heads.head.weight"}) {
    EXPECT_TRUE(has_key(vit, key)) << key;
  }
  const auto cnx = zoo::state_dict_keys(*shared_model("convnext_tiny").module);
  for (const char* key :
       {"features.0.0.weight", "features.0.1.bias", "features.1.0.layer_scale",
        "features.1.0.block.0.weight", "features.1.0.block.2.weight", "features.1.0.block.3.weight",
        "features.1.0.block.5.bias", "features.2.0.weight", "features.2.1.weight",
        "features.7.2.layer_scale", "classifier.0.weight", "classifier.2.bias"}) {
    EXPECT_TRUE(has_key(cnx, key)) << key;
  }
}

TEST(ZooApiB, NormalizationEpsFollowsTorchvision) {
  // torchvision: MobileNetV3 BatchNorm2d(eps=1e-3, momentum=0.01); EfficientNet B0-B4 the default
  // BatchNorm2d (eps=1e-5, momentum=0.1).
  auto bn_options = [](const std::string& name) {
    std::vector<std::pair<double, double>> found;
    for (const auto& m : shared_model(name).module->modules()) {
      if (auto* bn = m->as<torch::nn::BatchNorm2d>()) {
        found.emplace_back(bn->options.eps(), bn->options.momentum().value());
      }
    }
    return found;
  };
  const auto mnv3 = bn_options("mobilenet_v3_small");
  ASSERT_FALSE(mnv3.empty());
  for (const auto& [eps, momentum] : mnv3) {
    EXPECT_DOUBLE_EQ(eps, 1e-3);
    EXPECT_DOUBLE_EQ(momentum, 0.01);
  }
  const auto eff = bn_options("efficientnet_b0");
  ASSERT_FALSE(eff.empty());
  for (const auto& [eps, momentum] : eff) {
    EXPECT_DOUBLE_EQ(eps, 1e-5);
    EXPECT_DOUBLE_EQ(momentum, 0.1);
  }
  size_t layer_norms = 0;
  for (const auto& m : shared_model("vit_b_32").module->modules()) {
    if (auto* ln = m->as<torch::nn::LayerNorm>()) {
      EXPECT_DOUBLE_EQ(ln->options.eps(), 1e-6);
      ++layer_norms;
    }
  }
  EXPECT_EQ(layer_norms, 2u * 12u + 1u);
}

TEST(ZooApiB, StochasticDepthIsIdentityInEvalOnly) {
  // ConvNeXt has no BatchNorm and no Dropout: in training mode only stochastic depth
  // (stochastic_depth_prob 0.1 for convnext_tiny) makes the forward random.
  torch::manual_seed(0);
  const auto& model = shared_model("convnext_tiny");
  const auto x = torch::randn({4, 3, 32, 32});
  torch::NoGradGuard no_grad;
  const auto a = model.forward(x);
  EXPECT_TRUE(torch::equal(a, model.forward(x))) << "eval forward must be deterministic";
  model.module->train();
  bool differs = false;
  // ConvNeXt's layer scale starts at 1e-6, so a dropped branch moves the output by about that
  // much: any difference counts, a tolerance would hide it.
  for (int i = 0; i < 5 && !differs; ++i) differs = !torch::equal(model.forward(x), a);
  model.module->eval();
  EXPECT_TRUE(differs) << "training forward should drop residual branches";
  EXPECT_TRUE(torch::equal(a, model.forward(x)));
}

TEST(ZooApiB, TracedGraphsMatchEager) {
  torch::NoGradGuard no_grad;
  for (const char* name : {"mobilenet_v3_small", "efficientnet_b0", "convnext_tiny"}) {
    const auto& model = shared_model(name);
    auto graph = trace(model, torch::randn({1, 3, 48, 48}));
    const auto x = torch::randn({1, 3, 48, 48});
    EXPECT_LE(scaled_diff(run_graph(graph, x), model.forward(x)), 1e-6) << name;
  }
  auto vit = zoo::build_vit("vit_b_32", 10, 64);
  zoo::prepare_for_inference(*vit.module);
  auto graph = trace(vit, torch::randn({2, 3, 64, 64}));
  size_t softmax = 0;
  for (const auto* node : graph->nodes()) {
    if (node->kind().toQualString() == std::string("aten::softmax")) ++softmax;
  }
  EXPECT_EQ(softmax, 12u);
  const auto x = torch::randn({2, 3, 64, 64});
  EXPECT_LE(scaled_diff(run_graph(graph, x), vit.forward(x)), 1e-6);
}

// ---------------------------------------------------------------------------------------------
// Segmentation: registry and model properties (no Python)

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

// ---------------------------------------------------------------------------------------------
// Parity with torchvision (one test per row; ctest runs each with its own reference fixture).

class ZooParity : public ::testing::TestWithParam<ParityCase> {};

TEST_P(ZooParity, Torchvision) {
  check_parity(GetParam());
}

INSTANTIATE_TEST_SUITE_P(Zoo, ZooParity, ::testing::ValuesIn(kParityCases),
                         [](const ::testing::TestParamInfo<ParityCase>& info) {
                           return std::string(info.param.name);
                         });

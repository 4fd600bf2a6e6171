// Zoo test for padim_resnet18 (src/zoo/padim.cpp).
//
// ZooParityAnomaly.padim_resnet18 reads $MLEXPORT_ZOO_REF_DIR/padim_resnet18.pt
// (make_reference_anomaly.py: torchvision resnet18 with randomized BatchNorm state, 100 random
// channels of 448, a Gaussian fitted per patch on random images), sizes the statistics from the
// state as the checkpoint loader does, requires torchvision-style keys in the same order, loads
// strictly and compares both outputs (anomaly_map, pred_score; max|a-b| / max(1, max|a|) <= 1e-5).
// ZooApiAnomaly.* checks the registry row and the statistics refusing an input of another size.
#include <gtest/gtest.h>
#include <torch/torch.h>

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

double scaled_diff(const torch::Tensor& got, const torch::Tensor& expected) {
  const double diff =
      (got.to(torch::kDouble) - expected.to(torch::kDouble)).abs().max().item<double>();
  return diff / std::max(1.0, expected.abs().max().item<double>());
}

}  // namespace

TEST(ZooApiAnomaly, RegistryRow) {
  ASSERT_TRUE(zoo::has_model("padim_resnet18"));
  EXPECT_EQ(zoo::model_task("padim_resnet18"), "anomaly");
  EXPECT_EQ(zoo::default_input_shape("padim_resnet18"), (std::vector<int64_t>{3, 256, 256}));
  const auto keys = zoo::state_dict_keys(*zoo::create_zoo_model("padim_resnet18", 1).module);
  EXPECT_EQ(keys.front(), "idx");
  EXPECT_EQ(keys.back(), "gaussian.inv_covariance");
  for (const auto& key : keys) EXPECT_EQ(key.find("layer4"), std::string::npos) << key;
}

TEST(ZooApiAnomaly, StatisticsFixTheInputSize) {
  torch::NoGradGuard no_grad;
  auto model = zoo::create_zoo_model("padim_resnet18", 1);
  const auto outputs = model.forward_outputs(torch::randn({2, 3, 256, 256}));
  ASSERT_EQ(outputs.size(), 2u);
  EXPECT_EQ(outputs[0].sizes(), (at::IntArrayRef{2, 1, 256, 256}));
  EXPECT_EQ(outputs[1].sizes(), (at::IntArrayRef{2}));
  try {
    model.forward(torch::randn({1, 3, 128, 128}));
    FAIL() << "an input of another size ran";
  } catch (const c10::Error& e) {
    EXPECT_NE(std::string(e.what()).find("fitted for 4096 patches"), std::string::npos) << e.what();
  }
}

TEST(ZooParityAnomaly, padim_resnet18) {
  const char* dir = std::getenv("MLEXPORT_ZOO_REF_DIR");
  if (!dir) GTEST_SKIP() << "MLEXPORT_ZOO_REF_DIR is not set (ctest sets it)";
  std::ifstream file(std::string(dir) + "/padim_resnet18.pt", std::ios::binary);
  ASSERT_TRUE(file) << "no reference";
  std::vector<char> bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  const auto record = torch::pickle_load(bytes).toGenericDict();
  std::vector<std::string> ref_keys;
  for (const auto& key : record.at("keys").toListRef()) ref_keys.push_back(key.toStringRef());
  std::map<std::string, at::Tensor> state;
  for (const auto& item : record.at("state").toGenericDict())
    state[item.key().toStringRef()] = item.value().toTensor();

  auto model = zoo::create_zoo_model("padim_resnet18", 1);
  zoo::find_entry("padim_resnet18").fit_to_state(*model.module, state);
  EXPECT_EQ(zoo::state_dict_keys(*model.module), ref_keys);
  zoo::load_state_dict(*model.module, state, /*strict=*/true);

  torch::NoGradGuard no_grad;
  const auto outputs = model.forward_outputs(record.at("input").toTensor());
  const auto map = record.at("anomaly_map").toTensor(), score = record.at("pred_score").toTensor();
  ASSERT_EQ(outputs.at(0).sizes(), map.sizes());
  ASSERT_EQ(outputs.at(1).sizes(), score.sizes());
  const double map_diff = scaled_diff(outputs[0], map), score_diff = scaled_diff(outputs[1], score);
  EXPECT_LE(map_diff, 1e-5);
  EXPECT_LE(score_diff, 1e-5);
  std::cout << "[zoo] padim_resnet18 anomaly_map max_scaled_diff=" << map_diff
            << " pred_score max_scaled_diff=" << score_diff << " keys=" << ref_keys.size()
            << std::endl;
}

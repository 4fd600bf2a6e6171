// The zoo's registry table and the state-dict helpers shared by every family.
#include <algorithm>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>

#include "zoo/zoo.h"
#include "zoo/zoo_torch.h"

namespace mlexport::zoo {

const std::vector<ZooEntry>& registry() {
  static const std::vector<ZooEntry> entries = [] {
    std::vector<ZooEntry> table;
    add_resnet_models(table);
    add_vgg_models(table);
    add_densenet_models(table);
    add_mobilenet_v2_models(table);
    add_mobilenet_v3_models(table);
    add_efficientnet_models(table);
    add_vit_models(table);
    add_convnext_models(table);
    add_custom_models(table);
    add_segmentation_models(table);
    add_anomaly_models(table);
    std::set<std::string> seen;
    for (const auto& entry : table) {
      if (!seen.insert(entry.name).second) {
        throw std::logic_error("mlexport zoo: model '" + entry.name + "' registered twice");
      }
    }
    return table;
  }();
  return entries;
}

const ZooEntry& find_entry(const std::string& name) {
  for (const auto& entry : registry()) {
    if (entry.name == name) return entry;
  }
  throw std::out_of_range("mlexport zoo: no model named '" + name + "'");
}

std::vector<std::string> model_names() {
  std::vector<std::string> names;
  for (const auto& entry : registry()) names.push_back(entry.name);
  return names;
}

bool has_model(const std::string& name) {
  const auto& table = registry();
  return std::any_of(table.begin(), table.end(),
                     [&](const ZooEntry& entry) { return entry.name == name; });
}

std::vector<int64_t> default_input_shape(const std::string& name) {
  return find_entry(name).input_shape;
}

std::string model_family(const std::string& name) {
  return find_entry(name).family;
}

void prepare_for_inference(torch::nn::Module& module) {
  module.eval();
  for (auto& parameter : module.parameters(/*recurse=*/true)) parameter.set_requires_grad(false);
}

std::string model_task(const std::string& name) {
  return find_entry(name).task;
}

bool has_aux_classifier(const std::string& name) {
  return find_entry(name).builder_with_aux != nullptr;
}

ZooModel create_zoo_model(const std::string& name, int64_t num_classes, bool with_aux) {
  if (num_classes < 1) {
    throw std::invalid_argument("mlexport zoo: num_classes must be positive, got " +
                                std::to_string(num_classes));
  }
  const ZooEntry& entry = find_entry(name);
  if (with_aux && !entry.builder_with_aux)
    throw std::invalid_argument("mlexport zoo: " + name + " has no auxiliary classifier");
  ZooModel model = with_aux ? entry.builder_with_aux(num_classes) : entry.builder(num_classes);
  prepare_for_inference(*model.module);
  return model;
}

std::shared_ptr<torch::nn::Module> create_model(const std::string& name, int64_t num_classes) {
  return create_zoo_model(name, num_classes).module;
}

namespace {

void collect_state(const torch::nn::Module& module, const std::string& prefix,
                   std::vector<std::pair<std::string, torch::Tensor>>& out) {
  for (const auto& item : module.named_parameters(/*recurse=*/false)) {
    if (item.value().defined()) out.emplace_back(prefix + item.key(), item.value());
  }
  for (const auto& item : module.named_buffers(/*recurse=*/false)) {
    if (item.value().defined()) out.emplace_back(prefix + item.key(), item.value());
  }
  for (const auto& child : module.named_children()) {
    collect_state(*child.value(), prefix + child.key() + ".", out);
  }
}

std::string shape_string(const torch::Tensor& t) {
  std::ostringstream s;
  s << t.sizes();
  return s.str();
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// torchvision's densenet _load_state_dict: "...denselayer1.norm.1.weight" -> "...norm1.weight".
std::string modern_key(const std::string& key) {
  if (key.find("denselayer") == std::string::npos) return key;
  static const std::regex legacy(
      R"(^(.*denselayer\d+\.(?:norm|relu|conv))\.((?:[12])\.(?:weight|bias|running_mean|running_var))$)");
  std::smatch m;
  if (std::regex_match(key, m, legacy)) return m[1].str() + m[2].str();
  return key;
}

std::string summary(const char* what, const std::vector<std::string>& keys) {
  std::string text = std::string(what) + " (" + std::to_string(keys.size()) + "):";
  const size_t shown = std::min<size_t>(keys.size(), 10);
  for (size_t i = 0; i < shown; ++i) text += " " + keys[i];
  if (keys.size() > shown) text += " ...";
  return text;
}

}  // namespace

std::vector<std::pair<std::string, torch::Tensor>> named_state(const torch::nn::Module& module) {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  collect_state(module, "", out);
  return out;
}

std::vector<std::string> state_dict_keys(const torch::nn::Module& module) {
  std::vector<std::string> keys;
  for (const auto& item : named_state(module)) keys.push_back(item.first);
  return keys;
}

void load_state_dict(torch::nn::Module& module, const std::map<std::string, at::Tensor>& state,
                     bool strict, std::vector<std::string>* missing_out,
                     std::vector<std::string>* unexpected_out,
                     std::vector<std::string>* mismatched_out) {
  std::map<std::string, at::Tensor> source;
  for (const auto& [key, value] : state) source[modern_key(key)] = value;

  std::vector<std::string> missing, unexpected, mismatched;
  std::vector<std::pair<torch::Tensor, torch::Tensor>> copies;  // destination, source
  std::set<std::string> own;
  for (auto& [key, destination] : named_state(module)) {
    own.insert(key);
    auto it = source.find(key);
    if (it == source.end()) {
      if (!ends_with(key, "num_batches_tracked")) missing.push_back(key);
      continue;
    }
    if (!it->second.defined() || it->second.sizes() != destination.sizes()) {
      mismatched.push_back(key + ": " +
                           (it->second.defined() ? shape_string(it->second) : "undefined") +
                           " vs " + shape_string(destination));
      continue;
    }
    copies.emplace_back(destination, it->second);
  }
  for (const auto& item : source) {
    if (!own.count(item.first)) unexpected.push_back(item.first);
  }

  if (missing_out) *missing_out = missing;
  if (unexpected_out) *unexpected_out = unexpected;
  if (mismatched_out) *mismatched_out = mismatched;
  if (strict && (!missing.empty() || !unexpected.empty() || !mismatched.empty())) {
    std::string message = "mlexport zoo: state dict does not match the model";
    if (!missing.empty()) message += "; " + summary("missing", missing);
    if (!unexpected.empty()) message += "; " + summary("unexpected", unexpected);
    if (!mismatched.empty()) message += "; " + summary("shape mismatch", mismatched);
    throw std::runtime_error(message);
  }

  torch::NoGradGuard no_grad;
  for (auto& [destination, value] : copies) destination.copy_(value);
}

}  // namespace mlexport::zoo

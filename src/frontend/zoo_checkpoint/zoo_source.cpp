#include "frontend/zoo_checkpoint/zoo_source.h"

#include <algorithm>
#include <map>
#include <set>

#include "frontend/torchscript/tensor_convert.h"
#include "frontend/torchscript/traced_function.h"
#include "mlexport/diagnostics.h"
#include "zoo/zoo_torch.h"

namespace mlexport::zoo {
namespace {

const std::vector<std::string> kPrefixes = {"",          "model.",    "net.",     "backbone.",
                                            "module.",   "model.model.", "network.", "encoder.",
                                            "model.module.", "module.model."};

// Keys and shapes of the architecture's state dict (built once per name and class count).
std::vector<std::pair<std::string, std::vector<int64_t>>> expected_state(const std::string& arch,
                                                                         int64_t num_classes) {
  auto module = create_model(arch, num_classes);
  std::vector<std::pair<std::string, std::vector<int64_t>>> out;
  for (const auto& [key, tensor] : named_state(*module)) out.emplace_back(key, tensor.sizes().vec());
  return out;
}

std::string summarize(const std::string& what, const std::vector<std::string>& keys) {
  std::string text = std::to_string(keys.size()) + " " + what + " (";
  for (size_t k = 0; k < keys.size() && k < 3; ++k) text += (k ? ", " : "") + keys[k];
  if (keys.size() > 3) text += ", ...";
  return text + ")";
}

}  // namespace

std::string best_prefix(const std::string& arch, const NamedTensors& state) {
  std::set<std::string> expected;
  for (const auto& [key, shape] : expected_state(arch, 1000)) expected.insert(key);
  std::string best;
  size_t best_hits = 0;
  for (const std::string& prefix : kPrefixes) {
    size_t hits = 0;
    for (const auto& [key, tensor] : state)
      if (key.rfind(prefix, 0) == 0 && expected.count(key.substr(prefix.size()))) ++hits;
    if (hits > best_hits) {
      best_hits = hits;
      best = prefix;
    }
  }
  return best;
}

int64_t infer_num_classes(const std::string& arch, const NamedTensors& state,
                          const std::string& prefix) {
  // The classifier is the last 2-D weight of the architecture's state dict.
  auto expected = expected_state(arch, 1000);
  std::string head;
  for (const auto& [key, shape] : expected)
    if (shape.size() == 2 && key.size() > 7 && key.substr(key.size() - 7) == ".weight") head = key;
  if (head.empty()) return -1;
  for (const auto& [key, tensor] : state)
    if (key == prefix + head && tensor.shape.size() == 2) return tensor.shape[0];
  return -1;
}

std::unique_ptr<SourceModel> make_zoo_source(const std::string& arch, int64_t num_classes,
                                             const NamedTensors& state, bool strict,
                                             StateReport* report) {
  if (!has_model(arch)) {
    std::string names;
    for (const auto& n : model_names()) names += (names.empty() ? "" : ", ") + n;
    throw bad_input("unknown architecture '" + arch + "' (known: " + names + ")");
  }
  if (num_classes <= 0) throw bad_input("the number of classes must be positive");
  StateReport local;
  StateReport& r = report ? *report : local;
  r.stripped_prefix = best_prefix(arch, state);
  std::map<std::string, at::Tensor> tensors;
  for (const auto& [key, tensor] : state) {
    if (key.rfind(r.stripped_prefix, 0) != 0) {
      r.unexpected.push_back(key);
      continue;
    }
    tensors[key.substr(r.stripped_prefix.size())] = torchscript::to_torch_tensor(tensor);
  }
  ZooModel model = create_zoo_model(arch, num_classes);
  std::vector<std::string> missing, unexpected, mismatched;
  load_state_dict(*model.module, tensors, /*strict=*/false, &missing, &unexpected, &mismatched);
  r.missing = missing;
  r.unexpected.insert(r.unexpected.end(), unexpected.begin(), unexpected.end());
  r.mismatched = mismatched;
  if (strict && (!r.missing.empty() || !r.unexpected.empty() || !r.mismatched.empty())) {
    std::string text = "the state dict does not match " + arch + ":";
    if (!r.missing.empty()) text += " " + summarize("missing keys", r.missing) + ";";
    if (!r.unexpected.empty()) text += " " + summarize("unexpected keys", r.unexpected) + ";";
    if (!r.mismatched.empty()) text += " " + summarize("shape mismatches", r.mismatched) + ";";
    text.back() = ' ';
    throw bad_input(text + "(--non_strict loads what matches)");
  }
  prepare_for_inference(*model.module);
  std::vector<int64_t> shape = default_input_shape(arch);
  shape.insert(shape.begin(), 1);
  auto forward = model.forward;
  return torchscript::make_traced_source(
      [forward](const std::vector<at::Tensor>& in) { return std::vector<at::Tensor>{forward(in.at(0))}; },
      1, model.module, {shape});
}

}  // namespace mlexport::zoo

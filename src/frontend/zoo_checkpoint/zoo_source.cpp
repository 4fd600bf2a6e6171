#include "frontend/zoo_checkpoint/zoo_source.h"

#include <algorithm>
#include <map>
#include <set>

#include "frontend/zoo_checkpoint/zoo_loader.h"
#include "mlexport/diagnostics.h"
#include "torchmodel/tensor_convert.h"
#include "torchmodel/traced_model.h"
#include "zoo/zoo_torch.h"

namespace mlexport::frontend::zoo_checkpoint {
namespace {

const std::vector<std::string> kPrefixes = {
    "",         "model.",   "net.",          "backbone.",    "module.", "model.model.",
    "network.", "encoder.", "model.module.", "module.model."};

std::string summarize(const std::string& what, const std::vector<std::string>& keys) {
  std::string text = std::to_string(keys.size()) + " " + what + " (";
  for (size_t k = 0; k < keys.size() && k < 3; ++k) text += (k ? ", " : "") + keys[k];
  if (keys.size() > 3) text += ", ...";
  return text + ")";
}

}  // namespace

namespace {

// The prefix whose removal makes the most state keys match the module's.
std::string best_prefix(const std::vector<std::string>& expected_keys, const NamedTensors& state) {
  std::set<std::string> expected(expected_keys.begin(), expected_keys.end());
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

// Classes of the state's classifier: the entry's class key (a segmentation head's last
// convolution), else the module's last 2-D weight, looked up in the state.
int64_t classes_in_state(const std::string& arch, const torch::nn::Module& module,
                         const NamedTensors& state, const std::string& prefix) {
  std::string head = zoo::find_entry(arch).classes_key;
  if (head.empty())
    for (const auto& [key, tensor] : zoo::named_state(module))
      if (tensor.dim() == 2 && key.size() > 7 && key.substr(key.size() - 7) == ".weight")
        head = key;
  for (const auto& [key, tensor] : state)
    if (!head.empty() && key == prefix + head && !tensor.shape.empty()) return tensor.shape[0];
  return -1;
}

// A segmentation checkpoint trained with aux_loss=True holds aux_classifier.* weights.
bool state_has_aux(const NamedTensors& state, const std::string& prefix) {
  const std::string aux = prefix + "aux_classifier.";
  return std::any_of(state.begin(), state.end(),
                     [&](const auto& item) { return item.first.rfind(aux, 0) == 0; });
}

}  // namespace

ConfigValue zoo_config(const std::string& arch, int64_t num_classes, bool with_aux) {
  const std::string module =
      zoo::model_family(arch) == "custom" || zoo::model_task(arch) == "anomaly" ? "mlexport.zoo."
      : zoo::model_task(arch) == "segmentation" ? "torchvision.models.segmentation."
                                                : "torchvision.models.";
  ConfigValue::Dict args;
  if (zoo::model_task(arch) != "anomaly")  // an anomaly model has statistics, not classes
    args.emplace_back("num_classes", num_classes);
  if (zoo::has_aux_classifier(arch)) args.emplace_back("aux_loss", with_aux);
  return ConfigValue::object(module + arch, std::move(args));
}

zoo::ZooModel load_zoo_model(const std::string& arch, int64_t num_classes,
                             const NamedTensors& state, bool strict, StateReport* report) {
  if (!zoo::has_model(arch)) {
    std::string names;
    for (const auto& n : zoo::model_names()) names += (names.empty() ? "" : ", ") + n;
    throw bad_input("unknown architecture '" + arch + "' (known: " + names + ")");
  }
  StateReport local;
  StateReport& r = report ? *report : local;
  // One model is built; a second only when the state's classifier disagrees with the guess or
  // the state holds an auxiliary classifier.
  zoo::ZooModel model = zoo::create_zoo_model(arch, num_classes > 0 ? num_classes : 1000);
  r.stripped_prefix = best_prefix(zoo::state_dict_keys(*model.module), state);
  r.with_aux = zoo::has_aux_classifier(arch) && state_has_aux(state, r.stripped_prefix);
  const int64_t guessed = num_classes > 0 ? num_classes : 1000;
  if (num_classes <= 0) {
    const int64_t in_state = classes_in_state(arch, *model.module, state, r.stripped_prefix);
    num_classes = in_state > 0 ? in_state : 1000;
  }
  if (num_classes != guessed || r.with_aux)
    model = zoo::create_zoo_model(arch, num_classes, r.with_aux);
  r.num_classes = num_classes;
  std::map<std::string, at::Tensor> tensors;
  for (const auto& [key, tensor] : state) {
    if (key.rfind(r.stripped_prefix, 0) != 0) {
      r.unexpected.push_back(key);
      continue;
    }
    // A view of the checkpoint's bytes: load_state_dict copies them into the parameters, so
    // no intermediate copy is made (the state outlives this call).
    tensors[key.substr(r.stripped_prefix.size())] =
        at::from_blob(const_cast<std::byte*>(tensor.raw()), tensor.shape,
                      at::TensorOptions().dtype(torchmodel::to_torch_dtype(tensor.dtype)));
  }
  if (const auto fit = zoo::find_entry(arch).fit_to_state) fit(*model.module, tensors);
  std::vector<std::string> missing, unexpected, mismatched;
  zoo::load_state_dict(*model.module, tensors, /*strict=*/false, &missing, &unexpected,
                       &mismatched);
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
  zoo::prepare_for_inference(*model.module);
  return model;
}

std::shared_ptr<torchmodel::TorchModel> make_zoo_model(const std::string& arch, int64_t num_classes,
                                                       const NamedTensors& state, bool strict,
                                                       StateReport* report) {
  StateReport local;
  StateReport& r = report ? *report : local;
  zoo::ZooModel model = load_zoo_model(arch, num_classes, state, strict, &r);
  std::vector<int64_t> shape = zoo::default_input_shape(arch);
  shape.insert(shape.begin(), 1);
  auto forward = model.forward;
  auto forward_outputs = model.forward_outputs;
  auto module = model.module;
  torchmodel::TracedState torch_state;
  torch_state.tensors = [module] { return zoo::named_state(*module); };
  torch_state.config = zoo_config(arch, r.num_classes, r.with_aux);
  return torchmodel::make_traced_model(
      [forward, forward_outputs](const std::vector<at::Tensor>& in) {
        return forward_outputs ? forward_outputs(in.at(0))
                               : std::vector<at::Tensor>{forward(in.at(0))};
      },
      1, model.module, {shape}, std::move(torch_state));
}

}  // namespace mlexport::frontend::zoo_checkpoint

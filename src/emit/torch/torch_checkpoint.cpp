#include "emit/torch/torch_checkpoint.h"

#include <unordered_set>

#include "emit/torch/config_value.h"
#include "emit/torch/pickle_writer.h"
#include "emit/torch/torch_archive.h"
#include "mlexport/diagnostics.h"

namespace mlexport::emit {

using pyvalue::ValuePtr;

ValuePtr torch_checkpoint_value(const TorchCheckpoint& checkpoint) {
  std::unordered_set<std::string> names;
  std::vector<std::pair<std::string, ValuePtr>> state;
  state.reserve(checkpoint.state_dict.size());
  for (const auto& [name, tensor] : checkpoint.state_dict) {
    if (!names.insert(name).second)
      throw bad_input("cannot write the torch checkpoint: state_dict name '" + name +
                      "' appears twice");
    state.emplace_back(name, torch::config::tensor(tensor));
  }
  std::vector<std::pair<std::string, ValuePtr>> top;
  top.emplace_back("state_dict", torch::config::ordered_dict(state));
  top.emplace_back("config", checkpoint.config ? checkpoint.config : torch::config::none());
  std::unordered_set<std::string> keys{"state_dict", "config"};
  for (const auto& [key, value] : checkpoint.extra) {
    if (!keys.insert(key).second)
      throw bad_input("cannot write the torch checkpoint: top-level key '" + key +
                      "' is given twice (\"state_dict\" and \"config\" are taken)");
    top.emplace_back(key, value ? value : torch::config::none());
  }
  return torch::config::dict(top);
}

TorchEmitResult emit_torch_checkpoint(const TorchCheckpoint& checkpoint, const std::string& path) {
  // Everything that can be refused is refused before a file is created.
  const ValuePtr root = torch_checkpoint_value(checkpoint);
  const torch::PickledObject pickled = torch::pickle_for_torch_save(*root);
  TorchEmitResult result;
  result.bytes = torch::write_torch_archive(pickled, path);
  result.tensor_count = pickled.tensor_count;
  result.storage_count = pickled.storages.size();
  for (const auto& s : pickled.storages) result.storage_bytes += s.bytes->size();
  return result;
}

}  // namespace mlexport::emit

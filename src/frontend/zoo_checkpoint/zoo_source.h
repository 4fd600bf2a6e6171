// A state dict for an architecture of the C++ zoo, as a SourceModel (torch-free header).
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "frontend/source_model.h"

namespace mlexport::zoo {

using NamedTensors = std::vector<std::pair<std::string, ir::Tensor>>;

struct StateReport {
  std::string stripped_prefix;  // "model." for a Lightning module wrapping the network
  std::vector<std::string> missing, unexpected, mismatched;
};

// The prefix ("", "model.", "net.", "backbone.", "module.", ...) whose removal makes the most
// keys match the architecture's state dict.
std::string best_prefix(const std::string& arch, const NamedTensors& state);

// The number of classes the state dict's classifier has, or -1 when it cannot tell.
int64_t infer_num_classes(const std::string& arch, const NamedTensors& state,
                          const std::string& prefix);

// Builds the architecture, loads the state (prefix stripped). With strict, any missing,
// unexpected or mismatched key throws mlexport::Error (kBadInput) listing the first few names and
// the counts; otherwise they are only reported.
std::unique_ptr<SourceModel> make_zoo_source(const std::string& arch, int64_t num_classes,
                                             const NamedTensors& state, bool strict,
                                             StateReport* report);

}  // namespace mlexport::zoo

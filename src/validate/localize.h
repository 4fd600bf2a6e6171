// Localisation of a divergence: which node of an exported graph first departs from the model.
//
// Every value of the graph that has a reference value (Value::reference) is a candidate. Chosen
// candidates are made extra outputs of a copy of the exported graph, which is run on the example
// input (the ExposeRunner), and compared with the reference's values of the same points (the
// ReferenceFetch). The walk goes in topological order; when the candidates do not fit in the
// memory budget at once, it bisects: a sample of them that fits is compared first, and the search
// narrows to the span before the first sampled value that exceeds the tolerance. The node found
// always exceeds while every compared input (through nodes that have no reference) is within.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "mlexport/export.h"
#include "validate/metrics.h"

namespace mlexport::validate {

// The exported graph's values at `values` (of the graph given to localize_divergence), in that
// order; nullopt for a value the run could not expose.
using ExposeRunner =
    std::function<std::vector<std::optional<ir::Tensor>>(const std::vector<const ir::Value*>&)>;
// The reference's values at these Value::reference keys; missing keys are not compared.
using ReferenceFetch =
    std::function<std::map<std::string, ir::Tensor>(const std::vector<std::string>&)>;

struct LocalizeOptions {
  uint64_t budget_bytes = 64ull << 20;  // reference + exported bytes compared per run
  size_t worst_downstream = 3;
  // Values the runner can expose (OpenVINO: those the read-back graph has); empty: all.
  std::function<bool(const ir::Value*)> exposable;
};

Divergence localize_divergence(const ir::Graph& graph, const ReferenceFetch& reference,
                               const ExposeRunner& run, const Tolerance& tolerance,
                               const LocalizeOptions& options);

}  // namespace mlexport::validate

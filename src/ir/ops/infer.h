// Shape and element-type inference from the registry's rules, for the infer-shapes pass and for
// emitters that need every port's rank (OpenVINO).
#pragma once

#include <map>
#include <optional>

#include "ir/graph.h"

namespace mlexport::ir::ops {

using ShapeMap = std::map<const Value*, Shape>;

// The shape of every value whose rank is known or follows from the rules (subgraphs are not
// entered). Where the IR records a shape, it is kept and the rules only fill its unknown dims —
// except in a graph with a dynamic input: frontends record intermediate shapes at the example
// input (batch 1 where the batch is symbolic), so there what the inputs imply wins.
ShapeMap infer_shapes(const Graph& graph);

// Sizes recorded downstream of a value whose length the data decides (a dim that is unknown and
// unnamed: NonZero, NonMaxSuppression, a computed TopK k...) are those of the recorded run only:
// from the first such value on, every recorded size that the op's rule cannot derive from its
// inputs becomes unknown, so it is never baked into the file. Subgraphs are not entered. Returns
// how many dims it made unknown.
size_t relax_data_dependent_dims(Graph& graph);

// The element type of output `k` of `node` by its op's type rule, when the rule decides it.
std::optional<DType> infer_type(const Node& node, size_t k);

}  // namespace mlexport::ir::ops

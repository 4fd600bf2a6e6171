// Text form of the IR, for tests, --verbose and debugging.
#pragma once

#include <string>

#include "ir/graph.h"

namespace mlexport::ir {

// graph(%input: f32[1,3,224,224]) {
//   %Conv_0: f32[1,64,112,112] = Conv(%input, %w: const f32[64,3,7,7]) {pads=[3,3,3,3], ...}
//   return %Conv_0
// }
struct PrintOptions {
  // Constants (and tensor attributes) with more elements print their type only: weights would
  // drown the graph. Such text does not parse back; -1 prints every value, for a round trip.
  int64_t max_constant_values = 8;
};

std::string print_graph(const Graph& graph, const PrintOptions& options = {});
std::string print_attribute(const Attribute& attr, const PrintOptions& options = {});

}  // namespace mlexport::ir

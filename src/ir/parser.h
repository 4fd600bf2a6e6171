// Reads the IR's text form (ir/printer.h) back into a graph, so that pass tests can be written
// as IR text before and after.
//
//   graph(%x: f32[2,3]) {
//     %y: f32[2,3] = Mul(%x, %two: const f32[] {2})
//     %z: f32[batch_size,?] = Transpose(%y) {perm=[1,0]}
//     return %z
//   }
//
// Constants are written where they are used, with their values in braces (by default the
// printer leaves out the values of constants over 8 elements, and such text does not parse
// back; PrintOptions{.max_constant_values = -1} prints text that does). `_` is an omitted
// optional input; `[*]` a value of unknown rank; `?` and names are unknown and named dims.
#pragma once

#include <memory>
#include <string>

#include "ir/graph.h"

namespace mlexport::ir {

// Throws mlexport::Error (bad input) naming the line and what was expected.
std::unique_ptr<Graph> parse_graph(const std::string& text);

}  // namespace mlexport::ir

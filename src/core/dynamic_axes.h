// Dynamic axes: the --dynamic_axes spec (torch.onnx form or a short form), the symbols it puts on
// the graph's inputs and outputs, and the second size each dynamic axis is validated at.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/export_job.h"

namespace mlexport::core {

using AxesSpec = std::map<std::string, std::map<int64_t, std::string>>;

// Parses `{"input": {"0": "batch", "2": "height"}}` (torch.onnx.export's dynamic_axes; a list of
// axes instead of an object names them automatically) or the short form `input:0,2,3` (several
// names separated by ';', an axis may carry its symbol: `input:0=batch,2=height`). Axes without a
// symbol: 0 is "batch_size", others NAME_dimK. Throws kBadInput naming the problem.
AxesSpec parse_dynamic_axes(const std::string& text);

// After the import: makes the spec's axes symbolic on the graph's inputs (fixed elsewhere), finds
// which output dims follow them by running the model at a second size of each axis, and names
// those. Fills job.dynamic_axes. Throws kBadInput when a name or axis is not the model's, or when
// the model itself cannot run at the second size (with the model's message).
void apply_dynamic_axes(ExportJob& job, ir::Graph& graph, const AxesSpec& spec);

// --dynamic_axes without a spec: the axes the import made symbolic (dim 0) become job.dynamic_axes.
void collect_dynamic_axes(ExportJob& job, const ir::Graph& graph);

// The size an axis of size `size` is validated at besides its own.
int64_t second_size(int64_t size, int64_t axis);

// The job's specs with every axis of `symbol` set to its second size.
Specs vary_axes(const ExportJob& job, const std::string& symbol);

// Inputs of the given (varied) specs: the user's --sample_input wrapped to them when one was
// given, else seeded random ones.
std::vector<ir::Tensor> inputs_at(const ExportJob& job, const Specs& specs, uint64_t seed);

// The symbols of job.dynamic_axes, in first-seen order.
std::vector<std::string> dynamic_symbols(const ExportJob& job);

}  // namespace mlexport::core

// The tensors of a loaded checkpoint tree, named as a state dict names them.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "ir/tensor.h"
#include "pyvalue/value.h"

namespace mlexport::frontend::checkpoint {

// Every tensor of a (possibly nested) state dict, in insertion order, named by the path of keys
// joined with '.': {"conv.weight": T} gives "conv.weight"; {"model": {"fc.bias": T}} gives
// "model.fc.bias"; list and tuple elements and integer keys are named by their decimal index
// (optimizer state "state.0.exp_avg"). Inert records are searched through their attribute dict;
// a pickled nn.Module (an Object with `_parameters`, `_buffers`, `_modules`) yields its state-dict
// names ("layer1.0.conv1.weight"), skipping non-persistent buffers. Non-tensor leaves are
// skipped. A tensor kind mlexport cannot read (quantized, sparse, meta, nested: recorded as an
// Object of class "torch._utils._rebuild_qtensor" etc.) throws bad_input naming the entry.
std::vector<std::pair<std::string, ir::Tensor>> tensors_of(const pyvalue::Value& dict);

}  // namespace mlexport::frontend::checkpoint

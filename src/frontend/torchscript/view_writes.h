// In-place writes through views (x[:, 1:] += y, x[0] = v, x.view(...).copy_(...)).
//
// The IR has value semantics: an in-place op becomes a new value, and the tensor a view was taken
// from would keep its old value. After an in-place op, the walker rebuilds every tensor the write
// reached, from the view's new value back up the chain of views (a slice becomes Concat of the
// untouched parts and the new part; a reshape or permute is undone), and re-translates older views
// of them that are read later. Writes no later node can see need nothing.
#pragma once

#include "frontend/torchscript/translate_context.h"

namespace mlexport::frontend::torchscript {

// A TorchScript op whose output may share memory with its first input.
bool is_view_op(const JitNode* node);

// An op that writes into its first argument (its schema says `Tensor(a!) self`).
bool writes_into_first_input(const JitNode* node);

// After `node` (an in-place op) was translated: rebinds every tensor its write reached and is read
// later. Throws Error(kUnsupportedOps) with the reason when a view cannot be written back through.
void write_back_through_views(TranslateContext& ctx, const JitNode* node);

}  // namespace mlexport::frontend::torchscript

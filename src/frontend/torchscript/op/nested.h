// Nested (ragged) tensors of nn.TransformerEncoder's fast path, kept dense in the IR.
//
// A nested tensor made by aten::_nested_tensor_from_mask is represented by its padded dense
// form [B, S, E] with zeros at padded positions, produced by Where(keep, x, 0) where keep is
// [B, S, 1] bool (true = a token). Translators that receive a nested value find `keep` there.
#pragma once

#include "frontend/torchscript/translate_context.h"

namespace mlexport::frontend::torchscript {

// True when the value recorded for `v` is a nested tensor.
bool is_nested(TranslateContext& ctx, const JitValue* v);

// The [B, S, 1] keep mask of a nested value (see above).
ir::Value* nested_keep(TranslateContext& ctx, const JitValue* v);

// The nested representation of `dense` ([B, S, E], dtype and shape taken from `like`):
// Where(keep, dense, 0).
ir::Value* as_nested(TranslateContext& ctx, ir::Value* keep, ir::Value* dense,
                     const ir::Value* like);

}  // namespace mlexport::frontend::torchscript

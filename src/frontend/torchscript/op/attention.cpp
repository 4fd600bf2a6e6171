// Translators of the attention family (in progress).
#include "frontend/torchscript/op/helpers.h"

namespace mlexport::torchscript {

std::vector<OpRule> attention_rules() { return {}; }

}  // namespace mlexport::torchscript

// Translators of the reduction family (in progress).
#include "frontend/torchscript/op/helpers.h"

namespace mlexport::torchscript {

std::vector<OpRule> reduction_rules() { return {}; }

}  // namespace mlexport::torchscript

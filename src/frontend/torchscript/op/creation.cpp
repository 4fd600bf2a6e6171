// Translators of the creation family (in progress).
#include "frontend/torchscript/op/helpers.h"

namespace mlexport::torchscript {

std::vector<OpRule> creation_rules() { return {}; }

}  // namespace mlexport::torchscript

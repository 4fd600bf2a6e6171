// Translators of the resize family (in progress).
#include "frontend/torchscript/op/helpers.h"

namespace mlexport::torchscript {

std::vector<OpRule> resize_rules() { return {}; }

}  // namespace mlexport::torchscript

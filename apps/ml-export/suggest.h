// "did you mean --checkpoint_path?" for a mistyped flag.
#pragma once

#include <string>
#include <vector>

namespace mlexport::cli {

// The flag of `known` closest to `given` by edit distance (ignoring '-' versus '_'), or "" when
// none is close enough to be what was meant.
std::string closest_flag(const std::string& given, const std::vector<std::string>& known);

}  // namespace mlexport::cli

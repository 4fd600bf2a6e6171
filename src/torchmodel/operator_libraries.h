// Operator libraries: shared objects whose static initialisers register TorchScript operators
// (TORCH_LIBRARY), such as torchvision's nms and roi_align. An archive that calls such an op loads
// only once the library is in the process.
#pragma once

#include <string>
#include <vector>

namespace mlexport::torchmodel {

// Loads each library (RTLD_NOW | RTLD_GLOBAL) once per process. A path that does not load is bad
// input, with the loader's message.
void load_operator_libraries(const std::vector<std::string>& paths);

// Loads torchvision's operator library from Debian's python3-torchvision when it is installed;
// does nothing when it is not. Returns the path loaded, or an empty string.
std::string load_default_operator_libraries();

}  // namespace mlexport::torchmodel

// Content hashes of input files, for the export metadata and the batch report (internal).
#pragma once

#include <string>

namespace mlexport::core {

// Lower-case hex SHA-256 of a file's bytes; "" when it cannot be read.
std::string file_sha256(const std::string& path);

}  // namespace mlexport::core

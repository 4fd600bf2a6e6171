#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace mlexport::store {

// Lowercase hex SHA-256 of a file's content (streamed) or of bytes. Throws when unreadable.
std::string sha256_file(const std::filesystem::path& path);
std::string sha256_hex(std::string_view bytes);

}  // namespace mlexport::store

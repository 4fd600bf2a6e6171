// Files that are either the old or the new content, never half of either (io/atomic_file.h),
// with the store's error messages.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace mlexport::store {

namespace fs = std::filesystem;

// Throws std::runtime_error naming the path when any step fails; the temp file is removed.
void write_file_atomic(const fs::path& path, const std::string& content);
void write_json_atomic(const fs::path& path, const nlohmann::json& value);
// The parsed file, or nullopt when it is missing or does not parse.
std::optional<nlohmann::json> read_json_file(const fs::path& path);

}  // namespace mlexport::store

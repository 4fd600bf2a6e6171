// Zip files built from files on disk and small texts, written atomically (libzip).
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace mlexport::store {

struct ZipMember {
  std::string name;            // the name inside the zip
  std::filesystem::path file;  // its content from this file, or
  std::string text;            // from this text when `file` is empty
};

// Throws std::runtime_error when a member cannot be read or the zip cannot be written.
void write_zip_atomic(const std::filesystem::path& path, const std::vector<ZipMember>& members);

}  // namespace mlexport::store

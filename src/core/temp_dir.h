// A temporary folder that is removed with everything in it when it goes out of scope.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <random>
#include <string>

namespace mlexport::core {

struct TempDir {
  std::filesystem::path path;
  explicit TempDir(const std::string& prefix) {
    path =
        std::filesystem::temp_directory_path() / (prefix + std::to_string(::getpid()) + "-" +
                                                  std::to_string(std::random_device{}() % 1000000));
    std::filesystem::create_directories(path);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

}  // namespace mlexport::core

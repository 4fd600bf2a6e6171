// For readers that take a path: each fuzz input is written into one private folder per process
// (in /dev/shm when it exists, so the disk is not worn), then read back by the reader.
#pragma once

#include <stdlib.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

namespace fuzz {

inline const std::string& scratch_dir() {
  // Never destroyed, so the atexit cleanup below can still read it.
  static const std::string& dir = *new std::string([] {
    std::string base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    std::string templ = base + "/mlexport-fuzz-XXXXXX";
    if (!mkdtemp(templ.data())) abort();
    return templ;
  }());
  // Removed when the fuzzer exits normally; a crash leaves it behind.
  static const bool cleanup = std::atexit([] {
                                std::error_code ec;
                                std::filesystem::remove_all(scratch_dir(), ec);
                              }) == 0;
  (void)cleanup;
  return dir;
}

inline std::string write_scratch(const std::string& name, const uint8_t* data, size_t size) {
  const std::string path = scratch_dir() + "/" + name;
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) abort();
  if (size > 0 && std::fwrite(data, 1, size, f) != size) abort();
  std::fclose(f);
  return path;
}

inline void remove_scratch(const std::string& name) {
  std::remove((scratch_dir() + "/" + name).c_str());
}

}  // namespace fuzz

#include "store/atomic_file.h"

#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "io/atomic_file.h"

namespace mlexport::store {

void write_file_atomic(const fs::path& path, const std::string& content) {
  try {
    io::write_file_atomic(path, content);
  } catch (const io::AtomicWriteError& e) {
    const bool flush = e.step() == io::AtomicStep::kSync || e.step() == io::AtomicStep::kClose;
    if (!flush) throw std::runtime_error(e.what());
    throw std::runtime_error("cannot flush " + e.path().string() + ": " + std::strerror(e.error()));
  }
}

void write_json_atomic(const fs::path& path, const nlohmann::json& value) {
  write_file_atomic(path, value.dump(2) + "\n");
}

std::optional<nlohmann::json> read_json_file(const fs::path& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return std::nullopt;
  std::stringstream text;
  text << file.rdbuf();
  nlohmann::json value = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) return std::nullopt;
  return value;
}

}  // namespace mlexport::store

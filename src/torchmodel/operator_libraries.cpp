#include "torchmodel/operator_libraries.h"

#include <dlfcn.h>

#include <filesystem>
#include <mutex>
#include <set>

#include "mlexport/diagnostics.h"

namespace mlexport::torchmodel {
namespace {

// Where Debian's python3-torchvision puts its C++ operator library (it links LibTorch only, not
// Python). The name carries the Python ABI tag, so the folder is searched.
constexpr const char* kTorchvisionDir = "/usr/lib/python3/dist-packages/torchvision";

std::mutex& loader_mutex() {
  static std::mutex m;
  return m;
}

std::set<std::string>& loaded() {
  static std::set<std::string> paths;
  return paths;
}

// Handles stay open for the life of the process: the registered operators point into them.
void open_library(const std::string& given) {
  // A bare file name would make dlopen search the library path instead of the working folder.
  std::error_code ec;
  const std::string path = std::filesystem::is_regular_file(given, ec)
                               ? std::filesystem::absolute(given, ec).string()
                               : given;
  if (loaded().count(path)) return;
  if (!dlopen(path.c_str(), RTLD_NOW | RTLD_GLOBAL)) {
    const char* why = dlerror();
    throw bad_input("operator library " + path +
                    " does not load: " + (why ? first_line(why) : std::string("unknown error")));
  }
  loaded().insert(path);
}

std::string find_torchvision_library() {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(kTorchvisionDir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("_C.", 0) == 0 && entry.path().extension() == ".so") return entry.path();
  }
  return "";
}

}  // namespace

void load_operator_libraries(const std::vector<std::string>& paths) {
  std::lock_guard<std::mutex> lock(loader_mutex());
  for (const std::string& path : paths) open_library(path);
}

std::string load_default_operator_libraries() {
  static const std::string path = [] {
    std::string found = find_torchvision_library();
    if (found.empty()) return found;
    std::lock_guard<std::mutex> lock(loader_mutex());
    try {
      open_library(found);
    } catch (const Error&) {
      return std::string();  // a broken system package must not stop archives without its ops
    }
    return found;
  }();
  return path;
}

}  // namespace mlexport::torchmodel

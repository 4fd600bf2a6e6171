#include "core/batch.h"

#include <fnmatch.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <mutex>
#include <thread>

#include "mlexport/diagnostics.h"
#include "runtime/libtorch/torch_reference.h"

namespace mlexport {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> split_components(const std::string& pattern) {
  std::vector<std::string> parts;
  std::string current;
  for (char c : pattern) {
    if (c == '/') {
      if (!current.empty()) parts.push_back(current);
      current.clear();
    } else {
      current += c;
    }
  }
  if (!current.empty()) parts.push_back(current);
  return parts;
}

bool has_magic(const std::string& s) {
  return s.find_first_of("*?[") != std::string::npos;
}

void match(const fs::path& dir, const std::vector<std::string>& parts, size_t k,
           std::vector<std::string>& out) {
  std::error_code ec;
  if (k == parts.size()) {
    if (fs::is_regular_file(dir, ec)) out.push_back(dir.string());
    return;
  }
  const std::string& part = parts[k];
  if (part == "**") {
    match(dir, parts, k + 1, out);  // zero folders
    if (!fs::is_directory(dir, ec)) return;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      const std::string name = entry.path().filename().string();
      if (name[0] == '.' || !entry.is_directory(ec) || entry.is_symlink(ec)) continue;
      match(entry.path(), parts, k, out);
    }
    return;
  }
  if (!has_magic(part)) {
    fs::path next = dir / part;
    if (k + 1 == parts.size() ? fs::exists(next, ec) : fs::is_directory(next, ec))
      match(next, parts, k + 1, out);
    return;
  }
  if (!fs::is_directory(dir, ec)) return;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name[0] == '.' && part[0] != '.') continue;
    if (::fnmatch(part.c_str(), name.c_str(), FNM_PERIOD) == 0)
      match(entry.path(), parts, k + 1, out);
  }
}

}  // namespace

std::vector<std::string> expand_glob(const std::string& pattern) {
  const bool absolute = !pattern.empty() && pattern[0] == '/';
  std::vector<std::string> out;
  match(absolute ? fs::path("/") : fs::path("."), split_components(pattern), 0, out);
  for (std::string& p : out)
    if (!absolute && p.rfind("./", 0) == 0) p = p.substr(2);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<BatchItem> export_batch(const std::vector<std::string>& paths,
                                    const ExportRequest& base, const BatchOptions& options) {
  std::vector<BatchItem> items(paths.size());
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  const int jobs = std::clamp(options.jobs, 1, static_cast<int>(std::max<size_t>(1, paths.size())));
  // Jobs x intra-op threads stays within the cores.
  runtime::libtorch::set_torch_threads(std::max(1, static_cast<int>(cores) / jobs));
  std::atomic<size_t> next{0};
  std::mutex lock;
  auto worker = [&]() {
    for (size_t k = next++; k < paths.size(); k = next++) {
      if (options.on_start) {
        std::lock_guard<std::mutex> guard(lock);
        options.on_start(k, paths[k]);
      }
      BatchItem& item = items[k];
      item.path = paths[k];
      ExportRequest request = base;
      request.model_path = paths[k];
      request.output_path.clear();
      try {
        item.result = export_model(request);
        const bool failed = item.result.validation.ran && !item.result.validation.passed;
        item.ok = !failed;
        item.exit_code = failed ? static_cast<int>(ExitCode::kValidationFailed) : 0;
        if (failed) item.error = "validation failed (" + item.result.validation.status + ")";
      } catch (const Error& e) {
        item.exit_code = static_cast<int>(e.code());
        item.error = e.what();
      } catch (const std::exception& e) {
        item.exit_code = static_cast<int>(ExitCode::kInternal);
        item.error = "internal error: " + first_line(e.what());
      }
      if (options.on_done) {
        std::lock_guard<std::mutex> guard(lock);
        options.on_done(k, item);
      }
    }
  };
  std::vector<std::thread> threads;
  for (int j = 1; j < jobs; ++j) threads.emplace_back(worker);
  worker();
  for (auto& t : threads) t.join();
  return items;
}

}  // namespace mlexport

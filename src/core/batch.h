// Batch export: a glob pattern expanded to files, each exported beside itself.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "mlexport/export.h"

namespace mlexport {

// Files matching a glob (`*`, `?`, `[...]` within a path component; `**` for any number of
// folders), sorted. Hidden files match only when the pattern names them.
std::vector<std::string> expand_glob(const std::string& pattern);

struct BatchItem {
  std::string path;
  bool ok = false;    // exported and not failed by validation
  int exit_code = 0;  // as the CLI would return for this model alone
  std::string error;  // one line, when the export failed
  ExportResult result;
};

struct BatchOptions {
  int jobs = 1;  // models exported at once; LibTorch threads per job = cores / jobs
  std::function<void(size_t index, const std::string& path)> on_start;
  std::function<void(size_t index, const BatchItem& item)> on_done;  // called under a lock
};

// Exports every path with `base` (model_path and output_path replaced per item). Goes on past
// failures; callbacks report progress.
std::vector<BatchItem> export_batch(const std::vector<std::string>& paths,
                                    const ExportRequest& base, const BatchOptions& options);

}  // namespace mlexport

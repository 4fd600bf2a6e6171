// The export flow of the studio design over the store and the CLI: a request is checked, recorded
// as queued and run by a worker as one `ml-export --json` child process, whose JSON becomes the
// record. No conversion logic lives here.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "service/events.h"
#include "service/executor.h"
#include "service/formats.h"
#include "service/job_queue.h"
#include "store/export_store.h"
#include "store/workspace.h"

namespace mlexport::service {

namespace fs = std::filesystem;

struct ServiceConfig {
  fs::path workspace;
  std::string cli;  // the ml-export executable
  int workers = 1;
  std::string version;                   // mlexport's version, recorded in every export.json
  std::string executor = "local";        // or "slurm": each export a Slurm job
  std::vector<std::string> sbatch_args;  // with slurm: added to every sbatch call
};

// Restart rule: an export that was queued when the server stopped is queued again, in its
// original order; one that was running is marked failed with error code "interrupted" (its
// partial files removed) and can be requested again (with force when an earlier run completed).
class ExportService {
 public:
  ExportService(ServiceConfig config, FormatRegistry formats);
  ~ExportService();

  // Applies the restart rule to the records on disk, rebuilds every index, starts the workers.
  void start();

  const FormatRegistry& formats() const { return formats_; }
  const store::Workspace& workspace() const { return workspace_; }
  EventHub& events() { return events_; }

  struct Submitted {
    int status;  // 202 queued, 200 deduplicated
    nlohmann::json record;
  };
  // Throws store::RequestError for anything wrong with the request; nothing is written then.
  Submitted submit(const std::string& project_id, const nlohmann::json& body);
  nlohmann::json get(const std::string& export_id) const;
  // Query parameters status, format, experiment_id, limit, offset.
  nlohmann::json list(const std::string& project_id,
                      const std::map<std::string, std::string>& query);
  nlohmann::json cancel(const std::string& export_id);
  void remove(const std::string& export_id);

  struct Download {
    fs::path file;
    std::string filename;  // for Content-Disposition
    std::string sha256;
    uintmax_t size = 0;
    std::string content_type;
  };
  Download download(const std::string& export_id, bool bundle);

 private:
  void run(const std::string& export_id);
  nlohmann::json load_or_404(const std::string& export_id) const;
  void save_and_publish(nlohmann::json& record, const std::string& stage);
  std::string checkpoint_sha256(const fs::path& checkpoint);
  void finish(nlohmann::json& record, const nlohmann::json& report);

  ServiceConfig config_;
  FormatRegistry formats_;
  store::Workspace workspace_;
  store::ExportStore store_;
  EventHub events_;

  std::mutex records_mutex_;  // read-modify-write of export.json files
  std::mutex submit_mutex_;   // dedupe check and creation as one step
  std::unique_ptr<Executor> executor_;
  std::map<std::string, std::string> running_;  // export id -> the executor's handle
  std::set<std::string> cancel_requested_;
  std::mutex sha_mutex_;
  std::map<std::string, std::tuple<fs::file_time_type, uintmax_t, std::string>> sha_cache_;
  std::mutex bundle_mutex_;
  std::unique_ptr<JobQueue> queue_;  // last: its workers stop before the rest goes
};

}  // namespace mlexport::service

#include "service/export_service.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <map>
#include <optional>
#include <set>
#include <thread>

#include "mlexport/error_codes.h"
#include "service/bundle_readme.h"
#include "service/child_process.h"
#include "service/export_request.h"
#include "store/atomic_file.h"
#include "store/errors.h"
#include "store/ids.h"
#include "store/sha256.h"
#include "store/zip_writer.h"

namespace mlexport::service {

namespace {

using nlohmann::json;
using store::RequestError;

const std::set<std::string> kRunningStages = {"loading", "converting", "validating"};
const std::set<std::string> kFinalStages = {"completed", "failed", "cancelled"};

bool is_final(const json& record) {
  return kFinalStages.count(record.value("status", "")) > 0;
}

// The export task that a project's task (project.json) names, as the studio design's task table
// lists them; nullopt for a task with no export task (oriented detection) or none at all.
std::optional<std::string> export_task_of(const std::string& project_task) {
  static const std::map<std::string, std::string> kTasks = {
      {"classification", "classification"},
      {"detection", "detection"},
      {"object_detection", "detection"},
      {"instance_segmentation", "instance_segmentation"},
      {"segmentation", "segmentation"},
      {"semantic_segmentation", "segmentation"},
      {"anomaly", "anomaly"},
      {"anomaly_detection", "anomaly"},
      {"regression", "regression"}};
  auto it = kTasks.find(project_task);
  if (it == kTasks.end()) return std::nullopt;
  return it->second;
}

// Seconds between two of the record's timestamps ("2026-02-19T15:00:00.123Z").
double seconds_between(const std::string& from, const std::string& to) {
  auto parse = [](const std::string& text) -> double {
    std::tm t{};
    int millis = 0;
    if (std::sscanf(text.c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &t.tm_year, &t.tm_mon, &t.tm_mday,
                    &t.tm_hour, &t.tm_min, &t.tm_sec, &millis) < 6)
      return 0;
    t.tm_year -= 1900;
    t.tm_mon -= 1;
    return static_cast<double>(timegm(&t)) + millis / 1000.0;
  };
  return std::max(0.0, parse(to) - parse(from));
}

// "2026-11-23 10:30:00 | ERROR    | message" -> "message"; other lines unchanged.
std::string log_message(const std::string& line) {
  const size_t bar = line.find(" | ");
  if (bar == std::string::npos) return line;
  const size_t second = line.find(" | ", bar + 3);
  return second == std::string::npos ? line : line.substr(second + 3);
}

// The stage a CLI log line starts, or "" (the CLI's log lines are its own; only keywords count).
std::string stage_of_line(const std::string& line) {
  const std::string message = log_message(line);
  if (message.rfind("Exporting", 0) == 0 || message.rfind("Converting", 0) == 0)
    return "converting";
  if (message.rfind("Validating", 0) == 0) return "validating";
  return "";
}

int stage_rank(const std::string& stage) {
  static const std::vector<std::string> order = {"queued", "loading", "converting", "validating"};
  auto it = std::find(order.begin(), order.end(), stage);
  return it == order.end() ? 100 : static_cast<int>(it - order.begin());
}

std::string error_code_for_exit(int code) {
  const std::string name = exit_code_name(code);
  if (!name.empty()) return name;
  return code == 127 ? "cli_not_runnable" : "exporter_failed";
}

void remove_model_files(const fs::path& dir) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec))
    if (entry.path().filename() != "export.json") fs::remove_all(entry.path(), ec);
}

int default_workers() {
  return std::max(1u, std::thread::hardware_concurrency() / 2);
}

}  // namespace

ExportService::ExportService(ServiceConfig config, FormatRegistry formats)
    : config_(std::move(config)),
      formats_(std::move(formats)),
      workspace_(config_.workspace),
      store_(workspace_) {
  if (config_.workers <= 0) config_.workers = default_workers();
  if (config_.executor == "slurm")
    executor_ = make_slurm_executor(config_.sbatch_args);
  else if (config_.executor == "local")
    executor_ = make_local_executor();
  else
    throw std::runtime_error("unknown executor '" + config_.executor + "' (local or slurm)");
}

ExportService::~ExportService() {
  queue_.reset();  // waits for the running exports' workers
}

void ExportService::start() {
  std::vector<std::string> damaged;
  std::vector<json> queued;
  for (json& record : store_.load_all(&damaged)) {
    const std::string status = record.value("status", "");
    const fs::path dir = store_.export_dir(record["project_id"], record["id"]);
    if (status == "queued") {
      queued.push_back(record);
    } else if (kRunningStages.count(status)) {
      if (record.contains("executor") && record["executor"].value("name", "") == executor_->name())
        executor_->abandon(record["executor"].value("handle", ""));
      remove_model_files(dir);
      record["error"] = {{"code", "interrupted"},
                         {"message", "interrupted: the server stopped while this export ran"},
                         {"exit_code", nullptr}};
      record["status"] = "failed";
      record["stage"] = "failed";
      record["finished_at"] = store::now_utc_iso();
      record["stages"].push_back({{"stage", "failed"}, {"at", record["finished_at"]}});
      store_.save(record);
    } else {
      std::error_code ec;
      fs::remove(dir / "bundle.zip.partial", ec);  // a bundle cut short by a crash
      fs::remove(dir / "model.zip.partial", ec);
    }
  }
  for (const auto& path : damaged)
    std::fprintf(stderr, "warning: skipped damaged record %s\n", path.c_str());
  queue_ = std::make_unique<JobQueue>(config_.workers, [this](const std::string& id) { run(id); });
  for (const auto& record : queued) {
    events_.open(record["id"]);
    events_.publish(record["id"], {"stage", {{"stage", "queued"}, {"status", "queued"}}});
    queue_->push(record["id"]);
  }
}

std::string ExportService::checkpoint_sha256(const fs::path& checkpoint) {
  std::error_code ec;
  const auto mtime = fs::last_write_time(checkpoint, ec);
  const auto size = fs::file_size(checkpoint, ec);
  {
    std::lock_guard lock(sha_mutex_);
    auto it = sha_cache_.find(checkpoint.string());
    if (it != sha_cache_.end() && std::get<0>(it->second) == mtime &&
        std::get<1>(it->second) == size)
      return std::get<2>(it->second);
  }
  const std::string sha = store::sha256_file(checkpoint);
  std::lock_guard lock(sha_mutex_);
  sha_cache_[checkpoint.string()] = {mtime, size, sha};
  return sha;
}

ExportService::Submitted ExportService::submit(const std::string& project_id, const json& body) {
  const json project = workspace_.project(project_id);
  const ExportRequest request = check_export_request(body);
  const std::string& experiment_id = request.experiment_id;
  const std::string& checkpoint = request.checkpoint;
  const std::string& format = request.format;

  const json experiment = workspace_.experiment(project_id, experiment_id);
  std::vector<int64_t> shape = {1, 3, 224, 224};
  if (experiment.contains("input_size") && experiment["input_size"].is_array()) {
    shape = {1};
    for (const auto& d : experiment["input_size"])
      if (d.is_number_integer()) shape.push_back(d.get<int64_t>());
  }
  json options = formats_.normalize_options(format, request.options, shape);
  // The project says what its models do: an export left at task "auto" writes the project's task
  // into the file's metadata (a checkpoint alone cannot tell a regression head from a classifier).
  if (options.contains("task") && options["task"] == "auto")
    if (auto task = export_task_of(project.value("task", ""))) options["task"] = *task;
  const fs::path checkpoint_path = workspace_.checkpoint(project_id, experiment_id, checkpoint);
  const std::string checkpoint_sha = checkpoint_sha256(checkpoint_path);
  const std::string dedupe_key =
      store::sha256_hex(checkpoint_sha + "\n" + format + "\n" + options.dump());

  std::lock_guard lock(submit_mutex_);
  if (!request.force) {
    const json index = store_.index(project_id);
    for (const auto& entry : index["exports"]) {
      if (entry.value("dedupe_key", "") != dedupe_key || entry.value("status", "") != "completed")
        continue;
      if (auto existing = store_.load(entry["id"])) {
        (*existing)["deduplicated"] = true;
        return {200, *existing};
      }
    }
  }
  const std::string now = store::now_utc_iso();
  json record = {
      {"id", store::new_export_id()},
      {"project_id", project_id},
      {"experiment_id", experiment_id},
      {"checkpoint", checkpoint},
      {"format", format},
      {"options", options},
      {"created_at", now},
      {"status", "queued"},
      {"stage", "queued"},
      {"output_file", nullptr},
      {"output_size_mb", nullptr},
      {"validation", nullptr},
      {"architecture", experiment.value("architecture", "")},
      {"checkpoint_sha256", checkpoint_sha},
      {"dedupe_key", dedupe_key},
      {"mlexport_version", config_.version},
      {"stages", json::array({{{"stage", "queued"}, {"at", now}}})},
      {"timings", json::object()},
      {"error", nullptr},
      {"log", json::array()},
      {"files", json::array()},
      {"output_sha256", nullptr},
      {"download", nullptr},
  };
  while (store_.load(record["id"])) record["id"] = store::new_export_id();
  store_.create(record);
  events_.open(record["id"]);
  events_.publish(record["id"], {"stage", {{"stage", "queued"}, {"status", "queued"}}});
  queue_->push(record["id"]);
  record["deduplicated"] = false;
  return {202, record};
}

json ExportService::load_or_404(const std::string& export_id) const {
  if (!store::is_valid_export_id(export_id))
    throw RequestError(400, "invalid_id", "export id must match export-[0-9a-f]{12}", "export_id");
  auto record = store_.load(export_id);
  if (!record) throw store::not_found("export " + export_id, "export_id");
  return *record;
}

json ExportService::get(const std::string& export_id) const {
  return load_or_404(export_id);
}

json ExportService::list(const std::string& project_id,
                         const std::map<std::string, std::string>& query) {
  workspace_.project(project_id);
  static const std::set<std::string> known = {"status", "format", "experiment_id", "limit",
                                              "offset"};
  for (const auto& [key, value] : query)
    if (!known.count(key)) throw store::invalid("unknown query parameter '" + key + "'", key);
  auto number = [&](const std::string& key, long def, long min, long max) {
    auto it = query.find(key);
    if (it == query.end()) return def;
    size_t used = 0;
    long v = -1;
    try {
      v = std::stol(it->second, &used);
    } catch (...) {
      used = 0;
    }
    if (used != it->second.size() || v < min || v > max)
      throw store::invalid(
          key + " must be an integer from " + std::to_string(min) + " to " + std::to_string(max),
          key);
    return v;
  };
  const long limit = number("limit", 50, 1, 1000), offset = number("offset", 0, 0, 1L << 30);
  json matching = json::array();
  const json index = store_.index(project_id);
  for (const auto& entry : index["exports"]) {
    bool keep = true;
    for (const char* key : {"status", "format", "experiment_id"}) {
      auto it = query.find(key);
      if (it != query.end() && entry.value(key, "") != it->second) keep = false;
    }
    if (keep) matching.push_back(entry);
  }
  json page = json::array();
  for (long k = offset; k < static_cast<long>(matching.size()) && k < offset + limit; ++k)
    page.push_back(matching[k]);
  return {{"project_id", project_id},
          {"total", matching.size()},
          {"limit", limit},
          {"offset", offset},
          {"exports", page}};
}

void ExportService::save_and_publish(json& record, const std::string& stage) {
  record["status"] = stage;
  record["stage"] = stage;
  record["stages"].push_back({{"stage", stage}, {"at", store::now_utc_iso()}});
  store_.save(record);
  json data = {{"stage", stage}, {"status", stage}};
  if (kFinalStages.count(stage)) {
    data["validation"] = record["validation"];
    data["error"] = record["error"];
  }
  events_.publish(record["id"], {"stage", data});
  if (kFinalStages.count(stage)) events_.finish(record["id"]);
}

void ExportService::run(const std::string& export_id) {
  json record;
  {
    std::lock_guard lock(records_mutex_);
    auto loaded = store_.load(export_id);
    if (!loaded || loaded->value("status", "") != "queued") return;  // cancelled or deleted
    record = *loaded;
    if (cancel_requested_.erase(export_id)) {
      record["error"] = {
          {"code", "cancelled"}, {"message", "cancelled before it ran"}, {"exit_code", nullptr}};
      record["finished_at"] = store::now_utc_iso();
      save_and_publish(record, "cancelled");
      return;
    }
    record["started_at"] = store::now_utc_iso();
    save_and_publish(record, "loading");
  }
  const std::string project_id = record["project_id"];
  const fs::path dir = store_.export_dir(project_id, export_id);
  const auto* format = formats_.find(record["format"]);
  const std::string extension = format && !(*format)["extensions"].empty()
                                    ? (*format)["extensions"][0].get<std::string>()
                                    : "";
  const fs::path output = dir / ("model" + extension);
  const fs::path checkpoint = workspace_.root() / "projects" / project_id / "experiments" /
                              record["experiment_id"].get<std::string>() / "checkpoints" /
                              (record["checkpoint"].get<std::string>() + ".ckpt");

  std::vector<std::string> argv = {config_.cli, "--checkpoint_path",
                                   workspace_.inside(checkpoint).string(), "--output_path",
                                   output.string()};
  for (const auto& flag : FormatRegistry::cli_flags(record["format"], record["options"]))
    argv.push_back(flag);
  argv.push_back("--json");

  json log = json::array();
  std::string stage = "loading";
  const auto started = std::chrono::steady_clock::now();
  ChildResult result = executor_->run(
      argv, (workspace_.root() / ".jobs" / export_id).string(),
      [&](const std::string& line) {
        log.push_back(line);
        events_.publish(export_id, {"log", {{"line", line}}});
        const std::string next = stage_of_line(line);
        if (!next.empty() && stage_rank(next) > stage_rank(stage)) {
          stage = next;
          std::lock_guard lock(records_mutex_);
          record["log"] = log;
          save_and_publish(record, stage);
        }
      },
      [&](const std::string& handle) {
        std::lock_guard lock(records_mutex_);
        running_[export_id] = handle;
        record["executor"] = {{"name", executor_->name()}, {"handle", handle}};
        store_.save(record);
        if (cancel_requested_.count(export_id)) executor_->cancel(handle);
      });
  const double run_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  std::lock_guard lock(records_mutex_);
  running_.erase(export_id);
  const bool cancelled = cancel_requested_.erase(export_id) > 0;
  record["log"] = log;
  record["finished_at"] = store::now_utc_iso();
  const json report = json::parse(result.out, nullptr, false);
  json timings = {{"queued_seconds", seconds_between(record["created_at"], record["started_at"])},
                  {"run_seconds", run_seconds}};
  if (report.is_object() && report.contains("timings")) timings["exporter"] = report["timings"];
  record["timings"] = timings;

  const bool exported = !cancelled && (result.exit_code == 0 || result.exit_code == 1) &&
                        report.is_object() && report.contains("output_path");
  if (!exported) {
    remove_model_files(dir);
    std::string message;
    for (auto it = log.rbegin(); it != log.rend() && message.empty(); ++it)
      if (it->get<std::string>().find("ERROR") != std::string::npos) message = log_message(*it);
    if (cancelled) {
      record["error"] = {
          {"code", "cancelled"}, {"message", "cancelled while it ran"}, {"exit_code", nullptr}};
    } else if (result.signal) {
      record["error"] = {
          {"code", "crashed"},
          {"message", "the exporter was ended by signal " + std::to_string(result.signal) +
                          (message.empty() ? "" : ": " + message)},
          {"exit_code", 128 + result.signal}};
    } else {
      if (message.empty() && !log.empty()) message = log_message(log.back());
      if (message.empty())
        message = result.started ? "the exporter failed" : "cannot start " + config_.cli;
      record["error"] = {{"code", error_code_for_exit(result.exit_code)},
                         {"message", message},
                         {"exit_code", result.exit_code}};
    }
    save_and_publish(record, cancelled ? "cancelled" : "failed");
    return;
  }
  try {
    finish(record, report);
  } catch (const std::exception& e) {
    // The CLI wrote its files but they cannot be hashed or zipped (disk full, removed meanwhile).
    remove_model_files(dir);
    record["error"] = {{"code", "storage"}, {"message", e.what()}, {"exit_code", nullptr}};
    save_and_publish(record, "failed");
    return;
  }
  record["exit_code"] = result.exit_code;
  save_and_publish(record, "completed");
}

// Fills a completed record from the CLI's report: files, sizes, hashes, validation, download.
void ExportService::finish(json& record, const json& report) {
  const std::string project_id = record["project_id"], export_id = record["id"];
  const fs::path dir = store_.export_dir(project_id, export_id);
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.is_regular_file() && entry.path().filename() != "export.json" &&
        entry.path().filename().string()[0] != '.')
      files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  json file_list = json::array();
  uintmax_t total = 0;
  std::string main_file;
  for (const auto& f : files) {
    const uintmax_t size = fs::file_size(f);
    total += size;
    file_list.push_back(
        {{"name", f.filename().string()}, {"size_bytes", size}, {"sha256", store::sha256_file(f)}});
  }
  const auto* format = formats_.find(record["format"]);
  const std::string extension = (*format)["extensions"][0];
  main_file = "model" + extension;
  record["files"] = file_list;
  const json& v = report.value("validation", json::object());
  if (v.value("ran", false)) {
    record["validation"] = {{"passed", v.value("passed", false)},
                            {"max_diff", v.value("max_diff", json(nullptr))},
                            {"status", v.value("status", "")},
                            {"report", v}};
  } else {
    record["validation"] = {
        {"passed", nullptr}, {"max_diff", nullptr}, {"status", "not run"}, {"report", v}};
  }
  record["model"] = {{"source_kind", report.value("source_kind", "")},
                     {"node_count", report.value("node_count", 0)},
                     {"input_names", report.value("input_names", json::array())},
                     {"output_names", report.value("output_names", json::array())}};
  record["output_file"] = main_file;
  record["output_size_mb"] = std::round(total / 1e6 * 1000) / 1000;
  for (const auto& f : file_list)
    if (f["name"] == main_file) record["output_sha256"] = f["sha256"];
  if (file_list.size() > 1) {
    std::vector<store::ZipMember> members;
    for (const auto& f : files) members.push_back({f.filename().string(), f, ""});
    store::write_zip_atomic(dir / "model.zip", members);
    record["download"] = {{"file", "model.zip"},
                          {"size_bytes", fs::file_size(dir / "model.zip")},
                          {"sha256", store::sha256_file(dir / "model.zip")}};
  } else {
    record["download"] = {
        {"file", main_file},
        {"size_bytes", file_list.empty() ? 0 : file_list[0]["size_bytes"].get<uintmax_t>()},
        {"sha256", record["output_sha256"]}};
  }
}

json ExportService::cancel(const std::string& export_id) {
  {
    std::lock_guard lock(records_mutex_);
    json record = load_or_404(export_id);
    if (is_final(record))
      throw RequestError(
          409, "already_finished",
          "export " + export_id + " is already " + record["status"].get<std::string>());
    if (record["status"] == "queued" && queue_->remove(export_id)) {
      record["error"] = {
          {"code", "cancelled"}, {"message", "cancelled before it ran"}, {"exit_code", nullptr}};
      record["finished_at"] = store::now_utc_iso();
      save_and_publish(record, "cancelled");
      return record;
    }
    cancel_requested_.insert(export_id);
    auto it = running_.find(export_id);
    if (it != running_.end()) executor_->cancel(it->second);
  }
  // The worker records the outcome once the CLI has stopped.
  for (int k = 0; k < 200; ++k) {
    json record = load_or_404(export_id);
    if (is_final(record)) return record;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return load_or_404(export_id);
}

void ExportService::remove(const std::string& export_id) {
  std::lock_guard lock(records_mutex_);
  json record = load_or_404(export_id);
  if (record["status"] == "queued") {
    if (!queue_->remove(export_id))
      throw RequestError(409, "running", "export " + export_id + " is starting; cancel it first");
  } else if (!is_final(record)) {
    throw RequestError(409, "running", "export " + export_id + " is running; cancel it first");
  }
  store_.remove(record);
  events_.forget(export_id);
}

ExportService::Download ExportService::download(const std::string& export_id, bool bundle) {
  json record = load_or_404(export_id);
  if (record["status"] != "completed")
    throw RequestError(409, "not_completed",
                       "export " + export_id + " is " + record["status"].get<std::string>() +
                           "; only completed exports can be downloaded");
  const fs::path dir = store_.export_dir(record["project_id"], export_id);
  Download d;
  if (!bundle) {
    d.file = workspace_.inside(dir / record["download"]["file"].get<std::string>());
    d.sha256 = record["download"]["sha256"];
    d.filename = export_id + "-" + record["download"]["file"].get<std::string>();
    d.content_type = d.file.extension() == ".zip" ? "application/zip" : "application/octet-stream";
  } else {
    std::lock_guard lock(bundle_mutex_);
    d.file = dir / "bundle.zip";
    if (!fs::exists(d.file)) {
      std::vector<store::ZipMember> members = {{"export.json", dir / "export.json", ""},
                                               {"README.md", "", bundle_readme(record)}};
      for (const auto& f : record["files"])
        members.push_back({f["name"], dir / f["name"].get<std::string>(), ""});
      store::write_zip_atomic(d.file, members);
    }
    d.sha256 = store::sha256_file(d.file);
    d.filename = export_id + "-bundle.zip";
    d.content_type = "application/zip";
  }
  std::error_code ec;
  d.size = fs::file_size(d.file, ec);
  if (ec) throw RequestError(410, "gone", "the exported file of " + export_id + " is missing");
  return d;
}

}  // namespace mlexport::service

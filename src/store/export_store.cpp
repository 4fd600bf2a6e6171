#include "store/export_store.h"

#include <algorithm>

#include "store/atomic_file.h"
#include "store/errors.h"
#include "store/ids.h"

namespace mlexport::store {

namespace {

const char* const kIndexFile = "exports_index.json";

bool valid_index(const nlohmann::json& index) {
  if (!index.is_object() || !index.contains("exports") || !index["exports"].is_array())
    return false;
  for (const auto& entry : index["exports"])
    if (!entry.is_object() || !entry.contains("id") || !entry["id"].is_string() ||
        !is_valid_export_id(entry["id"].get<std::string>()))
      return false;
  return true;
}

// Newest first; ties (same millisecond) by id, so the order is stable.
void sort_newest_first(nlohmann::json& entries) {
  std::sort(entries.begin(), entries.end(), [](const nlohmann::json& a, const nlohmann::json& b) {
    const std::string ta = a.value("created_at", ""), tb = b.value("created_at", "");
    if (ta != tb) return ta > tb;
    return a.value("id", "") > b.value("id", "");
  });
}

}  // namespace

nlohmann::json index_entry(const nlohmann::json& r) {
  nlohmann::json e = {{"id", r.value("id", "")},
                      {"experiment_id", r.value("experiment_id", "")},
                      {"checkpoint", r.value("checkpoint", "")},
                      {"format", r.value("format", "")},
                      {"status", r.value("status", "")},
                      {"created_at", r.value("created_at", "")},
                      {"output_file", r.value("output_file", nlohmann::json(nullptr))},
                      {"output_size_mb", r.value("output_size_mb", nlohmann::json(nullptr))},
                      {"dedupe_key", r.value("dedupe_key", "")}};
  if (r.contains("validation") && r["validation"].is_object())
    e["validation"] = {{"passed", r["validation"].value("passed", nlohmann::json(nullptr))},
                       {"max_diff", r["validation"].value("max_diff", nlohmann::json(nullptr))}};
  else
    e["validation"] = nullptr;
  return e;
}

fs::path ExportStore::exports_dir(const std::string& project_id) const {
  return workspace_.project_dir(project_id) / "exports";
}

fs::path ExportStore::export_dir(const std::string& project_id,
                                 const std::string& export_id) const {
  if (!is_valid_export_id(export_id))
    throw RequestError(400, "invalid_id", "export id must match export-[0-9a-f]{12}", "export_id");
  return workspace_.inside(exports_dir(project_id) / export_id);
}

std::vector<nlohmann::json> ExportStore::read_records(const std::string& project_id,
                                                      std::vector<std::string>* damaged) const {
  std::vector<nlohmann::json> records;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(exports_dir(project_id), ec)) {
    const std::string name = entry.path().filename();
    if (!is_valid_export_id(name) || !entry.is_directory(ec)) continue;
    auto record = read_json_file(entry.path() / "export.json");
    if (!record || !record->is_object() || record->value("id", "") != name) {
      if (damaged) damaged->push_back((entry.path() / "export.json").string());
      continue;
    }
    records.push_back(*record);
  }
  return records;
}

nlohmann::json ExportStore::rebuild_index_locked(const std::string& project_id) {
  nlohmann::json entries = nlohmann::json::array();
  const fs::path dir = exports_dir(project_id);
  // A project that never exported keeps no exports/ folder: reading writes nothing.
  if (!fs::is_directory(dir)) return {{"project_id", project_id}, {"exports", entries}};
  for (const auto& record : read_records(project_id, nullptr)) {
    entries.push_back(index_entry(record));
    project_of_[record["id"].get<std::string>()] = project_id;
  }
  sort_newest_first(entries);
  nlohmann::json index = {{"project_id", project_id}, {"exports", entries}};
  write_json_atomic(dir / kIndexFile, index);
  return index;
}

nlohmann::json ExportStore::index_locked(const std::string& project_id) {
  auto index = read_json_file(exports_dir(project_id) / kIndexFile);
  if (index && valid_index(*index)) return *index;
  return rebuild_index_locked(project_id);
}

nlohmann::json ExportStore::rebuild_index(const std::string& project_id) {
  std::lock_guard lock(mutex_);
  return rebuild_index_locked(project_id);
}

nlohmann::json ExportStore::index(const std::string& project_id) {
  std::lock_guard lock(mutex_);
  return index_locked(project_id);
}

std::vector<nlohmann::json> ExportStore::load_all(std::vector<std::string>* damaged) {
  std::vector<nlohmann::json> all;
  std::lock_guard lock(mutex_);
  for (const auto& project : workspace_.list_projects()) {
    const std::string pid = project["id"];
    for (auto& record : read_records(pid, damaged)) all.push_back(std::move(record));
    rebuild_index_locked(pid);
  }
  std::sort(all.begin(), all.end(), [](const nlohmann::json& a, const nlohmann::json& b) {
    return a.value("created_at", "") < b.value("created_at", "");
  });
  return all;
}

void ExportStore::create(const nlohmann::json& record) {
  const std::string pid = record.at("project_id"), id = record.at("id");
  const fs::path dir = export_dir(pid, id);
  fs::create_directories(dir);
  save(record);
}

void ExportStore::save(const nlohmann::json& record) {
  const std::string pid = record.at("project_id"), id = record.at("id");
  write_json_atomic(export_dir(pid, id) / "export.json", record);
  std::lock_guard lock(mutex_);
  nlohmann::json index = index_locked(pid);
  nlohmann::json& entries = index["exports"];
  const nlohmann::json entry = index_entry(record);
  auto it = std::find_if(entries.begin(), entries.end(),
                         [&](const nlohmann::json& e) { return e.value("id", "") == id; });
  if (it != entries.end())
    *it = entry;
  else
    entries.push_back(entry);
  sort_newest_first(entries);
  write_json_atomic(exports_dir(pid) / kIndexFile, index);
  project_of_[id] = pid;
}

std::optional<nlohmann::json> ExportStore::load(const std::string& export_id) const {
  if (!is_valid_export_id(export_id)) return std::nullopt;
  std::string pid;
  {
    std::lock_guard lock(mutex_);
    auto it = project_of_.find(export_id);
    if (it == project_of_.end()) return std::nullopt;
    pid = it->second;
  }
  auto record = read_json_file(export_dir(pid, export_id) / "export.json");
  if (!record || !record->is_object()) return std::nullopt;
  return record;
}

void ExportStore::remove(const nlohmann::json& record) {
  const std::string pid = record.at("project_id"), id = record.at("id");
  std::lock_guard lock(mutex_);
  nlohmann::json index = index_locked(pid);
  nlohmann::json& entries = index["exports"];
  entries.erase(std::remove_if(entries.begin(), entries.end(),
                               [&](const nlohmann::json& e) { return e.value("id", "") == id; }),
                entries.end());
  // The entry goes first: a crash between the two leaves a folder the next rebuild lists again,
  // never an entry without a record.
  write_json_atomic(exports_dir(pid) / kIndexFile, index);
  std::error_code ec;
  fs::remove_all(export_dir(pid, id), ec);
  project_of_.erase(id);
}

}  // namespace mlexport::store

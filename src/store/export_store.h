// The output side of a workspace, as the studio design lays it out:
//
//   projects/<project-id>/exports/exports_index.json
//   projects/<project-id>/exports/export-<id>/export.json   (+ the exported file(s))
//
// export.json is the record; exports_index.json is derived from the records (one summary entry
// per export) and rebuilt whenever it is missing or damaged, and at start-up. Every write is
// atomic; index updates are serialized, so concurrent requests never lose an entry.
#pragma once

#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "store/workspace.h"

namespace mlexport::store {

// The index entry of a record: the fields the list route filters, sorts and shows.
nlohmann::json index_entry(const nlohmann::json& record);

class ExportStore {
 public:
  explicit ExportStore(const Workspace& workspace) : workspace_(workspace) {}

  // Reads every project's records (a record that does not parse is skipped and reported in
  // `damaged`), rebuilds each index, and returns the records, oldest first.
  std::vector<nlohmann::json> load_all(std::vector<std::string>* damaged = nullptr);

  fs::path exports_dir(const std::string& project_id) const;
  fs::path export_dir(const std::string& project_id, const std::string& export_id) const;

  // Creates export-<id>/ and writes the record (it must hold "project_id" and "id").
  void create(const nlohmann::json& record);
  // Rewrites export.json and the record's index entry.
  void save(const nlohmann::json& record);
  // The record of an export id, read from its export.json; nullopt when unknown.
  std::optional<nlohmann::json> load(const std::string& export_id) const;
  // Removes the export's folder and its index entry.
  void remove(const nlohmann::json& record);

  // {"project_id", "exports": [entries]} from exports_index.json, rebuilt first when it is
  // missing or damaged.
  nlohmann::json index(const std::string& project_id);
  nlohmann::json rebuild_index(const std::string& project_id);

 private:
  nlohmann::json rebuild_index_locked(const std::string& project_id);
  nlohmann::json index_locked(const std::string& project_id);
  std::vector<nlohmann::json> read_records(const std::string& project_id,
                                           std::vector<std::string>* damaged) const;

  const Workspace& workspace_;
  mutable std::mutex mutex_;                       // the indexes and the id map
  std::map<std::string, std::string> project_of_;  // export id -> project id
};

}  // namespace mlexport::store

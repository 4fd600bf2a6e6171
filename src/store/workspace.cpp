#include "store/workspace.h"

#include <algorithm>
#include <stdexcept>

#include "frontend/checkpoint/torch_file.h"
#include "pyvalue/value.h"
#include "store/atomic_file.h"
#include "store/errors.h"
#include "store/ids.h"

namespace mlexport::store {

namespace {

const char* const kCheckpoints[] = {"best", "last"};

void require_id(const std::string& id, const std::string& field) {
  if (!is_valid_id(id))
    throw RequestError(400, "invalid_id", field + " must match [A-Za-z0-9][A-Za-z0-9_-]{0,63}",
                       field);
}

// Whether the checkpoint reader finds at least one tensor in the file.
bool holds_tensors(const pyvalue::Value& value, int depth = 0) {
  if (value.is_tensor()) return true;
  if (depth > 4) return false;
  for (const auto& [key, item] : value.entries)
    if (item && holds_tensors(*item, depth + 1)) return true;
  for (const auto& item : value.items)
    if (item && holds_tensors(*item, depth + 1)) return true;
  return false;
}

}  // namespace

Workspace::Workspace(const fs::path& root) {
  std::error_code ec;
  root_ = fs::canonical(root, ec);
  if (ec || !fs::is_directory(root_))
    throw std::runtime_error("workspace " + root.string() + " is not a folder");
}

fs::path Workspace::inside(const fs::path& path) const {
  std::error_code ec;
  const fs::path resolved = fs::weakly_canonical(path, ec);
  if (ec) throw RequestError(403, "forbidden", "path cannot be resolved");
  auto [end, _] = std::mismatch(root_.begin(), root_.end(), resolved.begin(), resolved.end());
  if (end != root_.end()) throw RequestError(403, "forbidden", "path leaves the workspace");
  return resolved;
}

fs::path Workspace::project_dir(const std::string& project_id) const {
  require_id(project_id, "project_id");
  const fs::path dir = inside(root_ / "projects" / project_id);
  if (!fs::is_regular_file(dir / "project.json"))
    throw not_found("project " + project_id, "project_id");
  return dir;
}

nlohmann::json Workspace::project(const std::string& project_id) const {
  const fs::path dir = project_dir(project_id);
  auto meta = read_json_file(dir / "project.json");
  if (!meta || !meta->is_object())
    throw RequestError(500, "damaged_workspace",
                       "project.json of " + project_id + " does not parse");
  return {{"id", project_id},
          {"name", meta->value("name", project_id)},
          {"task", meta->value("task", "")}};
}

nlohmann::json Workspace::list_projects() const {
  nlohmann::json out = nlohmann::json::array();
  std::error_code ec;
  std::vector<std::string> ids;
  for (const auto& entry : fs::directory_iterator(root_ / "projects", ec))
    if (is_valid_id(entry.path().filename().string())) ids.push_back(entry.path().filename());
  std::sort(ids.begin(), ids.end());
  for (const auto& id : ids) {
    try {
      nlohmann::json p = project(id);
      p["experiment_count"] = list_experiments(id).size();
      out.push_back(p);
    } catch (const RequestError&) {
      // A folder without a readable project.json is not a project.
    }
  }
  return out;
}

nlohmann::json Workspace::experiment_at(const fs::path& folder) const {
  auto meta = read_json_file(folder / "experiment.json");
  if (!meta || !meta->is_object()) return nullptr;
  nlohmann::json e = *meta;
  e["id"] = folder.filename().string();
  if (e.contains("classes") && e["classes"].is_array()) e["num_classes"] = e["classes"].size();
  nlohmann::json checkpoints = nlohmann::json::array();
  for (const char* which : kCheckpoints) {
    const fs::path file = folder / "checkpoints" / (std::string(which) + ".ckpt");
    std::error_code ec;
    if (fs::is_regular_file(file, ec)) {
      try {
        inside(file);
        checkpoints.push_back({{"name", which}, {"size_bytes", fs::file_size(file, ec)}});
      } catch (const RequestError&) {
        // A checkpoint that links out of the workspace is not offered.
      }
    }
  }
  e["checkpoints"] = checkpoints;
  return e;
}

nlohmann::json Workspace::list_experiments(const std::string& project_id) const {
  const fs::path dir = project_dir(project_id) / "experiments";
  std::vector<std::string> ids;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec))
    if (is_valid_id(entry.path().filename().string())) ids.push_back(entry.path().filename());
  std::sort(ids.begin(), ids.end());
  nlohmann::json out = nlohmann::json::array();
  for (const auto& id : ids) {
    try {
      inside(dir / id);
    } catch (const RequestError&) {
      continue;  // an experiment that links out of the workspace is not offered
    }
    nlohmann::json e = experiment_at(dir / id);
    if (!e.is_null()) out.push_back(e);
  }
  return out;
}

nlohmann::json Workspace::experiment(const std::string& project_id,
                                     const std::string& experiment_id) const {
  const fs::path dir = project_dir(project_id);
  require_id(experiment_id, "experiment_id");
  const fs::path folder = inside(dir / "experiments" / experiment_id);
  nlohmann::json e = experiment_at(folder);
  if (e.is_null()) throw not_found("experiment " + experiment_id, "experiment_id");
  return e;
}

fs::path Workspace::checkpoint(const std::string& project_id, const std::string& experiment_id,
                               const std::string& which) const {
  experiment(project_id, experiment_id);
  if (which != "best" && which != "last")
    throw invalid("checkpoint must be \"best\" or \"last\"", "checkpoint");
  const fs::path file = root_ / "projects" / project_id / "experiments" / experiment_id /
                        "checkpoints" / (which + ".ckpt");
  std::error_code ec;
  if (!fs::exists(fs::symlink_status(file, ec)))
    throw not_found("checkpoint " + which + " of " + experiment_id, "checkpoint");
  const fs::path resolved = inside(file);
  if (!fs::is_regular_file(resolved, ec))
    throw not_found("checkpoint " + which + " of " + experiment_id, "checkpoint");
  try {
    pyvalue::ValuePtr value = frontend::checkpoint::load_torch_file(resolved.string());
    if (!value || !holds_tensors(*value))
      throw RequestError(400, "invalid_checkpoint",
                         "checkpoint " + which + " of " + experiment_id + " holds no tensors",
                         "checkpoint");
  } catch (const RequestError&) {
    throw;
  } catch (const std::exception& e) {
    std::string reason = e.what();
    const size_t colon = reason.find(": ");  // drop the server-side path the reader names
    if (colon != std::string::npos) reason = reason.substr(colon + 2);
    throw RequestError(400, "invalid_checkpoint",
                       "checkpoint " + which + " of " + experiment_id +
                           " is not a checkpoint mlexport can read: " + reason,
                       "checkpoint");
  }
  return resolved;
}

}  // namespace mlexport::store

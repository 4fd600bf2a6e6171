// The input side of a workspace, read-only:
//
//   projects/<project-id>/project.json                       {name, task}
//   projects/<project-id>/experiments/<experiment-id>/experiment.json
//                                  {architecture, classes, input_size, created_at, metrics}
//   projects/<project-id>/experiments/<experiment-id>/checkpoints/{best,last}.ckpt
//
// Every path is built from ids that passed is_valid_id and is checked to resolve inside the
// workspace (a symlink that leads out of it is refused).
#pragma once

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

namespace mlexport::store {

namespace fs = std::filesystem;

class Workspace {
 public:
  // Throws std::runtime_error when `root` is not a folder.
  explicit Workspace(const fs::path& root);
  const fs::path& root() const { return root_; }

  // [{id, name, task, experiment_count}], sorted by id.
  nlohmann::json list_projects() const;
  // {id, name, task}; RequestError 404 (field "project_id") when unknown.
  nlohmann::json project(const std::string& project_id) const;
  // [{id, architecture, classes, num_classes, input_size, created_at, metrics, checkpoints}]
  nlohmann::json list_experiments(const std::string& project_id) const;
  nlohmann::json experiment(const std::string& project_id, const std::string& experiment_id) const;
  // The checkpoint file ("best" or "last"); RequestError 404 when it does not exist, 400 when it is
  // not a checkpoint mlexport can read.
  fs::path checkpoint(const std::string& project_id, const std::string& experiment_id,
                      const std::string& which) const;
  fs::path project_dir(const std::string& project_id) const;

  // `path` resolved (symlinks followed); RequestError 403 when it is outside the workspace.
  fs::path inside(const fs::path& path) const;

 private:
  nlohmann::json experiment_at(const fs::path& folder) const;
  fs::path root_;
};

}  // namespace mlexport::store

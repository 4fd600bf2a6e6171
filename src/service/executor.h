// Where an export's CLI runs: a child process of the server (local, the default) or a Slurm job
// (the workspace then lives on a file system every node sees). The service only asks to run an
// argv, reads its stderr lines and stdout, and cancels; a Kubernetes executor would be a third
// implementation of the same interface.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "service/child_process.h"

namespace mlexport::service {

class Executor {
 public:
  virtual ~Executor() = default;
  virtual std::string name() const = 0;
  // Runs `argv` to its end. `job_dir` is a folder of this export's own for the executor's files.
  // Each stderr line goes to `on_line`; `on_start` gets a handle to cancel it with (a process
  // group id, a Slurm job id) once it is submitted.
  virtual ChildResult run(const std::vector<std::string>& argv, const std::string& job_dir,
                          const std::function<void(const std::string&)>& on_line,
                          const std::function<void(const std::string& handle)>& on_start) = 0;
  virtual void cancel(const std::string& handle) = 0;
  // Ends what a previous server left running (restart rule); best effort.
  virtual void abandon(const std::string& handle) { cancel(handle); }
};

std::unique_ptr<Executor> make_local_executor();
// `sbatch_args` are added to every sbatch call (partition, account, time limit...).
std::unique_ptr<Executor> make_slurm_executor(std::vector<std::string> sbatch_args);

}  // namespace mlexport::service

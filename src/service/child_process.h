// One child process per export: the CLI runs in its own process group, so a crash in LibTorch
// fails that export only and a cancel stops the CLI and anything it started.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <functional>
#include <string>
#include <vector>

namespace mlexport::service {

struct ChildResult {
  bool started = false;  // false: exec failed (the error is in `out`)
  int exit_code = -1;    // when it exited
  int signal = 0;        // when a signal ended it
  std::string out;       // all of stdout
};

// Runs argv[0] with argv, stdin from /dev/null. Each stderr line goes to `on_line` as it comes.
// `on_start` gets the child's pid (its process group id too) once it runs. The child dies with
// the server (PR_SET_PDEATHSIG), so an export never outlives the process that records it.
ChildResult run_child(const std::vector<std::string>& argv,
                      const std::function<void(const std::string&)>& on_line,
                      const std::function<void(pid_t)>& on_start);

// Ends a child's process group: SIGTERM, then SIGKILL when it has not gone after a grace period.
void stop_process_group(pid_t pgid);

}  // namespace mlexport::service

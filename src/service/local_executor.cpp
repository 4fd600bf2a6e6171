#include <signal.h>

#include "service/executor.h"

namespace mlexport::service {
namespace {

class LocalExecutor : public Executor {
 public:
  std::string name() const override { return "local"; }
  ChildResult run(const std::vector<std::string>& argv, const std::string&,
                  const std::function<void(const std::string&)>& on_line,
                  const std::function<void(const std::string&)>& on_start) override {
    return run_child(argv, on_line, [&](pid_t pid) { on_start(std::to_string(pid)); });
  }
  void cancel(const std::string& handle) override { stop_process_group(std::stoi(handle)); }
  // A local child dies with the server (PR_SET_PDEATHSIG): nothing is left to end.
  void abandon(const std::string&) override {}
};

}  // namespace

std::unique_ptr<Executor> make_local_executor() {
  return std::make_unique<LocalExecutor>();
}

}  // namespace mlexport::service

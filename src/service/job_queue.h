// First in, first out; at most `workers` jobs at once, each on its own thread.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace mlexport::service {

class JobQueue {
 public:
  using Run = std::function<void(const std::string& export_id)>;
  JobQueue(int workers, Run run);
  ~JobQueue();
  void push(const std::string& export_id);
  // Takes a job out of the queue; false when it is not waiting (running, finished or unknown).
  bool remove(const std::string& export_id);
  size_t waiting() const;

 private:
  void work();
  Run run_;
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::string> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace mlexport::service

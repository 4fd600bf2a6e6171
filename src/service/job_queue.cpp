#include "service/job_queue.h"

#include <algorithm>
#include <cstdio>
#include <exception>

namespace mlexport::service {

JobQueue::JobQueue(int workers, Run run) : run_(std::move(run)) {
  for (int k = 0; k < std::max(1, workers); ++k) threads_.emplace_back([this] { work(); });
}

JobQueue::~JobQueue() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  ready_.notify_all();
  for (auto& t : threads_) t.join();
}

void JobQueue::push(const std::string& export_id) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(export_id);
  }
  ready_.notify_one();
}

bool JobQueue::remove(const std::string& export_id) {
  std::lock_guard lock(mutex_);
  auto it = std::find(queue_.begin(), queue_.end(), export_id);
  if (it == queue_.end()) return false;
  queue_.erase(it);
  return true;
}

size_t JobQueue::waiting() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

void JobQueue::work() {
  for (;;) {
    std::string id;
    {
      std::unique_lock lock(mutex_);
      ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      id = queue_.front();
      queue_.pop_front();
    }
    try {
      run_(id);
    } catch (const std::exception& e) {
      // One export's failure to record itself must not end the worker (or the server).
      std::fprintf(stderr, "error: export %s: %s\n", id.c_str(), e.what());
    }
  }
}

}  // namespace mlexport::service

#include "service/events.h"

namespace mlexport::service {

void EventHub::open(const std::string& export_id) {
  std::lock_guard lock(mutex_);
  if (!streams_.count(export_id)) streams_[export_id] = std::make_shared<Stream>();
}

void EventHub::publish(const std::string& export_id, Event event) {
  {
    std::lock_guard lock(mutex_);
    auto& stream = streams_[export_id];
    if (!stream) stream = std::make_shared<Stream>();
    stream->events.push_back(std::move(event));
  }
  changed_.notify_all();
}

void EventHub::finish(const std::string& export_id) {
  {
    std::lock_guard lock(mutex_);
    auto& stream = streams_[export_id];
    if (!stream) stream = std::make_shared<Stream>();
    stream->finished = true;
  }
  changed_.notify_all();
}

bool EventHub::has(const std::string& export_id) const {
  std::lock_guard lock(mutex_);
  return streams_.count(export_id) > 0;
}

void EventHub::forget(const std::string& export_id) {
  {
    std::lock_guard lock(mutex_);
    auto it = streams_.find(export_id);
    if (it != streams_.end()) it->second->finished = true;
    streams_.erase(export_id);
  }
  changed_.notify_all();
}

std::vector<Event> EventHub::read(const std::string& export_id, size_t from,
                                  std::chrono::milliseconds wait, bool* finished) const {
  std::unique_lock lock(mutex_);
  auto it = streams_.find(export_id);
  if (it == streams_.end()) {
    *finished = true;
    return {};
  }
  std::shared_ptr<Stream> stream = it->second;
  changed_.wait_for(lock, wait, [&] { return stream->events.size() > from || stream->finished; });
  *finished = stream->finished;
  if (from >= stream->events.size()) return {};
  return {stream->events.begin() + static_cast<long>(from), stream->events.end()};
}

}  // namespace mlexport::service

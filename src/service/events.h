// Per-export event streams for Server-Sent Events: stage changes and log lines, kept in order so
// a client that connects late replays them from the start, then waits for more.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace mlexport::service {

struct Event {
  std::string type;     // "stage" or "log"
  nlohmann::json data;  // {"stage", "status", ...} or {"line"}
};

class EventHub {
 public:
  void publish(const std::string& export_id, Event event);
  // Marks the stream finished: waiting readers return, new readers get everything and stop.
  void finish(const std::string& export_id);
  bool has(const std::string& export_id) const;
  // Events from index `from` on; waits up to `wait` for one when there are none. `finished` says
  // whether the stream has ended (no more events will come).
  std::vector<Event> read(const std::string& export_id, size_t from, std::chrono::milliseconds wait,
                          bool* finished) const;
  // Starts a stream for an export (queued at submission or on restart).
  void open(const std::string& export_id);
  void forget(const std::string& export_id);

 private:
  struct Stream {
    std::vector<Event> events;
    bool finished = false;
  };
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::map<std::string, std::shared_ptr<Stream>> streams_;
};

}  // namespace mlexport::service

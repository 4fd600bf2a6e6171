// Log lines in the export guide's form: "2025-10-06 10:30:00 | INFO     | message". ERROR lines
// always go to stderr, the others to the stream given (stdout, or stderr under --json).
#pragma once

#include <cstdio>
#include <string>

namespace mlexport::cli {

enum class Level { kInfo, kSuccess, kWarning, kError };

class Log {
 public:
  explicit Log(FILE* stream) : stream_(stream) {}
  void set_stream(FILE* stream) { stream_ = stream; }
  void info(const std::string& msg) { write(Level::kInfo, msg); }
  void success(const std::string& msg) { write(Level::kSuccess, msg); }
  void warning(const std::string& msg) { write(Level::kWarning, msg); }
  void error(const std::string& msg) { write(Level::kError, msg); }
  void write(Level level, const std::string& msg);

 private:
  FILE* stream_;
};

}  // namespace mlexport::cli

#include "log.h"

#include <ctime>

namespace mlexport::cli {

void Log::write(Level level, const std::string& msg) {
  static const char* kNames[] = {"INFO", "SUCCESS", "WARNING", "ERROR"};
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  localtime_r(&now, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &tm);
  FILE* out = level == Level::kError ? stderr : stream_;
  std::fprintf(out, "%s | %-8s | %s\n", stamp, kNames[static_cast<int>(level)], msg.c_str());
  std::fflush(out);
}

}  // namespace mlexport::cli

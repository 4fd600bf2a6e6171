#include "store/ids.h"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <random>
#include <regex>

namespace mlexport::store {

bool is_valid_id(const std::string& id) {
  static const std::regex pattern("[A-Za-z0-9][A-Za-z0-9_-]{0,63}");
  return std::regex_match(id, pattern);
}

bool is_valid_export_id(const std::string& id) {
  static const std::regex pattern("export-[0-9a-f]{12}");
  return std::regex_match(id, pattern);
}

std::string new_export_id() {
  static thread_local std::mt19937_64 engine{std::random_device{}()};
  char buf[32];
  std::snprintf(buf, sizeof buf, "export-%012llx",
                static_cast<unsigned long long>(engine() & 0xffffffffffffULL));
  return buf;
}

std::string now_utc_iso() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<int>(millis));
  return buf;
}

}  // namespace mlexport::store

#include "core/batch_report.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <nlohmann/json.hpp>
#include <sstream>

#include "mlexport/diagnostics.h"

namespace mlexport::core {
namespace {

using json = nlohmann::json;

std::string fixed(double v, int digits) {
  std::ostringstream out;
  out << std::setprecision(digits) << v;
  return out.str();
}

}  // namespace

std::string to_json_line(const ReportRecord& r) {
  json j = {
      {"path", r.path},
      {"format", r.format},
      {"output_path", r.output_path},
      {"status", r.status},
      {"verdict", r.verdict},
      {"exit_code", r.exit_code},
      {"input_sha256", r.input_sha256},
      {"options", r.options},
      {"metrics",
       {{"max_diff", r.max_diff}, {"mse", r.mse}, {"cosine_similarity", r.cosine_similarity}}},
      {"seconds", r.seconds},
      {"timings", r.timings},
      {"shard", r.shard},
      {"host", r.host},
      {"finished_at", r.finished_at}};
  if (!r.error.empty()) j["error"] = r.error;
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::optional<ReportRecord> parse_record(const std::string& line) {
  json j = json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("path") || !j["path"].is_string() ||
      !j.contains("status") || !j["status"].is_string())
    return std::nullopt;
  ReportRecord r;
  auto str = [&](const char* key) {
    return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
  };
  auto num = [](const json& o, const char* key, double fallback) {
    return o.is_object() && o.contains(key) && o[key].is_number() ? o[key].get<double>() : fallback;
  };
  r.path = str("path");
  r.status = str("status");
  r.format = str("format");
  r.output_path = str("output_path");
  r.verdict = str("verdict");
  r.error = str("error");
  r.input_sha256 = str("input_sha256");
  r.options = str("options");
  r.shard = str("shard");
  r.host = str("host");
  r.finished_at = str("finished_at");
  r.exit_code = static_cast<int>(num(j, "exit_code", 0));
  r.seconds = num(j, "seconds", 0);
  if (j.contains("metrics")) {
    r.max_diff = num(j["metrics"], "max_diff", 0);
    r.mse = num(j["metrics"], "mse", 0);
    r.cosine_similarity = num(j["metrics"], "cosine_similarity", 1);
  }
  if (j.contains("timings") && j["timings"].is_object())
    for (const auto& [stage, v] : j["timings"].items())
      if (v.is_number()) r.timings[stage] = v.get<double>();
  return r;
}

void append_line(const std::string& file, const std::string& line) {
  const int fd = ::open(file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) throw bad_input("cannot open report " + file + ": " + std::strerror(errno));
  const std::string text = line + "\n";
  ::flock(fd, LOCK_EX);
  const ssize_t written = ::write(fd, text.data(), text.size());
  const int saved = errno;
  ::flock(fd, LOCK_UN);
  ::close(fd);
  if (written != static_cast<ssize_t>(text.size()))
    throw bad_input("cannot append to report " + file + ": " +
                    (written < 0 ? std::strerror(saved) : std::string("short write")));
}

std::vector<ReportRecord> read_reports(const std::vector<std::string>& files, int* malformed) {
  std::vector<ReportRecord> records;
  int bad = 0;
  for (const std::string& file : files) {
    std::ifstream in(file);
    if (!in) throw bad_input("cannot read report " + file);
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty()) continue;
      if (auto r = parse_record(line))
        records.push_back(std::move(*r));
      else
        ++bad;
    }
  }
  if (malformed) *malformed = bad;
  return records;
}

std::string options_fingerprint(const ExportRequest& q) {
  std::ostringstream out;
  out << "opset=" << q.opset_version << ";batch=" << q.batch_size << ";dynamic=" << q.dynamic_axes
      << ";precision=" << to_string(q.precision) << ";quantize=" << to_string(q.quantize)
      << ";fp16_io=" << q.fp16_io << ";compress_fp16=" << q.compress_to_fp16 << ";model=" << q.model
      << ";classes=" << q.num_classes << ";inputs=";
  for (const InputSpec& in : q.inputs) {
    for (int64_t d : in.shape) out << d << 'x';
    out << in.dtype << ',';
  }
  return out.str();
}

bool passed_before(const std::vector<ReportRecord>& records, const std::string& path,
                   const std::string& input_sha256, const std::string& options,
                   const std::string& format) {
  for (auto it = records.rbegin(); it != records.rend(); ++it) {
    if (it->path != path || it->options != options || it->format != format) continue;
    if (it->input_sha256 != input_sha256) return false;  // the file changed since
    if (it->status == "skipped") continue;  // look further back for the export it stood for
    std::error_code ec;
    return it->status == "exported" && it->verdict == "PASS" && !it->output_path.empty() &&
           std::filesystem::exists(it->output_path, ec);
  }
  return false;
}

ReportSummary summarize(const std::vector<ReportRecord>& records) {
  ReportSummary s;
  s.records = static_cast<int>(records.size());
  // The last record of each input decides its outcome: a resubmitted part overrides a failure.
  std::map<std::pair<std::string, std::string>, const ReportRecord*> last;
  std::vector<std::pair<std::string, std::string>> order;
  for (const ReportRecord& r : records) {
    auto key = std::make_pair(r.path, r.format);
    if (!last.count(key)) order.push_back(key);
    if (r.status == "skipped" && last.count(key) && last[key]->status == "exported") continue;
    last[key] = &r;
  }
  s.inputs = static_cast<int>(order.size());
  for (const auto& key : order) {
    const ReportRecord& r = *last[key];
    if (r.status == "failed" || r.verdict == "FAIL") {
      ++s.failed;
      s.failures.push_back(r);
    } else if (r.status == "skipped") {
      ++s.skipped;
    } else if (r.verdict == "PASS") {
      ++s.passed;
    } else if (r.verdict == "WARN") {
      ++s.warned;
    } else {
      ++s.unvalidated;
    }
  }
  for (const ReportRecord& r : records)
    if (r.status == "exported") s.slowest.push_back(r);
  std::stable_sort(
      s.slowest.begin(), s.slowest.end(),
      [](const ReportRecord& a, const ReportRecord& b) { return a.seconds > b.seconds; });
  if (s.slowest.size() > 5) s.slowest.resize(5);
  return s;
}

std::string format_summary(const ReportSummary& s) {
  std::ostringstream out;
  out << "Merged " << s.records << " records from " << s.files << " report file"
      << (s.files == 1 ? "" : "s") << ": " << s.inputs << " inputs\n";
  out << "  PASS: " << s.passed << "  WARN: " << s.warned << "  FAIL/failed: " << s.failed
      << "  skipped: " << s.skipped << "  not validated: " << s.unvalidated << "\n";
  if (s.malformed) out << "  " << s.malformed << " lines were not report records (ignored)\n";
  if (!s.failures.empty()) {
    out << "Failures:\n";
    for (const ReportRecord& r : s.failures)
      out << "  " << r.path << " [" << r.format << "] exit " << r.exit_code << ": "
          << (r.error.empty() ? "validation " + r.verdict : r.error) << "\n";
  }
  if (!s.slowest.empty()) {
    out << "Slowest exports:\n";
    for (const ReportRecord& r : s.slowest)
      out << "  " << fixed(r.seconds, 3) << " s  " << r.path << " [" << r.format << "]"
          << (r.shard.empty() ? "" : " shard " + r.shard) << "\n";
  }
  return out.str();
}

std::string utc_now_iso8601() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace mlexport::core

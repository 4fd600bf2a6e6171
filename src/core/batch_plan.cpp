#include "core/batch_plan.h"

#include <unistd.h>

#include <filesystem>

#include "core/file_sha256.h"
#include "mlexport/diagnostics.h"
#include "mlexport/formats.h"

namespace mlexport::core {
namespace {

std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "";
  return buf;
}

std::string shard_text(const std::optional<Shard>& shard) {
  return shard ? std::to_string(shard->index) + "/" + std::to_string(shard->count) : "";
}

}  // namespace

BatchPlan plan_batch(const std::vector<std::string>& matches, const std::string& pattern,
                     const ExportRequest& base, std::optional<Shard> shard,
                     const std::string& report_file, bool force) {
  BatchPlan plan;
  plan.matched = matches.size();
  plan.shard = shard;
  plan.options = options_fingerprint(base);
  plan.format = base.format.empty() ? "onnx" : base.format;
  const std::vector<std::string> mine = shard ? select_shard(matches, pattern, *shard) : matches;
  std::vector<ReportRecord> earlier;
  std::error_code ec;
  if (!report_file.empty() && std::filesystem::exists(report_file, ec))
    earlier = read_reports({report_file}, nullptr);
  for (const std::string& path : mine) {
    if (!report_file.empty()) plan.sha256[path] = file_sha256(path);
    if (!force && !report_file.empty() &&
        passed_before(earlier, path, plan.sha256[path], plan.options, plan.format)) {
      ReportRecord r;
      r.path = path;
      r.format = plan.format;
      r.status = "skipped";
      r.verdict = "PASS";
      r.input_sha256 = plan.sha256[path];
      r.options = plan.options;
      for (auto it = earlier.rbegin(); it != earlier.rend(); ++it)
        if (it->path == path && it->status == "exported") {
          r.output_path = it->output_path;
          break;
        }
      r.shard = shard_text(shard);
      r.host = host_name();
      r.finished_at = utc_now_iso8601();
      plan.skipped.push_back(std::move(r));
    } else {
      plan.to_export.push_back(path);
    }
  }
  return plan;
}

ReportRecord record_for(const BatchItem& item, const BatchPlan& plan, double seconds) {
  ReportRecord r;
  r.path = item.path;
  r.format = item.result.format.empty() ? plan.format : item.result.format;
  const bool written = !item.result.output_path.empty() &&
                       (item.ok || item.exit_code == static_cast<int>(ExitCode::kValidationFailed));
  r.status = item.exit_code == 0 || written ? "exported" : "failed";
  r.output_path = written ? item.result.output_path : "";
  const ValidationResult& v = item.result.validation;
  if (v.ran) {
    r.verdict = v.status;
    r.max_diff = v.max_diff;
    r.mse = v.mse;
    r.cosine_similarity = v.cosine_similarity;
  }
  r.exit_code = item.exit_code;
  r.error = item.error;
  auto sha = plan.sha256.find(item.path);
  if (sha != plan.sha256.end()) r.input_sha256 = sha->second;
  r.options = plan.options;
  r.seconds = seconds;
  r.timings = item.result.timings;
  r.shard = shard_text(plan.shard);
  r.host = host_name();
  r.finished_at = utc_now_iso8601();
  return r;
}

int merge_reports(const std::string& pattern, std::string* summary) {
  const std::vector<std::string> files = expand_glob(pattern);
  if (files.empty()) throw bad_input("no report files match " + pattern);
  int malformed = 0;
  const std::vector<ReportRecord> records = read_reports(files, &malformed);
  ReportSummary s = summarize(records);
  s.malformed = malformed;
  s.files = static_cast<int>(files.size());
  *summary = format_summary(s);
  return s.failed > 0 ? static_cast<int>(ExitCode::kValidationFailed) : 0;
}

}  // namespace mlexport::core

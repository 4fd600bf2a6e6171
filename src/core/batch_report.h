// The JSON Lines report of batch exports (--report FILE.jsonl): one line per export, appended
// atomically so that the parts of an array job can share one file on a shared file system, and
// read back to merge the parts (--merge_reports) and to skip exports that already passed.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "mlexport/export.h"

namespace mlexport::core {

struct ReportRecord {
  std::string path;         // the input file as the pattern matched it
  std::string format;       // onnx, openvino, ...
  std::string output_path;  // the written file ("" when the export failed)
  std::string status;       // "exported", "failed" or "skipped"
  std::string verdict;      // PASS / WARN / FAIL, "" when validation did not run
  std::string error;        // one line, when failed
  int exit_code = 0;        // as ml-export would return for this input alone
  std::string input_sha256;
  std::string options;  // fingerprint of the options that shape the output
  double max_diff = 0, mse = 0, cosine_similarity = 1;
  double seconds = 0;                     // wall time of this export
  std::map<std::string, double> timings;  // per stage
  std::string shard;                      // "K/N", "" when not sharded
  std::string host;
  std::string finished_at;  // UTC, ISO 8601
};

std::string to_json_line(const ReportRecord& record);  // no trailing newline
// nullopt when the line is not a report record (a torn or foreign line).
std::optional<ReportRecord> parse_record(const std::string& line);

// Appends `line` + '\n' with one write(2) on an O_APPEND descriptor under an exclusive flock, so
// concurrent writers never interleave. Throws mlexport::Error (bad input) when the file cannot be
// opened or written.
void append_line(const std::string& file, const std::string& line);

// Every record of the files, in file order; `malformed` counts the lines that are not records.
std::vector<ReportRecord> read_reports(const std::vector<std::string>& files, int* malformed);

// What options shape the written file, as a short stable string.
std::string options_fingerprint(const ExportRequest& request);

// True when the latest record of `path` in this format and with these options is a PASS for the
// same input content (SHA-256), and its output still exists.
bool passed_before(const std::vector<ReportRecord>& records, const std::string& path,
                   const std::string& input_sha256, const std::string& options,
                   const std::string& format);

struct ReportSummary {
  int files = 0, records = 0, malformed = 0;
  int inputs = 0;  // distinct (path, format): the last record of each counts
  int passed = 0, warned = 0, failed = 0, skipped = 0, unvalidated = 0;
  std::vector<ReportRecord> failures;  // last record per input, failed or FAIL
  std::vector<ReportRecord> slowest;   // up to 5 exported records, slowest first
};
ReportSummary summarize(const std::vector<ReportRecord>& records);
std::string format_summary(const ReportSummary& summary);

std::string utc_now_iso8601();

}  // namespace mlexport::core

// What one batch run (--pattern) does before and after its exports: which matches belong to this
// part of an array job, which already passed before (skipped unless forced), and the report line
// of each export. The CLI only prints; the rules live here.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/batch.h"
#include "core/batch_report.h"
#include "core/shard.h"

namespace mlexport::core {

struct BatchPlan {
  size_t matched = 0;                         // files the pattern matched
  std::optional<Shard> shard;                 // this run's part, when sharded
  std::vector<std::string> to_export;         // this part's files still to export
  std::vector<ReportRecord> skipped;          // this part's files that passed before
  std::map<std::string, std::string> sha256;  // input file -> SHA-256 (with a report)
  std::string options;                        // options_fingerprint of the base request
  std::string format;                         // the format every export writes
};

// `report_file` may be empty (no report: nothing is skipped) or not exist yet.
BatchPlan plan_batch(const std::vector<std::string>& matches, const std::string& pattern,
                     const ExportRequest& base, std::optional<Shard> shard,
                     const std::string& report_file, bool force);

ReportRecord record_for(const BatchItem& item, const BatchPlan& plan, double seconds);

// Reads every file that `pattern` matches and prints the summary; returns the exit code
// (0: nothing failed, 1: some export failed or failed validation, 2: no report found).
int merge_reports(const std::string& pattern, std::string* summary);

}  // namespace mlexport::core

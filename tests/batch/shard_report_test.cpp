// Batch sharding (--shard, scheduler environments) and the JSON Lines report.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "core/batch_report.h"
#include "core/shard.h"
#include "mlexport/diagnostics.h"

namespace mlexport::core {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> sweep(int n, const std::string& dir = "runs") {
  std::vector<std::string> paths;
  for (int k = 0; k < n; ++k)
    paths.push_back(dir + "/fold_" + std::to_string(k) + "/weights/best.pt");
  return paths;
}

TEST(Shard, ParsesKOverN) {
  Shard s = parse_shard("2/5");
  EXPECT_EQ(s.index, 2);
  EXPECT_EQ(s.count, 5);
  for (const char* bad : {"5/5", "-1/3", "1/0", "x/3", "3", "1/2/3", ""})
    EXPECT_THROW(parse_shard(bad), Error) << bad;
}

TEST(Shard, PartsAreDisjointAndCoverEveryFile) {
  const auto paths = sweep(100);
  std::multiset<std::string> seen;
  for (int k = 0; k < 4; ++k)
    for (const std::string& p : select_shard(paths, "runs/**/best.pt", Shard{k, 4, ""}))
      seen.insert(p);
  EXPECT_EQ(seen.size(), paths.size());
  for (const std::string& p : paths) EXPECT_EQ(seen.count(p), 1u) << p;
}

TEST(Shard, AFileKeepsItsPartWhenOthersAreAdded) {
  const auto before = sweep(20);
  auto after = sweep(60);
  after.push_back("runs/aaa_new/weights/best.pt");
  for (int k = 0; k < 3; ++k) {
    const auto old_part = select_shard(before, "runs/**/best.pt", Shard{k, 3, ""});
    const auto new_part = select_shard(after, "runs/**/best.pt", Shard{k, 3, ""});
    for (const std::string& p : old_part)
      EXPECT_NE(std::find(new_part.begin(), new_part.end(), p), new_part.end()) << p;
  }
}

TEST(Shard, SamePartFromAnotherMountPoint) {
  // Nodes may see the shared file system under different roots: the part depends on the path
  // below the pattern's fixed prefix only.
  const std::string a = "/mnt/a/runs/fold_3/weights/best.pt";
  const std::string b = "/scratch/runs/fold_3/weights/best.pt";
  EXPECT_EQ(shard_of(a, glob_fixed_prefix("/mnt/a/runs/**/best.pt"), 7),
            shard_of(b, glob_fixed_prefix("/scratch/runs/**/best.pt"), 7));
  EXPECT_EQ(glob_fixed_prefix("runs/*/best.pt"), "runs/");
  EXPECT_EQ(glob_fixed_prefix("*.pt"), "");
}

TEST(Shard, FromSlurmArrayEnvironment) {
  auto s = shard_from_environment(
      {{"SLURM_ARRAY_TASK_ID", "4"}, {"SLURM_ARRAY_TASK_MIN", "3"}, {"SLURM_ARRAY_TASK_MAX", "5"}},
      std::nullopt);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->index, 1);
  EXPECT_EQ(s->count, 3);
  s = shard_from_environment({{"SLURM_ARRAY_TASK_ID", "2"}, {"SLURM_ARRAY_TASK_COUNT", "3"}},
                             std::nullopt);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->index, 2);
  EXPECT_EQ(s->origin, "SLURM_ARRAY_TASK_ID");
  EXPECT_THROW(shard_from_environment({{"SLURM_ARRAY_TASK_ID", "1"}}, std::nullopt), Error);
  EXPECT_THROW(shard_from_environment(
                   {{"SLURM_ARRAY_TASK_ID", "7"}, {"SLURM_ARRAY_TASK_COUNT", "3"}}, std::nullopt),
               Error);
  EXPECT_FALSE(shard_from_environment({{"HOME", "/root"}}, std::nullopt));
  // Task 1 of a 0-2 array resubmitted alone (--array=1): Slurm describes a one-task array; the
  // count given by the user keeps the part.
  s = shard_from_environment({{"SLURM_ARRAY_TASK_ID", "1"},
                              {"SLURM_ARRAY_TASK_MIN", "1"},
                              {"SLURM_ARRAY_TASK_MAX", "1"},
                              {"SLURM_ARRAY_TASK_COUNT", "1"}},
                             3);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->index, 1);
  EXPECT_EQ(s->count, 3);
}

TEST(Shard, FromKubernetesIndexedJob) {
  auto s = shard_from_environment({{"JOB_COMPLETION_INDEX", "1"}}, 4);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->index, 1);
  EXPECT_EQ(s->count, 4);
  EXPECT_THROW(shard_from_environment({{"JOB_COMPLETION_INDEX", "1"}}, std::nullopt), Error);
  EXPECT_THROW(shard_from_environment({{"JOB_COMPLETION_INDEX", "4"}}, 4), Error);
}

class ReportFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = fs::temp_directory_path() / ("mlexport_report_" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  void TearDown() override { fs::remove_all(dir); }
  fs::path dir;
};

ReportRecord record(const std::string& path, const std::string& verdict, double seconds) {
  ReportRecord r;
  r.path = path;
  r.format = "onnx";
  r.status = verdict == "error" ? "failed" : "exported";
  r.verdict = verdict == "error" ? "" : verdict;
  if (verdict == "error") {
    r.error = "unsupported ops: aten::foo";
    r.exit_code = 3;
  }
  r.seconds = seconds;
  r.input_sha256 = "sha-" + path;
  r.options = "opset=14";
  return r;
}

TEST_F(ReportFile, RoundTripsAndMerges) {
  const std::string file = (dir / "a.jsonl").string();
  append_line(file, to_json_line(record("m1.pt", "PASS", 1.5)));
  append_line(file, to_json_line(record("m2.pt", "error", 0.2)));
  append_line(file, "{\"torn");
  append_line(file, to_json_line(record("m3.pt", "WARN", 3.0)));
  int malformed = 0;
  auto records = read_reports({file}, &malformed);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(malformed, 1);
  EXPECT_EQ(records[1].error, "unsupported ops: aten::foo");
  EXPECT_EQ(records[1].exit_code, 3);
  auto summary = summarize(records);
  EXPECT_EQ(summary.inputs, 3);
  EXPECT_EQ(summary.passed, 1);
  EXPECT_EQ(summary.warned, 1);
  EXPECT_EQ(summary.failed, 1);
  ASSERT_EQ(summary.failures.size(), 1u);
  EXPECT_EQ(summary.failures[0].path, "m2.pt");
  ASSERT_FALSE(summary.slowest.empty());
  EXPECT_EQ(summary.slowest[0].path, "m3.pt");
  // A resubmitted part that passes overrides the earlier failure.
  records.push_back(record("m2.pt", "PASS", 0.5));
  summary = summarize(records);
  EXPECT_EQ(summary.failed, 0);
  EXPECT_EQ(summary.passed, 2);
}

TEST_F(ReportFile, ConcurrentAppendsNeverInterleave) {
  const std::string file = (dir / "shared.jsonl").string();
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w)
    writers.emplace_back([&, w] {
      for (int k = 0; k < 200; ++k) {
        ReportRecord r =
            record("w" + std::to_string(w) + "_" + std::to_string(k) + ".pt", "PASS", k);
        r.error = std::string(500, 'x');  // long lines make torn writes visible
        append_line(file, to_json_line(r));
      }
    });
  for (auto& t : writers) t.join();
  int malformed = -1;
  auto records = read_reports({file}, &malformed);
  EXPECT_EQ(malformed, 0);
  EXPECT_EQ(records.size(), 800u);
}

TEST_F(ReportFile, PassedBeforeNeedsSameContentOptionsAndTheFile) {
  const std::string out = (dir / "m1.onnx").string();
  ReportRecord r = record("m1.pt", "PASS", 1);
  r.output_path = out;
  std::vector<ReportRecord> records{r};
  EXPECT_FALSE(passed_before(records, "m1.pt", r.input_sha256, r.options, "onnx"));  // file missing
  std::ofstream(out) << "x";
  EXPECT_TRUE(passed_before(records, "m1.pt", r.input_sha256, r.options, "onnx"));
  EXPECT_FALSE(passed_before(records, "m1.pt", "other-sha", r.options, "onnx"));
  EXPECT_FALSE(passed_before(records, "m1.pt", r.input_sha256, "opset=17", "onnx"));
  EXPECT_FALSE(passed_before(records, "m1.pt", r.input_sha256, r.options, "openvino"));
  EXPECT_FALSE(passed_before(records, "copy_of_m1.pt", r.input_sha256, r.options, "onnx"));
  records.push_back(record("m1.pt", "WARN", 1));
  records.back().output_path = out;
  EXPECT_FALSE(
      passed_before(records, "m1.pt", r.input_sha256, r.options, "onnx"));  // latest is WARN
}

TEST_F(ReportFile, UnwritableReportIsBadInput) {
  try {
    append_line((dir / "missing" / "r.jsonl").string(), "{}");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kBadInput);
  }
}

}  // namespace
}  // namespace mlexport::core

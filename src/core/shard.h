// Splitting a batch into disjoint parts for array jobs (Slurm job arrays, Kubernetes indexed Jobs).
//
// The rule: a file belongs to part hash(path relative to the pattern's fixed prefix) mod N, with
// 64-bit FNV-1a as the hash. Each file's part depends on its own path alone, so adding or removing
// files elsewhere in the tree never moves a file to another part, and every part computes the same
// split without talking to the others.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace mlexport::core {

struct Shard {
  int index = 0;  // 0 <= index < count
  int count = 1;
  std::string origin;  // "--shard", "SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX"
};

// "K/N" with 0 <= K < N; throws mlexport::Error (bad input) naming the problem.
Shard parse_shard(const std::string& spec);

// The shard given by the scheduler's environment: SLURM_ARRAY_TASK_ID with SLURM_ARRAY_TASK_COUNT
// (or SLURM_ARRAY_TASK_MIN/MAX), else JOB_COMPLETION_INDEX with `count_hint` parts (Kubernetes
// says no count). With `count_hint` (--shard_count), a Slurm task id is the part itself (arrays
// from 0), so a task resubmitted alone keeps its part. nullopt when neither is set.
std::optional<Shard> shard_from_environment(const std::map<std::string, std::string>& env,
                                            std::optional<int> count_hint);
std::map<std::string, std::string> process_environment();

// The part of the glob's text before its first wildcard, cut at a '/' (the folder the walk
// starts from).
std::string glob_fixed_prefix(const std::string& pattern);

// Which part `path` belongs to (see the rule above).
int shard_of(const std::string& path, const std::string& prefix, int count);

// The paths of `shard`, in their given order.
std::vector<std::string> select_shard(const std::vector<std::string>& paths,
                                      const std::string& pattern, const Shard& shard);

}  // namespace mlexport::core

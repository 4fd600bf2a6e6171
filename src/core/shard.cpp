#include "core/shard.h"

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "mlexport/diagnostics.h"

extern char** environ;

namespace mlexport::core {
namespace {

std::optional<long long> parse_integer(const std::string& text) {
  if (text.empty() || text.size() > 12) return std::nullopt;
  size_t used = 0;
  try {
    long long v = std::stoll(text, &used, 10);
    if (used != text.size()) return std::nullopt;
    return v;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

int checked_count(long long count, const std::string& what) {
  if (count < 1 || count > 1000000)
    throw bad_input(what + ": the number of parts must be between 1 and 1000000, got " +
                    std::to_string(count));
  return static_cast<int>(count);
}

uint64_t fnv1a(std::string_view text) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

std::string lookup(const std::map<std::string, std::string>& env, const char* key) {
  auto it = env.find(key);
  return it == env.end() ? std::string() : it->second;
}

}  // namespace

Shard parse_shard(const std::string& spec) {
  const size_t slash = spec.find('/');
  const auto k = slash == std::string::npos ? std::nullopt : parse_integer(spec.substr(0, slash));
  const auto n = slash == std::string::npos ? std::nullopt : parse_integer(spec.substr(slash + 1));
  if (!k || !n) throw bad_input("--shard: expected K/N (for example 0/4), got '" + spec + "'");
  const int count = checked_count(*n, "--shard");
  if (*k < 0 || *k >= count)
    throw bad_input("--shard " + spec + ": K must be in 0.." + std::to_string(count - 1));
  return Shard{static_cast<int>(*k), count, "--shard"};
}

std::optional<Shard> shard_from_environment(const std::map<std::string, std::string>& env,
                                            std::optional<int> count_hint) {
  const std::string task = lookup(env, "SLURM_ARRAY_TASK_ID");
  if (!task.empty()) {
    const auto id = parse_integer(task);
    if (!id) throw bad_input("SLURM_ARRAY_TASK_ID is not a number: '" + task + "'");
    const auto min = parse_integer(lookup(env, "SLURM_ARRAY_TASK_MIN"));
    const auto max = parse_integer(lookup(env, "SLURM_ARRAY_TASK_MAX"));
    const auto given = parse_integer(lookup(env, "SLURM_ARRAY_TASK_COUNT"));
    // With a count given, task ids number the parts from 0, as in the original array: a task
    // resubmitted alone (--array=2) runs in a one-task array whose own MIN/COUNT say nothing of
    // the original.
    const long long first = count_hint ? 0 : min.value_or(0);
    long long count = 0;
    if (count_hint)
      count = *count_hint;
    else if (given)
      count = *given;
    else if (max)
      count = *max - first + 1;
    else
      throw bad_input(
          "SLURM_ARRAY_TASK_ID is set but neither SLURM_ARRAY_TASK_COUNT nor "
          "SLURM_ARRAY_TASK_MAX is: give --shard K/N or --shard_count N");
    const int n = checked_count(count, "SLURM_ARRAY_TASK_COUNT");
    const long long k = *id - first;
    if (k < 0 || k >= n)
      throw bad_input("SLURM_ARRAY_TASK_ID " + task + " is outside the array (" +
                      std::to_string(first) + ".." + std::to_string(first + n - 1) +
                      "); arrays must be contiguous, e.g. --array=0-" + std::to_string(n - 1));
    return Shard{static_cast<int>(k), n, "SLURM_ARRAY_TASK_ID"};
  }
  const std::string index = lookup(env, "JOB_COMPLETION_INDEX");
  if (!index.empty()) {
    const auto id = parse_integer(index);
    if (!id) throw bad_input("JOB_COMPLETION_INDEX is not a number: '" + index + "'");
    if (!count_hint)
      throw bad_input(
          "JOB_COMPLETION_INDEX is set: give the number of parts with --shard_count N (the Job's "
          "completions)");
    const int n = checked_count(*count_hint, "--shard_count");
    if (*id < 0 || *id >= n)
      throw bad_input("JOB_COMPLETION_INDEX " + index + " is not below --shard_count " +
                      std::to_string(n));
    return Shard{static_cast<int>(*id), n, "JOB_COMPLETION_INDEX"};
  }
  return std::nullopt;
}

std::map<std::string, std::string> process_environment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string_view entry(*e);
    const size_t eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    env.emplace(std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1)));
  }
  return env;
}

std::string glob_fixed_prefix(const std::string& pattern) {
  const size_t wild = pattern.find_first_of("*?[");
  const std::string head = pattern.substr(0, wild == std::string::npos ? pattern.size() : wild);
  const size_t slash = head.rfind('/');
  return slash == std::string::npos ? std::string() : head.substr(0, slash + 1);
}

int shard_of(const std::string& path, const std::string& prefix, int count) {
  std::string_view rel(path);
  if (!prefix.empty() && rel.substr(0, prefix.size()) == prefix) rel.remove_prefix(prefix.size());
  while (rel.substr(0, 2) == "./") rel.remove_prefix(2);
  return static_cast<int>(fnv1a(rel) % static_cast<uint64_t>(count));
}

std::vector<std::string> select_shard(const std::vector<std::string>& paths,
                                      const std::string& pattern, const Shard& shard) {
  const std::string prefix = glob_fixed_prefix(pattern);
  std::vector<std::string> mine;
  for (const std::string& p : paths)
    if (shard_of(p, prefix, shard.count) == shard.index) mine.push_back(p);
  return mine;
}

}  // namespace mlexport::core

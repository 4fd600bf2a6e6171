#include "runtime/onnxruntime_runner.h"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <utility>

#include "io/npy.h"
#include "mlexport/diagnostics.h"

extern char** environ;

namespace mlexport::runtime {
namespace {

namespace fs = std::filesystem;

bool is_executable_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

bool is_readable_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), R_OK) == 0;
}

std::optional<std::string> find_node(std::string* why_not) {
  if (const char* env = std::getenv("MLEXPORT_NODE"); env && *env) {
    if (is_executable_file(env)) return std::string(env);
    *why_not = std::string("MLEXPORT_NODE=") + env + " is not an executable file";
    return std::nullopt;
  }
  const char* path = std::getenv("PATH");
  std::string dirs = path && *path ? path : "/usr/local/bin:/usr/bin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    std::string dir = dirs.substr(start, end - start);
    std::string candidate = (dir.empty() ? std::string(".") : dir) + "/node";
    if (is_executable_file(candidate)) return candidate;
    start = end + 1;
  }
  *why_not = "node was not found on PATH (install Node.js or set MLEXPORT_NODE)";
  return std::nullopt;
}

std::optional<std::string> find_runner_script(std::string* why_not) {
  if (const char* env = std::getenv("MLEXPORT_ORT_RUNNER"); env && *env) {
    if (is_readable_file(env)) return std::string(env);
    *why_not = std::string("MLEXPORT_ORT_RUNNER=") + env + " is not a readable file";
    return std::nullopt;
  }
  std::vector<fs::path> candidates;
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    candidates.push_back(exe.parent_path() / ".." / "tools" / "ort-runner" / "run.js");
    candidates.push_back(exe.parent_path() / ".." / ".." / "tools" / "ort-runner" / "run.js");
  }
#ifdef MLEXPORT_SOURCE_DIR
  candidates.push_back(fs::path(MLEXPORT_SOURCE_DIR) / "tools" / "ort-runner" / "run.js");
#endif
  std::string tried;
  for (const auto& c : candidates) {
    if (is_readable_file(c.string())) return fs::weakly_canonical(c, ec).string();
    tried += (tried.empty() ? "" : ", ") + c.lexically_normal().string();
  }
  *why_not = "tools/ort-runner/run.js was not found (tried " + tried + "; set MLEXPORT_ORT_RUNNER)";
  return std::nullopt;
}

struct ProcessResult {
  int exit_code = -1;  // valid when signal == 0
  int signal = 0;
  std::string out, err;  // err keeps only its last kMaxCapture bytes
};

constexpr size_t kMaxCapture = 1 << 20;

// Runs argv[0] with argv (no shell involved), stdin from /dev/null, capturing stdout and stderr.
ProcessResult run_process(const std::vector<std::string>& argv) {
  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0)
    throw Error(ExitCode::kInternal, std::string("pipe failed: ") + std::strerror(errno));
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
    int e = errno;
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    throw Error(ExitCode::kInternal, std::string("pipe failed: ") + std::strerror(e));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  int rc = ::posix_spawn(&pid, argv[0].c_str(), &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  if (rc != 0) {
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    throw Error(ExitCode::kInternal, "cannot start " + argv[0] + ": " + std::strerror(rc));
  }

  ProcessResult result;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  int open_count = 2;
  char buf[65536];
  while (open_count > 0) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      ssize_t n = ::read(fds[i].fd, buf, sizeof(buf));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        ::close(fds[i].fd);
        fds[i].fd = -1;  // poll ignores negative descriptors
        --open_count;
        continue;
      }
      std::string& sink = *sinks[i];
      sink.append(buf, static_cast<size_t>(n));
      // The error line comes last, so keep the tail.
      if (sink.size() > kMaxCapture) sink.erase(0, sink.size() - kMaxCapture);
    }
  }
  for (auto& f : fds)
    if (f.fd >= 0) ::close(f.fd);

  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR)
      throw Error(ExitCode::kInternal, std::string("waitpid failed: ") + std::strerror(errno));
  }
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  return result;
}

// The runner's "error: ..." line without its prefix, else the last line of stderr.
std::string failure_line(const ProcessResult& p) {
  if (p.signal) return "node was killed by signal " + std::to_string(p.signal);
  std::string last;
  size_t start = 0;
  while (start < p.err.size()) {
    size_t end = p.err.find('\n', start);
    if (end == std::string::npos) end = p.err.size();
    std::string line = p.err.substr(start, end - start);
    if (line.rfind("error: ", 0) == 0) return line.substr(7);
    if (line.find_first_not_of(" \t\r") != std::string::npos) last = line;
    start = end + 1;
  }
  if (!last.empty()) return last;
  return "node exited with code " + std::to_string(p.exit_code) + " and no message";
}

class TempDir {
 public:
  TempDir() {
    const char* tmp = std::getenv("TMPDIR");
    std::string templ = std::string(tmp && *tmp ? tmp : "/tmp") + "/mlexport-ort-XXXXXX";
    if (!::mkdtemp(templ.data()))
      throw Error(ExitCode::kInternal,
                  "cannot create a temporary directory in " + templ + ": " + std::strerror(errno));
    path_ = templ;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

struct Runner {
  std::string node, script;
};

Runner locate_runner() {
  std::string why;
  auto node = find_node(&why);
  if (!node) throw Error(ExitCode::kInternal, "ONNX Runtime is not available: " + why);
  auto script = find_runner_script(&why);
  if (!script) throw Error(ExitCode::kInternal, "ONNX Runtime is not available: " + why);
  return {*node, *script};
}

std::vector<std::string> string_list(const nlohmann::json& j, const char* key) {
  std::vector<std::string> out;
  if (j.contains(key) && j[key].is_array())
    for (const auto& v : j[key]) out.push_back(v.get<std::string>());
  return out;
}

}  // namespace

RunResult run_onnxruntime(const std::string& model_path, const std::vector<ir::Tensor>& inputs,
                          int threads) {
  Runner runner = locate_runner();
  TempDir tmp;
  fs::path in_dir = tmp.path() / "in", out_dir = tmp.path() / "out";
  fs::create_directory(in_dir);
  fs::create_directory(out_dir);
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].dtype == ir::DType::BFloat16)
      throw bad_input("input " + std::to_string(i) +
                      " is bfloat16, which the ONNX Runtime runner cannot pass; cast it first");
    io::write_npy((in_dir / (std::to_string(i) + ".npy")).string(), inputs[i]);
  }

  std::vector<std::string> argv = {runner.node, runner.script,   "--model",   model_path,
                                   "--inputs",  in_dir.string(), "--outputs", out_dir.string()};
  if (threads > 0) {
    argv.push_back("--threads");
    argv.push_back(std::to_string(threads));
  }
  ProcessResult p = run_process(argv);
  if (p.signal != 0 || p.exit_code != 0) {
    ExitCode code = p.exit_code == 2 ? ExitCode::kBadInput : ExitCode::kInternal;
    throw Error(code, "ONNX Runtime: " + failure_line(p));
  }

  RunResult result;
  try {
    std::ifstream in(out_dir / "outputs.json");
    if (!in) throw Error(ExitCode::kInternal, "the runner wrote no outputs.json");
    nlohmann::json report = nlohmann::json::parse(in);
    result.runtime = report.value("runtime", std::string("onnxruntime-node"));
    result.input_names = string_list(report, "input_names");
    result.output_names = string_list(report, "output_names");
    result.run_seconds = report.value("run_ms", 0.0) / 1000.0;
    for (size_t i = 0; i < result.output_names.size(); ++i)
      result.outputs.push_back(io::read_npy((out_dir / (std::to_string(i) + ".npy")).string()));
  } catch (const nlohmann::json::exception& e) {
    throw Error(ExitCode::kInternal, std::string("ONNX Runtime: bad outputs.json: ") + e.what());
  } catch (const Error& e) {
    // A file the runner wrote is our bug, not the user's.
    throw Error(ExitCode::kInternal, std::string("ONNX Runtime: ") + e.what());
  }
  return result;
}

bool onnxruntime_available(std::string* why_not) {
  std::string why;
  bool ok = false;
  std::optional<std::string> node = find_node(&why);
  std::optional<std::string> script = node ? find_runner_script(&why) : std::nullopt;
  if (node && script) {
    // Starting node costs ~100 ms; remember the answer per (node, script).
    static std::mutex mu;
    static std::map<std::pair<std::string, std::string>, std::pair<bool, std::string>> cache;
    std::lock_guard<std::mutex> lock(mu);
    auto key = std::make_pair(*node, *script);
    auto it = cache.find(key);
    if (it == cache.end()) {
      std::pair<bool, std::string> answer;
      try {
        ProcessResult p = run_process({*node, *script, "--version"});
        answer.first = p.signal == 0 && p.exit_code == 0 && p.out.rfind("onnxruntime-node", 0) == 0;
        if (!answer.first) answer.second = *script + ": " + failure_line(p);
      } catch (const Error& e) {
        answer = {false, e.what()};
      }
      it = cache.emplace(key, answer).first;
    }
    ok = it->second.first;
    why = it->second.second;
  }
  if (why_not) *why_not = ok ? std::string() : why;
  return ok;
}

}  // namespace mlexport::runtime

// Each export as one Slurm batch job: a small script runs the CLI with its stdout and stderr in
// the job folder and writes the exit code last; the server submits it with `sbatch --parsable`,
// follows the stderr file and the queue (`squeue`), and cancels with `scancel`.
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "service/executor.h"

namespace mlexport::service {
namespace {

namespace fs = std::filesystem;

std::string shell_quote(const std::string& word) {
  std::string out = "'";
  for (char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// The full path of a program on PATH (run_child execs without a search); "" when absent.
std::string find_program(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    const fs::path candidate = fs::path(dir.empty() ? "." : dir) / name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
  }
  return "";
}

// Runs a short Slurm command and returns its exit code and stdout.
std::pair<int, std::string> run_command(const std::vector<std::string>& argv) {
  ChildResult r = run_child(
      argv, [](const std::string&) {}, [](pid_t) {});
  return {r.started ? r.exit_code : -1, r.out};
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class SlurmExecutor : public Executor {
 public:
  explicit SlurmExecutor(std::vector<std::string> sbatch_args) : args_(std::move(sbatch_args)) {
    for (const char* tool : {"sbatch", "squeue", "scancel"}) {
      tools_[tool] = find_program(tool);
      if (tools_[tool].empty())
        throw std::runtime_error(std::string("--executor slurm: ") + tool +
                                 " is not on PATH (install slurm-client)");
    }
  }
  std::string name() const override { return "slurm"; }

  ChildResult run(const std::vector<std::string>& argv, const std::string& job_dir,
                  const std::function<void(const std::string&)>& on_line,
                  const std::function<void(const std::string&)>& on_start) override {
    ChildResult result;
    const fs::path dir = fs::absolute(job_dir);
    fs::create_directories(dir);
    const fs::path script = dir / "job.sh", out = dir / "stdout.json", err = dir / "stderr.log",
                   code = dir / "exit_code";
    std::error_code ec;
    fs::remove(code, ec);
    {
      std::ofstream s(script);
      s << "#!/bin/sh\n# An mlexport-server export, submitted with sbatch.\n";
      for (const std::string& word : argv) s << shell_quote(word) << ' ';
      s << "> " << shell_quote(out.string()) << " 2> " << shell_quote(err.string()) << "\n";
      s << "echo $? > " << shell_quote(code.string() + ".tmp") << " && mv "
        << shell_quote(code.string() + ".tmp") << ' ' << shell_quote(code.string()) << "\n";
    }
    std::vector<std::string> submit = {tools_["sbatch"], "--parsable", "--job-name=mlexport-export",
                                       "--output=" + (dir / "slurm.out").string(),
                                       "--chdir=" + dir.string()};
    submit.insert(submit.end(), args_.begin(), args_.end());
    submit.push_back(script.string());
    auto [rc, text] = run_command(submit);
    const std::string job_id = text.substr(0, text.find_first_of(";\n"));
    if (rc != 0 || job_id.empty() || job_id.find_first_not_of("0123456789") != std::string::npos) {
      result.out = "sbatch failed (exit " + std::to_string(rc) + "): " + text;
      on_line("ERROR: sbatch failed: " + text);
      return result;
    }
    result.started = true;
    on_start(job_id);

    size_t read_upto = 0;
    std::string partial;
    auto follow = [&] {  // reads what the job appended to its stderr since the last call
      std::ifstream in(err, std::ios::binary);
      if (!in) return;
      in.seekg(static_cast<std::streamoff>(read_upto));
      std::string more((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      if (more.empty()) return;
      read_upto += more.size();
      partial += more;
      size_t nl;
      while ((nl = partial.find('\n')) != std::string::npos) {
        on_line(partial.substr(0, nl));
        partial.erase(0, nl + 1);
      }
    };
    // The job has ended when its exit code is written, or when it left the queue without one
    // (cancelled, killed at its time limit, or its node failed).
    int gone_polls = 0;
    while (true) {
      follow();
      if (fs::exists(code)) break;
      auto [qrc, state] = run_command({tools_["squeue"], "-h", "-j", job_id, "-o", "%T"});
      const bool listed = qrc == 0 && state.find_first_not_of(" \n") != std::string::npos;
      if (!listed && ++gone_polls >= 6) break;  // give a shared file system time to show the file
      if (listed) gone_polls = 0;
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    follow();
    if (!partial.empty()) on_line(partial);
    result.out = read_file(out);
    const std::string code_text = read_file(code);
    if (code_text.empty()) {
      result.signal = SIGTERM;  // ended by Slurm before the CLI finished
      return result;
    }
    const int exit_code = std::atoi(code_text.c_str());
    if (exit_code > 128)
      result.signal = exit_code - 128;
    else
      result.exit_code = exit_code;
    return result;
  }

  void cancel(const std::string& handle) override { run_command({tools_["scancel"], handle}); }

 private:
  std::vector<std::string> args_;
  std::map<std::string, std::string> tools_;  // sbatch, squeue, scancel -> full path
};

}  // namespace

std::unique_ptr<Executor> make_slurm_executor(std::vector<std::string> sbatch_args) {
  return std::make_unique<SlurmExecutor>(std::move(sbatch_args));
}

}  // namespace mlexport::service

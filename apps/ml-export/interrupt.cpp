#include "interrupt.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

namespace mlexport::cli {
namespace {

namespace fs = std::filesystem;

struct InProgress {
  std::string input_path;
  fs::file_time_type started;
};

volatile sig_atomic_t g_signal = 0;
int g_pipe[2] = {-1, -1};
std::mutex g_lock;
std::map<std::string, InProgress> g_outputs;
InterruptReport g_report;
std::function<std::string()> g_summary;

void on_signal(int sig) {
  if (g_signal == 0) g_signal = sig;
  const char byte = static_cast<char>(sig);
  (void)!::write(g_pipe[1], &byte, 1);
}

bool written_since(const fs::path& p, fs::file_time_type since) {
  std::error_code ec;
  const auto t = fs::last_write_time(p, ec);
  return !ec && t >= since;
}

// The output, the files written beside it (OpenVINO's .bin, external .data) if this run wrote
// them, and every hidden temporary file an emitter made for them.
size_t remove_output(const std::string& output, const InProgress& job) {
  const fs::path out(output);
  fs::path dir = out.parent_path();
  if (dir.empty()) dir = ".";
  const std::string name = out.filename().string();
  const std::string stem = out.stem().string();
  std::error_code ec;
  const fs::path input = fs::weakly_canonical(job.input_path, ec);
  size_t removed = 0;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string file = entry.path().filename().string();
    if (!entry.is_regular_file(ec)) continue;
    std::error_code same;
    if (fs::weakly_canonical(entry.path(), same) == input) continue;
    const bool temporary =
        file.rfind("." + stem, 0) == 0 && file.find(".tmp-") != std::string::npos;
    const bool ours = file == name || file == stem + ".bin" || file.rfind(name + ".", 0) == 0 ||
                      file.rfind(name + "_", 0) == 0;
    if (temporary || (ours && written_since(entry.path(), job.started)))
      if (fs::remove(entry.path(), ec)) ++removed;
  }
  return removed;
}

void watch() {
  char byte = 0;
  while (::read(g_pipe[0], &byte, 1) != 1) {
  }
  const int sig = g_signal ? static_cast<int>(g_signal) : byte;
  std::string message;
  {
    std::lock_guard<std::mutex> guard(g_lock);
    size_t removed = 0;
    for (const auto& [output, job] : g_outputs) removed += remove_output(output, job);
    message = std::string("interrupted by ") + (sig == SIGINT ? "SIGINT" : "SIGTERM");
    if (g_summary) message += ": " + g_summary();
    message += g_outputs.empty() ? ""
               : removed         ? "; the unfinished output was removed"
                                 : "; nothing unfinished was left";
  }
  if (g_report) g_report(sig, message);
  std::fflush(stdout);
  std::fflush(stderr);
  std::_Exit(128 + sig);
}

}  // namespace

void install_interrupt_handling(InterruptReport report) {
  g_report = std::move(report);
  if (::pipe(g_pipe) != 0) return;
  std::thread(watch).detach();
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  // Over a file-size limit (ulimit -f), SIGXFSZ would kill the process mid-write and leave the
  // hidden temporary file behind; ignored, the write fails with EFBIG and the usual cleanup runs.
  ::signal(SIGXFSZ, SIG_IGN);
}

void set_interrupt_summary(std::function<std::string()> summary) {
  std::lock_guard<std::mutex> guard(g_lock);
  g_summary = std::move(summary);
}

void begin_output(const std::string& output_path, const std::string& input_path) {
  if (output_path.empty()) return;
  std::lock_guard<std::mutex> guard(g_lock);
  // A little slack: file times can be coarser than the clock.
  g_outputs[output_path] = {input_path, fs::file_time_type::clock::now() - std::chrono::seconds(1)};
}

void end_output(const std::string& output_path) {
  std::lock_guard<std::mutex> guard(g_lock);
  g_outputs.erase(output_path);
}

bool interrupted() {
  return g_signal != 0;
}

void wait_for_interrupt_exit() {
  for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));
}

}  // namespace mlexport::cli

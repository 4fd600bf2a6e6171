// SIGINT / SIGTERM during an export: the outputs in progress and their hidden temporary files are
// removed, a last line says what finished, and the process exits 128 + the signal (130, 143).
#pragma once

#include <functional>
#include <string>

namespace mlexport::cli {

// The line printed (as an ERROR) and the JSON error written when a signal arrives.
using InterruptReport = std::function<void(int signal, const std::string& message)>;

// Installs the handlers and the thread that acts on them. `summary` (may be empty) adds what
// finished, e.g. "2/5 models exported".
void install_interrupt_handling(InterruptReport report);
void set_interrupt_summary(std::function<std::string()> summary);

// An output being written from `input_path` (never removed). Files it leaves are removed on a
// signal until end_output() is called for it.
void begin_output(const std::string& output_path, const std::string& input_path);
void end_output(const std::string& output_path);

// True once a signal arrived; the caller then waits for the exit instead of reporting the errors
// the interruption caused (a runner whose child process got the same signal, ...).
bool interrupted();
[[noreturn]] void wait_for_interrupt_exit();

}  // namespace mlexport::cli

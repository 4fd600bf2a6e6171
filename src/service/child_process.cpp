#include "service/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

namespace mlexport::service {

ChildResult run_child(const std::vector<std::string>& argv,
                      const std::function<void(const std::string&)>& on_line,
                      const std::function<void(pid_t)>& on_start) {
  ChildResult result;
  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) return result;
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    return result;
  }
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);  // the server died before prctl took effect
    const int null_fd = ::open("/dev/null", O_RDONLY);
    ::dup2(null_fd, 0);
    ::dup2(out_pipe[1], 1);
    ::dup2(err_pipe[1], 2);
    // Client sockets and the listening socket stay with the server: a child holding one would
    // keep a finished connection open.
    ::close_range(3, ~0U, 0);
    ::execv(args[0], args.data());
    // Only async-signal-safe calls between fork and exec: no allocation here.
    const char prefix[] = "cannot run ";
    (void)!::write(2, prefix, sizeof prefix - 1);
    (void)!::write(2, args[0], std::strlen(args[0]));
    ::_exit(127);
  }
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  if (pid < 0) {
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    return result;
  }
  ::setpgid(pid, pid);  // also from here, so the group exists before anyone signals it
  result.started = true;
  if (on_start) on_start(pid);

  std::string pending;
  auto flush_lines = [&](bool all) {
    size_t start = 0, end;
    while ((end = pending.find('\n', start)) != std::string::npos) {
      on_line(pending.substr(start, end - start));
      start = end + 1;
    }
    pending.erase(0, start);
    if (all && !pending.empty()) {
      on_line(pending);
      pending.clear();
    }
  };
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  int open_fds = 2;
  char buffer[65536];
  while (open_fds > 0) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int k = 0; k < 2; ++k) {
      if (fds[k].fd < 0 || !(fds[k].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const ssize_t n = ::read(fds[k].fd, buffer, sizeof buffer);
      if (n > 0) {
        if (k == 0) {
          result.out.append(buffer, static_cast<size_t>(n));
        } else {
          pending.append(buffer, static_cast<size_t>(n));
          flush_lines(false);
        }
      } else if (n == 0 || errno != EINTR) {
        ::close(fds[k].fd);
        fds[k].fd = -1;
        --open_fds;
      }
    }
  }
  flush_lines(true);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  return result;
}

void stop_process_group(pid_t pgid) {
  if (pgid <= 0) return;
  ::kill(-pgid, SIGTERM);
  // The export's pipes close when the group is gone; if SIGTERM is ignored, SIGKILL follows.
  std::thread([pgid] {
    std::this_thread::sleep_for(std::chrono::seconds(3));
    ::kill(-pgid, SIGKILL);
  }).detach();
}

}  // namespace mlexport::service

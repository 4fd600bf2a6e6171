// mlexport-server: the export service of the studio design over a workspace folder.
//
//   mlexport-server --workspace DIR [--host 127.0.0.1] [--port 8080] [--workers N] [--token T]
//                   [--executor local|slurm] [--sbatch_arg ARG ...]
//
// Exports run as `ml-export --json` child processes (the CLI beside this executable unless --cli
// says otherwise). Port 0 picks a free port; the first line on stdout names the address.
#include <httplib.h>
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "service/export_service.h"
#include "service/routes.h"

namespace fs = std::filesystem;

namespace {

std::string beside_this_executable(const std::string& name) {
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  return ec ? name : (self.parent_path() / name).string();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"mlexport-server: the export service (REST API, export jobs, downloads)"};
  std::string workspace, host = "127.0.0.1", token, cli = beside_this_executable("ml-export"),
                         web_dir = MLEXPORT_WEB_DIR;
  int port = 8080, workers = 0;
  size_t max_body = 64 * 1024;
  app.add_option("--workspace", workspace, "Workspace folder (projects/...)")->required();
  app.add_option("--host", host, "Address to bind (default 127.0.0.1: this machine only)");
  app.add_option("--port", port, "Port (0: any free port)");
  app.add_option("--workers", workers, "Exports run at once (default: half the cores, at least 1)");
  app.add_option("--token", token,
                 "Bearer token every /api/ route requires (default: $MLEXPORT_TOKEN, else none)");
  app.add_option("--cli", cli, "The ml-export executable exports run in");
  app.add_option("--web", web_dir, "The Export page's static files, served at /");
  app.add_option("--max_body_bytes", max_body, "Largest request body accepted (default 65536)");
  std::string executor = "local";
  std::vector<std::string> sbatch_args;
  app.add_option("--executor", executor,
                 "Where exports run: local (child processes, default) or slurm (one sbatch job "
                 "each; the workspace must be on a shared file system)")
      ->check(CLI::IsMember({"local", "slurm"}));
  app.add_option("--sbatch_arg", sbatch_args,
                 "With --executor slurm: an argument added to every sbatch call (repeatable, "
                 "e.g. --sbatch_arg=--partition=gpu)")
      ->allow_extra_args(false);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 2;
  }
  if (token.empty() && std::getenv("MLEXPORT_TOKEN")) token = std::getenv("MLEXPORT_TOKEN");
  if (workers < 0 || port < 0 || port > 65535) {
    std::fprintf(stderr, "error: --workers and --port must not be negative\n");
    return 2;
  }

  // SIGINT/SIGTERM are taken by one thread that stops the server; writes to a closed socket
  // must not end the process.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  try {
    mlexport::service::ServiceConfig config;
    config.workspace = workspace;
    config.cli = cli;
    config.workers = workers;
    config.version = MLEXPORT_VERSION;
    config.executor = executor;
    config.sbatch_args = sbatch_args;
    auto formats = mlexport::service::FormatRegistry::from_cli(cli);
    mlexport::service::ExportService service(config, std::move(formats));
    service.start();

    httplib::Server server;
    server.new_task_queue = [] { return new httplib::ThreadPool(32); };
    mlexport::service::RouteOptions options;
    options.token = token;
    options.max_body_bytes = max_body;
    if (fs::is_regular_file(fs::path(web_dir) / "index.html")) options.web_dir = web_dir;
    mlexport::service::add_routes(server, service, options);

    const int bound =
        port == 0 ? server.bind_to_any_port(host) : (server.bind_to_port(host, port) ? port : -1);
    if (bound < 0) {
      std::fprintf(stderr, "error: cannot listen on %s:%d\n", host.c_str(), port);
      return 2;
    }
    std::printf("mlexport-server listening on http://%s:%d (workspace %s)\n", host.c_str(), bound,
                workspace.c_str());
    std::fflush(stdout);
    std::thread stopper([&server, stop_signals] {
      int sig = 0;
      sigwait(&stop_signals, &sig);
      server.stop();
    });
    stopper.detach();
    server.listen_after_bind();
    // Running exports are not waited for: their children die with this process, and on the next
    // start their records say "interrupted" (the documented restart rule).
    std::fflush(stdout);
    std::_Exit(0);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 2;
  }
}

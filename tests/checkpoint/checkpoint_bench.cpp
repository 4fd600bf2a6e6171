// Read speed of the checkpoint readers: checkpoint_bench <file.pt|file.safetensors> [repeats]
// Loads the file once to warm the page cache, then `repeats` times (default 5), and prints the
// best and median time and MB/s (file bytes per second). Each result is freed before the next
// load starts, outside the timed region.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "frontend/checkpoint/checkpoint.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s <file.pt|file.safetensors> [repeats]\n", argv[0]);
    return 2;
  }
  const std::string path = argv[1];
  const int repeats = argc > 2 ? std::max(1, std::atoi(argv[2])) : 5;
  const bool safetensors = path.ends_with(".safetensors");
  const double mb = std::filesystem::file_size(path) / 1e6;
  size_t tensors = 0;
  // The result is kept until after the clock stops: freeing it is not part of reading.
  std::vector<std::pair<std::string, mlexport::ir::Tensor>> kept;
  mlexport::pyvalue::ValuePtr root;
  auto load = [&] {
    if (safetensors) {
      kept = mlexport::frontend::checkpoint::load_safetensors(path);
      tensors = kept.size();
    } else {
      root = mlexport::frontend::checkpoint::load_torch_file(path);
      tensors = mlexport::frontend::checkpoint::tensors_of(*root).size();
    }
  };
  try {
    load();  // warm the page cache
    std::vector<double> times, user, sys;
    auto cpu = [](const timeval& tv) { return tv.tv_sec + tv.tv_usec * 1e-6; };
    for (int k = 0; k < repeats; ++k) {
      kept.clear();
      root.reset();
      rusage r0{}, r1{};
      getrusage(RUSAGE_SELF, &r0);
      const auto t0 = std::chrono::steady_clock::now();
      load();
      times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
      getrusage(RUSAGE_SELF, &r1);
      user.push_back(cpu(r1.ru_utime) - cpu(r0.ru_utime));
      sys.push_back(cpu(r1.ru_stime) - cpu(r0.ru_stime));
    }
    std::vector<double> sorted = times;
    std::sort(sorted.begin(), sorted.end());
    const double best = sorted.front(), median = sorted[sorted.size() / 2];
    double u = 0, s = 0;
    for (int k = 0; k < repeats; ++k) u += user[k], s += sys[k];
    std::printf(
        "%s: %.1f MB, %zu tensors; best %.1f ms (%.0f MB/s), median %.1f ms (%.0f MB/s); "
        "CPU per load: user %.1f ms, kernel %.1f ms (page faults of fresh memory)\n",
        path.c_str(), mb, tensors, best * 1e3, mb / best, median * 1e3, mb / median,
        u / repeats * 1e3, s / repeats * 1e3);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 2;
  }
  return 0;
}

// Which branches of each data-dependent If ran, and how many times each data-dependent Loop went
// round, keyed by source location, over one or more runs of the model. In ir/ because the
// TorchScript frontend names the sites, the LibTorch reference reports runs over them and core
// merges and judges the runs; none of them may see the others.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>

namespace mlexport::ir {

struct ControlFlowCoverage {
  struct Branches {
    bool then_taken = false;
    bool else_taken = false;
  };
  std::map<std::string, Branches> ifs;
  std::map<std::string, std::set<int64_t>> loops;

  void note_if(const std::string& where, bool then) {
    (then ? ifs[where].then_taken : ifs[where].else_taken) = true;
  }
  void note_loop(const std::string& where, int64_t iterations) { loops[where].insert(iterations); }
  void merge(const ControlFlowCoverage& other);
  bool empty() const { return ifs.empty() && loops.empty(); }
  bool all_branches_taken() const;
  // Every If both ways, and every Loop at three iteration counts or more.
  bool well_covered() const;
  // "If at model.py:12 both branches; Loop at model.py:18 with 1, 3, 7 iterations"
  std::string summary() const;
};

}  // namespace mlexport::ir

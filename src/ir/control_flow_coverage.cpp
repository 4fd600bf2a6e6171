#include "ir/control_flow_coverage.h"

namespace mlexport::ir {

void ControlFlowCoverage::merge(const ControlFlowCoverage& other) {
  for (const auto& [where, b] : other.ifs) {
    ifs[where].then_taken = ifs[where].then_taken || b.then_taken;
    ifs[where].else_taken = ifs[where].else_taken || b.else_taken;
  }
  for (const auto& [where, counts] : other.loops) loops[where].insert(counts.begin(), counts.end());
}

bool ControlFlowCoverage::all_branches_taken() const {
  for (const auto& [where, b] : ifs)
    if (!b.then_taken || !b.else_taken) return false;
  return true;
}

bool ControlFlowCoverage::well_covered() const {
  for (const auto& [where, counts] : loops)
    if (counts.size() < 3) return false;
  return all_branches_taken();
}

std::string ControlFlowCoverage::summary() const {
  std::string out;
  auto place = [](const std::string& where) { return where.empty() ? std::string("(?)") : where; };
  for (const auto& [where, b] : ifs) {
    if (!out.empty()) out += "; ";
    out += "If at " + place(where) + " " +
           (b.then_taken && b.else_taken ? "both branches"
            : b.then_taken               ? "then branch only"
                                         : "else branch only");
  }
  for (const auto& [where, counts] : loops) {
    if (!out.empty()) out += "; ";
    out += "Loop at " + place(where) + " with ";
    size_t k = 0;
    for (int64_t n : counts) out += (k++ ? ", " : "") + std::to_string(n);
    out += counts.size() == 1 && *counts.begin() == 1 ? " iteration" : " iterations";
  }
  return out;
}

}  // namespace mlexport::ir

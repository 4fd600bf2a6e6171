#include "suggest.h"

#include <algorithm>

namespace mlexport::cli {
namespace {

std::string normalized(std::string s) {
  std::replace(s.begin(), s.end(), '-', '_');
  return s;
}

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

std::string closest_flag(const std::string& given, const std::vector<std::string>& known) {
  const std::string g = normalized(given);
  std::string best;
  size_t best_distance = std::string::npos;
  for (const std::string& flag : known) {
    const std::string f = normalized(flag);
    // "--checkpoint" for "--checkpoint_path": a prefix counts as close.
    const size_t d = f.rfind(g, 0) == 0 && g.size() >= 5 ? 1 : edit_distance(g, f);
    if (d < best_distance) {
      best_distance = d;
      best = flag;
    }
  }
  const size_t allowed = std::max<size_t>(2, g.size() / 4);
  return best_distance <= allowed ? best : "";
}

}  // namespace mlexport::cli

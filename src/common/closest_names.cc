#include "common/closest_names.h"

#include <algorithm>
#include <utility>

namespace engram {

size_t EditDistance(std::string_view a, std::string_view b) {
  // One row of the dynamic-programming table at a time.
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({above + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::vector<std::string> ClosestNames(std::string_view name, const std::vector<std::string>& candidates,
                                      size_t max_results) {
  std::vector<std::pair<size_t, size_t>> close;  // (distance, index into candidates)
  for (size_t i = 0; i < candidates.size(); ++i) {
    const std::string& candidate = candidates[i];
    if (candidate == name) continue;
    const size_t distance = EditDistance(name, candidate);
    const size_t allowed = std::max<size_t>(1, std::max(name.size(), candidate.size()) / 3);
    const bool prefix = !name.empty() && !candidate.empty() &&
                        (candidate.starts_with(name) || name.starts_with(std::string_view(candidate)));
    if (distance <= allowed || prefix) close.emplace_back(distance, i);
  }
  std::stable_sort(close.begin(), close.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
  std::vector<std::string> out;
  for (size_t n = 0; n < close.size() && out.size() < max_results; ++n) out.push_back(candidates[close[n].second]);
  return out;
}

}  // namespace engram

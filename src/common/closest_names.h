// Finds the names closest to a mistyped one, for "did you mean ...?" hints.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace engram {

// Levenshtein distance between `a` and `b`, counted in bytes (one insertion,
// deletion or substitution costs 1).
size_t EditDistance(std::string_view a, std::string_view b);

// The candidates closest to `name`, nearest first (ties in the order given),
// at most `max_results` of them. A candidate counts as close when its edit
// distance is at most a third of the longer of the two names (at least 1)
// or when one name starts with the other; an exact match is not a
// suggestion. Empty when nothing is close.
std::vector<std::string> ClosestNames(std::string_view name, const std::vector<std::string>& candidates,
                                      size_t max_results = 3);

}  // namespace engram

// StringListSet: O(1) membership for an ordered list of strings that only
// grows (an entity's source ids and aliases, a fact's source ids).
//
// The list itself stays where it is (a field of a public value type, in the
// order values were added); this set mirrors its distinct values. Short lists
// are searched directly, and the hash set is built only once a list grows past
// a few values, so the many small lists cost no extra memory.
//
// Thread safety: not synchronised; the owner guards it with its list.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

namespace engram {

class StringListSet {
 public:
  // True when `list` holds `value`. `list` must be the list this set mirrors.
  bool Contains(const std::vector<std::string>& list, const std::string& value) const;

  // Appends `value` to `list` unless it holds it already; true when appended.
  bool AppendIfAbsent(std::vector<std::string>* list, const std::string& value);

  // Appends `value` to `list` even when it holds it already.
  void Append(std::vector<std::string>* list, const std::string& value);

  void Clear() { set_.reset(); }

  // Heap bytes of the set itself (the list is its owner's).
  size_t MemoryBytes() const;

 private:
  // Lists up to this long are searched directly.
  static constexpr size_t kLinearSearchMax = 16;

  void NoteAppended(const std::vector<std::string>& list);

  std::unique_ptr<std::unordered_set<std::string>> set_;  // null while the list is short
};

}  // namespace engram

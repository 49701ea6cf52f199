// StringListSet: O(1) membership for an ordered list of strings that only
// grows (an entity's source ids and aliases, a fact's source ids).
//
// The list itself stays where it is (a field of a public value type, in the
// order values were added); this set mirrors its distinct values. Short lists
// are searched directly, and the index is built only once a list grows past a
// few values, so the many small lists cost no extra memory. The index maps a
// value's hash to its position in the list (no second copy of the string);
// a value whose hash another holds is found by searching the list.
//
// Thread safety: not synchronised; the owner guards it with its list.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <cstdint>
#include <unordered_map>
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

  void Clear() { index_.reset(); }

  // Heap bytes of the set itself (the list is its owner's).
  size_t MemoryBytes() const;

 private:
  // Lists up to this long are searched directly.
  static constexpr size_t kLinearSearchMax = 16;

  void NoteAppended(const std::vector<std::string>& list);
  static uint64_t Hash(const std::string& value);

  // value hash -> position of its first holder; null while the list is short
  std::unique_ptr<std::unordered_map<uint64_t, uint32_t>> index_;
};

}  // namespace engram

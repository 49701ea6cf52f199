#include "tiers/string_list_set.h"

#include <algorithm>

#include "common/heap_bytes.h"

namespace engram {

bool StringListSet::Contains(const std::vector<std::string>& list, const std::string& value) const {
  if (set_ != nullptr) return set_->count(value) > 0;
  return std::find(list.begin(), list.end(), value) != list.end();
}

bool StringListSet::AppendIfAbsent(std::vector<std::string>* list, const std::string& value) {
  if (Contains(*list, value)) return false;
  Append(list, value);
  return true;
}

void StringListSet::Append(std::vector<std::string>* list, const std::string& value) {
  list->push_back(value);
  NoteAppended(*list);
}

void StringListSet::NoteAppended(const std::vector<std::string>& list) {
  if (set_ != nullptr) {
    set_->insert(list.back());
  } else if (list.size() > kLinearSearchMax) {
    set_ = std::make_unique<std::unordered_set<std::string>>(list.begin(), list.end());
  }
}

size_t StringListSet::MemoryBytes() const {
  if (set_ == nullptr) return 0;
  size_t n = heap::Alloc(sizeof(*set_)) +
             heap::HashTable(*set_, sizeof(std::string), /*caches_hash=*/true);
  for (const auto& s : *set_) n += heap::Of(s);
  return n;
}

}  // namespace engram

#include "tiers/string_list_set.h"

#include <algorithm>

#include "common/heap_bytes.h"

namespace engram {

uint64_t StringListSet::Hash(const std::string& value) { return std::hash<std::string>()(value); }

bool StringListSet::Contains(const std::vector<std::string>& list, const std::string& value) const {
  if (index_ != nullptr) {
    auto it = index_->find(Hash(value));
    if (it == index_->end()) return false;
    if (list[it->second] == value) return true;
    // Another value has this hash: only the list can tell.
  }
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
  if (index_ != nullptr) {
    index_->try_emplace(Hash(list.back()), static_cast<uint32_t>(list.size() - 1));
  } else if (list.size() > kLinearSearchMax) {
    index_ = std::make_unique<std::unordered_map<uint64_t, uint32_t>>();
    index_->reserve(list.size() * 2);
    for (size_t i = 0; i < list.size(); ++i) index_->try_emplace(Hash(list[i]), static_cast<uint32_t>(i));
  }
}

size_t StringListSet::MemoryBytes() const {
  if (index_ == nullptr) return 0;
  return heap::Alloc(sizeof(*index_)) +
         heap::HashTable(*index_, sizeof(std::pair<const uint64_t, uint32_t>), /*caches_hash=*/false);
}

}  // namespace engram

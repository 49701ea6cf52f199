// HeapBytes: what containers hold on the heap, as glibc's malloc counts it
// (an 8-byte header, 16-byte granules, 32-byte minimum chunk). Used to
// account loaded tenant state against Options::memory_budget_bytes; an
// estimate from capacities, not a measurement, so it stays cheap.
#pragma once

#include <algorithm>
#include <cstddef>
#include <deque>
#include <string>
#include <vector>

namespace engram::heap {

// One malloc of n bytes.
inline size_t Alloc(size_t n) {
  if (n == 0) return 0;
  return std::max<size_t>(32, (n + 8 + 15) & ~size_t{15});
}

// The string's own buffer (none while it fits the small-string buffer).
inline size_t Of(const std::string& s) { return s.capacity() > 15 ? Alloc(s.capacity() + 1) : 0; }

inline size_t Of(const std::vector<std::string>& v) {
  size_t n = Alloc(v.capacity() * sizeof(std::string));
  for (const auto& s : v) n += Of(s);
  return n;
}

// A vector's buffer only (elements that own heap memory are counted by the caller).
template <typename T>
size_t Buffer(const std::vector<T>& v) {
  return Alloc(v.capacity() * sizeof(T));
}

// An unordered container's bucket array and `nodes` nodes holding `value_bytes`
// each (libstdc++: a next pointer, the value, and the cached hash for string keys).
template <typename Map>
size_t HashTable(const Map& m, size_t value_bytes, bool caches_hash) {
  const size_t node = sizeof(void*) + value_bytes + (caches_hash ? sizeof(size_t) : 0);
  return Alloc(m.bucket_count() * sizeof(void*)) + m.size() * Alloc(node);
}

// A std::set / std::map of `nodes` entries of `value_bytes` each (a
// red-black tree node: three pointers and a colour beside the value).
inline size_t Tree(size_t nodes, size_t value_bytes) { return nodes * Alloc(32 + value_bytes); }

// A deque's chunks (512-byte blocks in libstdc++) and map.
template <typename T>
size_t Deque(const std::deque<T>& d) {
  constexpr size_t kChunk = sizeof(T) < 512 ? 512 / sizeof(T) : 1;
  const size_t chunks = d.size() / kChunk + 1;
  return chunks * Alloc(kChunk * sizeof(T)) + Alloc(std::max<size_t>(8, chunks + 2) * sizeof(void*));
}

}  // namespace engram::heap

#include "tiers/persona_tier.h"

#include <algorithm>

#include "common/heap_bytes.h"
#include "common/utf8.h"

namespace engram {
namespace {

constexpr std::string_view kExplicit = "explicit";

bool IsOpenAt(const PersonaFact& f, TimeMs t) {
  return f.valid_from_ms <= t && (f.valid_to_ms == 0 || t < f.valid_to_ms);
}

// "likes" and "dislikes" of the same value contradict each other. Any other
// attribute has the empty opposite, so a value stated under an empty
// attribute is contradicted by the same value stated under any attribute
// that is not "likes" or "dislikes".
std::string_view Opposite(std::string_view attribute) {
  if (attribute == "likes") return "dislikes";
  if (attribute == "dislikes") return "likes";
  return {};
}

void AppendPart(std::string* key, std::string_view part) {
  key->append(std::to_string(part.size()));
  key->push_back(':');
  key->append(part);
}

// Whether `incoming` may close or override the open fact `open`: an
// extracted fact of lower confidence never ends an explicit one (written by
// the caller, who knows better than an extractor).
bool MayEnd(const PersonaFact& incoming, const PersonaFact& open) {
  return open.provenance != kExplicit || incoming.provenance == kExplicit || incoming.confidence >= open.confidence;
}

}  // namespace

bool PersonaTier::IsSingleValued(std::string_view attribute) {
  static const char* kSingle[] = {"occupation", "home", "works_at", "diet", "relationship_status", "age", "school"};
  return std::any_of(std::begin(kSingle), std::end(kSingle), [&](const char* a) { return attribute == a; });
}

std::string PersonaTier::AttributeKey(std::string_view lower_subject, std::string_view attribute) {
  std::string key;
  AppendPart(&key, lower_subject);
  AppendPart(&key, attribute);
  return key;
}

std::string PersonaTier::ValueKey(std::string_view lower_subject, std::string_view attribute,
                                  std::string_view lower_value) {
  std::string key = AttributeKey(lower_subject, attribute);
  key.append(lower_value);
  return key;
}

void PersonaTier::CloseOpen(size_t i, TimeMs at, const std::vector<std::string>& source_ids) {
  PersonaFact& old = facts_[i];
  // A fact stated at the same moment it is closed keeps a one-millisecond
  // validity, so its history stays visible.
  old.valid_to_ms = std::max(at, old.valid_from_ms + 1);
  for (const auto& id : source_ids) open_slots_[i].source_ids.Append(&old.source_ids, id);
  // Only a fact stated at -1 ms and closed at or before 0 ms ends with
  // valid_to_ms == 0, which means open: it stays open, as it always has.
  if (old.valid_to_ms != 0) RemoveFromOpenIndexes(i);
}

void PersonaTier::RemoveFromOpenIndexes(size_t i) {
  const PersonaFact& f = facts_[i];
  const std::string subject = AsciiLower(f.subject);
  auto list = open_by_attribute_.find(AttributeKey(subject, f.attribute));
  std::vector<size_t>& open = list->second;
  const size_t position = open_slots_[i].position;
  open[position] = open.back();
  open_slots_[open[position]].position = position;
  open.pop_back();
  if (open.empty()) open_by_attribute_.erase(list);
  open_by_value_.erase(ValueKey(subject, f.attribute, AsciiLower(f.value)));
  by_subject_[subject].open.erase(i);
  open_.erase(i);
  open_slots_[i].source_ids.Clear();  // a closed fact gains no more sources that are checked
}

void PersonaTier::Apply(const PersonaFact& fact) {
  const TimeMs at = fact.valid_from_ms;
  const std::string subject = AsciiLower(fact.subject);
  const std::string value = AsciiLower(fact.value);
  if (fact.negated) {
    if (fact.value.empty()) {
      // An empty value ends whatever value is open ("I quit my job" names no
      // employer, so it closes the open works_at whatever it is).
      auto it = open_by_attribute_.find(AttributeKey(subject, fact.attribute));
      if (it == open_by_attribute_.end()) return;
      const std::vector<size_t> open = it->second;  // closing edits the list
      for (size_t i : open) {
        if (MayEnd(fact, facts_[i])) CloseOpen(i, at, fact.source_ids);
      }
    } else {
      auto it = open_by_value_.find(ValueKey(subject, fact.attribute, value));
      if (it != open_by_value_.end() && MayEnd(fact, facts_[it->second])) CloseOpen(it->second, at, fact.source_ids);
    }
    return;
  }
  const std::string value_key = ValueKey(subject, fact.attribute, value);
  const std::string attribute_key = AttributeKey(subject, fact.attribute);
  auto same_value = open_by_value_.find(value_key);
  // An explicit statement of what an extractor found becomes a fact of its
  // own (the extracted one ends where it starts); any other restatement is
  // more support for the same fact.
  const bool explicit_over_extracted = same_value != open_by_value_.end() && fact.provenance == kExplicit &&
                                       facts_[same_value->second].provenance != kExplicit;
  if (same_value != open_by_value_.end() && !explicit_over_extracted) {
    PersonaFact& old = facts_[same_value->second];
    for (const auto& id : fact.source_ids) {
      open_slots_[same_value->second].source_ids.AppendIfAbsent(&old.source_ids, id);
    }
    old.confidence = std::min(1.0f, std::max(old.confidence, fact.confidence) + 0.1f);
    // An explicit restatement may say when the fact ended.
    if (fact.provenance == kExplicit && fact.valid_to_ms != 0) {
      CloseOpen(same_value->second, fact.valid_to_ms, {});
    }
    return;
  }
  // What the new fact would end. When that includes an explicit fact it may
  // not end, the new fact is not taken at all: the explicit one stands.
  std::vector<size_t> ended;
  if (explicit_over_extracted) ended.push_back(same_value->second);
  if (IsSingleValued(fact.attribute)) {
    if (auto it = open_by_attribute_.find(attribute_key); it != open_by_attribute_.end()) {
      for (size_t i : it->second) {
        if (!explicit_over_extracted || i != same_value->second) ended.push_back(i);
      }
    }
  }
  if (auto it = open_by_value_.find(ValueKey(subject, Opposite(fact.attribute), value)); it != open_by_value_.end()) {
    ended.push_back(it->second);
  }
  for (size_t i : ended) {
    if (!MayEnd(fact, facts_[i])) return;
  }
  for (size_t i : ended) {
    if (facts_[i].valid_to_ms == 0) CloseOpen(i, at, {});
  }

  const size_t i = facts_.size();
  PersonaFact added = fact;
  added.valid_to_ms = 0;
  facts_.push_back(std::move(added));
  search_index_.Add(static_cast<uint32_t>(i), fact.subject, fact.attribute, fact.value);
  std::vector<size_t>& same_attribute = open_by_attribute_[attribute_key];
  open_slots_.emplace_back().position = same_attribute.size();
  same_attribute.push_back(i);
  open_by_value_.emplace(value_key, i);
  SubjectFacts& of_subject = by_subject_[subject];
  of_subject.all.push_back(i);
  of_subject.open.insert(of_subject.open.end(), i);
  open_.insert(open_.end(), i);
  // An explicit fact may say when it stopped being true.
  if (fact.provenance == kExplicit && fact.valid_to_ms != 0) CloseOpen(i, fact.valid_to_ms, {});
}

std::vector<PersonaFact> PersonaTier::Query(std::string_view subject, TimeMs as_of_ms, bool include_history) const {
  std::vector<PersonaFact> out;
  auto keep = [&](const PersonaFact& f) {
    if (include_history || IsOpenAt(f, as_of_ms)) out.push_back(f);
  };
  const bool open_only = !include_history && as_of_ms == 0;
  if (subject.empty()) {
    if (open_only) {
      for (size_t i : open_) out.push_back(facts_[i]);
    } else {
      for (const auto& f : facts_) keep(f);
    }
    return out;
  }
  auto it = by_subject_.find(AsciiLower(subject));
  if (it == by_subject_.end()) return out;
  if (open_only) {
    for (size_t i : it->second.open) out.push_back(facts_[i]);
  } else {
    for (size_t i : it->second.all) keep(facts_[i]);
  }
  return out;
}

void PersonaTier::Clear() {
  facts_.clear();
  open_slots_.clear();
  open_by_attribute_.clear();
  open_by_value_.clear();
  by_subject_.clear();
  open_.clear();
  search_index_.Clear();
}

std::vector<size_t> PersonaTier::PositionsOf(std::string_view subject, bool open_only) const {
  auto it = by_subject_.find(AsciiLower(subject));
  if (it == by_subject_.end()) return {};
  if (open_only) return {it->second.open.begin(), it->second.open.end()};
  return it->second.all;
}

size_t PersonaTier::MemoryBytes() const {
  size_t n = heap::Buffer(facts_) + heap::Buffer(open_slots_) + heap::Tree(open_.size(), sizeof(size_t)) +
             search_index_.MemoryBytes();
  for (const auto& f : facts_) {
    n += heap::Of(f.subject) + heap::Of(f.attribute) + heap::Of(f.value) + heap::Of(f.source_ids);
  }
  for (const auto& slot : open_slots_) n += slot.source_ids.MemoryBytes();
  n += heap::HashTable(open_by_attribute_, sizeof(std::pair<const std::string, std::vector<size_t>>), true);
  for (const auto& [key, list] : open_by_attribute_) n += heap::Of(key) + heap::Buffer(list);
  n += heap::HashTable(open_by_value_, sizeof(std::pair<const std::string, size_t>), true);
  for (const auto& [key, i] : open_by_value_) n += heap::Of(key);
  n += heap::HashTable(by_subject_, sizeof(std::pair<const std::string, SubjectFacts>), true);
  for (const auto& [key, s] : by_subject_) {
    n += heap::Of(key) + heap::Buffer(s.all) + heap::Tree(s.open.size(), sizeof(size_t));
  }
  return n;
}

}  // namespace engram

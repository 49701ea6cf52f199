#include "common/category_lexicon.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include "common/logging.h"
#include "common/utf8.h"

namespace engram {
namespace {

// WordNet's lexicographer files of verbs whose gerunds name pastimes.
constexpr int kVerbMotion = 38;       // kayak, hike, ski
constexpr int kVerbCompetition = 33;  // fence, box
constexpr int kVerbCreation = 36;     // paint, bake, write
// A verb with more senses than this is too general to name a pastime by
// its gerund ("going", "making", "holding").
constexpr size_t kMaxGerundVerbSenses = 10;
// A verb WordNet has no noun for ("kayaking") counts by its gerund only
// when it is this specific, and a verb of motion or competition.
constexpr size_t kMaxVerbOnlySenses = 4;
// Shorter words are function words or abbreviations ("me" is Maine).
constexpr size_t kMinMemberLength = 3;
// Senses of a word that count: WordNet lists them most frequent first, and
// the rare ones would make members of most words ("gut" is a body region,
// so a location, in its second sense). Pastimes look at two ("painting" is
// first a picture, then the activity).
constexpr size_t kMemberSenses = 1;
constexpr size_t kPastimeMemberSenses = 2;
// The senses of the question's noun that define a category not listed below.
constexpr size_t kCategorySenses = 2;

// A question's category noun -> the WordNet senses ("lemma#sense") whose
// hyponyms are its members, for nouns whose own senses miss what people
// mean ("pets" are animals, "hobbies" any pastime). Other nouns use their
// first two senses.
struct CategoryRoots {
  const char* noun;
  std::vector<const char*> roots;
  bool gerunds;  // pastimes: "kayaking" counts
};
const std::vector<CategoryRoots>& KnownCategories() {
  static const std::vector<CategoryRoots> kCategories = {
      {"activity", {"diversion#1", "exercise#1", "exercise#3", "martial_art#1", "travel#1", "creation#1", "camping#1"}, true},
      {"hobby", {"diversion#1", "exercise#1", "exercise#3", "martial_art#1", "travel#1", "creation#1", "camping#1"}, true},
      {"pastime", {"diversion#1", "exercise#1", "exercise#3", "martial_art#1", "travel#1", "creation#1", "camping#1"}, true},
      {"sport", {"sport#1", "exercise#1"}, true},
      {"event", {"social_event#1", "meeting#1", "celebration#1", "ceremony#1", "contest#1", "performance#1"}, false},
      {"state", {"state#1", "state#4"}, false},
      {"pet", {"animal#1"}, false},
      {"animal", {"animal#1"}, false},
      {"place", {"location#1", "geological_formation#1", "body_of_water#1"}, false},
      {"destination", {"location#1", "geological_formation#1", "body_of_water#1"}, false},
      {"location", {"location#1", "geological_formation#1", "body_of_water#1"}, false},
      {"city", {"city#1", "town#1"}, false},
      {"country", {"country#1", "country#2", "state#1"}, false},
      {"instrument", {"musical_instrument#1"}, false},
      {"food", {"food#1", "food#2", "dish#2"}, false},
      {"dish", {"food#2", "dish#2"}, false},
      {"meal", {"food#2", "dish#2", "meal#1"}, false},
  };
  return kCategories;
}

// Members too general to be an item of a list ("work" is an activity).
bool TooGeneral(const std::string& lemma) {
  static const std::unordered_set<std::string> kGeneral = {
      "work", "job", "play", "fun", "time", "thing", "way", "lot", "help", "use", "care", "support",
      "effort", "attempt", "practice", "action", "act", "activity", "event", "place", "area", "home",
      "house", "world", "side", "end", "part", "point", "space", "top", "line", "field", "spot",
      "step", "turn", "move", "go", "start", "change", "service", "project", "program", "show",
      "hobby", "sport", "game", "exercise", "animal", "pet", "food", "location", "city", "country",
      "instrument", "dish", "meal", "touch", "hold", "look", "hit", "run", "rest", "break", "class",
      "lesson", "business", "process", "today", "moment", "stuff", "people", "person", "family",
      "kid", "child", "friend", "life", "love", "day", "night", "week", "year", "month", "here",
      "there", "mine", "yours", "us", "it", "times", "plus", "pic", "photo", "picture", "creation",
      "travel", "traveling", "travelling", "walking", "walk", "diversion", "recreation", "making"};
  return kGeneral.count(lemma) > 0;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

Status ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot read WordNet file '" + path + "'");
  std::ostringstream buf;
  buf << in.rdbuf();
  *out = buf.str();
  return Status::OK();
}

// Calls f(line) for each line that is not part of the licence header
// (which WordNet indents with two spaces).
template <typename F>
void ForEachLine(const std::string& text, F&& f) {
  size_t i = 0;
  while (i < text.size()) {
    size_t end = text.find('\n', i);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + i, end - i);
    if (!line.empty() && line.front() != ' ') f(line);
    i = end + 1;
  }
}

std::vector<std::string_view> Fields(std::string_view line) {
  std::vector<std::string_view> fields;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && line[i] == ' ') ++i;
    size_t j = i;
    while (j < line.size() && line[j] != ' ') ++j;
    if (j > i) fields.push_back(line.substr(i, j - i));
    i = j;
  }
  return fields;
}

uint32_t ToOffset(std::string_view s) { return static_cast<uint32_t>(std::strtoul(std::string(s).c_str(), nullptr, 10)); }

// index.*: "lemma pos synset_cnt p_cnt [ptr...] sense_cnt tagsense_cnt offset..."
// The offsets are the last synset_cnt fields, most frequent sense first.
void ParseIndex(const std::string& text, std::unordered_map<std::string, std::vector<uint32_t>>* index) {
  ForEachLine(text, [&](std::string_view line) {
    auto f = Fields(line);
    if (f.size() < 4) return;
    const size_t count = std::strtoul(std::string(f[2]).c_str(), nullptr, 10);
    if (count == 0 || count > f.size()) return;
    std::vector<uint32_t>& senses = (*index)[std::string(f[0])];
    for (size_t i = f.size() - count; i < f.size(); ++i) senses.push_back(ToOffset(f[i]));
  });
}

// noun.exc / verb.exc: "inflected base".
void ParseExceptions(const std::string& text, std::unordered_map<std::string, std::string>* out) {
  ForEachLine(text, [&](std::string_view line) {
    auto f = Fields(line);
    if (f.size() >= 2) out->emplace(std::string(f[0]), std::string(f[1]));
  });
}

}  // namespace

std::string CategoryMembers::MatchAt(const std::vector<std::string>& words, const std::vector<bool>& capitalised,
                                     size_t at) const {
  const std::string found = MatchAt(words, at);
  if (found.empty() || !proper.count(found)) return found;
  return at < capitalised.size() && capitalised[at] ? found : std::string();
}

std::string CategoryMembers::MatchAt(const std::vector<std::string>& words, size_t at) const {
  const std::string& word = words[at];
  // Longest compound first: "ice skating" before "ice".
  if (compound_heads.count(word)) {
    for (size_t len = std::min<size_t>(3, words.size() - at); len >= 2; --len) {
      std::string joined = word;
      for (size_t k = 1; k < len; ++k) joined += "_" + words[at + k];
      if (nouns.count(joined)) return joined;
    }
  }
  if (nouns.count(word)) return word;
  if (word.size() > 4 && word.compare(word.size() - 3, 3, "ing") == 0) {
    auto gerund = gerunds.find(word);
    return gerund == gerunds.end() ? std::string() : gerund->second;
  }
  if (word.size() < 4 || word.back() != 's') return {};
  // Regular plurals: "beds", "boxes", "puppies".
  auto plural = [&](const char* suffix, const char* base) -> std::string {
    const size_t n = std::char_traits<char>::length(suffix);
    if (word.size() <= n + 2 || word.compare(word.size() - n, n, suffix) != 0) return {};
    std::string stem = word.substr(0, word.size() - n) + base;
    return nouns.count(stem) ? stem : std::string();
  };
  for (auto [suffix, base] : {std::pair{"ies", "y"}, std::pair{"es", ""}, std::pair{"s", ""}}) {
    std::string stem = plural(suffix, base);
    if (!stem.empty()) return stem;
  }
  return {};
}

std::string CategoryLexicon::DefaultDir() {
  const char* env = std::getenv("ENGRAM_WORDNET_DIR");
  return env != nullptr && *env != '\0' ? std::string(env) : std::string("/usr/share/wordnet");
}

std::shared_ptr<CategoryLexicon> CategoryLexicon::Shared(const std::string& dir) {
  static std::mutex mutex;
  static std::map<std::string, std::shared_ptr<CategoryLexicon>> by_dir;
  const std::string folder = dir.empty() ? DefaultDir() : dir;
  std::lock_guard<std::mutex> lock(mutex);
  auto& lexicon = by_dir[folder];
  if (!lexicon) lexicon = std::make_shared<CategoryLexicon>(folder);
  return lexicon;
}

Status CategoryLexicon::Load() const {
  std::call_once(loaded_, [this] {
    load_status_ = LoadFiles();
    if (!load_status_.ok()) {
      Log().warn("category lexicon: WordNet not available ({}); list questions get no category expansion, questions no WordNet match",
                 load_status_.ToString());
    }
  });
  return load_status_;
}

Status CategoryLexicon::LoadFiles() const {
  std::string text;
  ENGRAM_RETURN_IF_ERROR(ReadFile(dir_ + "/index.noun", &text));
  ParseIndex(text, &noun_index_);
  // data.noun / data.verb: "offset lexfile pos w_cnt(hex) word lex_id ...
  // p_cnt ptr... [frames] | gloss", a pointer being "symbol offset pos
  // source/target" (source/target: two hex bytes, 0000 for the synsets).
  auto parse_synset = [](std::string_view line, uint32_t* offset, Synset* s) {
    const size_t bar = line.find(" | ");
    auto f = Fields(bar == std::string_view::npos ? line : line.substr(0, bar));
    if (f.size() < 5) return false;
    *offset = ToOffset(f[0]);
    s->lexfile = std::atoi(std::string(f[1]).c_str());
    const size_t words = std::strtoul(std::string(f[3]).c_str(), nullptr, 16);
    size_t i = 4;
    for (size_t w = 0; w < words && i + 1 < f.size(); ++w, i += 2) s->lemmas.emplace_back(f[i]);
    if (i >= f.size()) return true;
    const size_t pointers = std::strtoul(std::string(f[i]).c_str(), nullptr, 10);
    ++i;
    for (size_t p = 0; p < pointers && i + 3 < f.size() + 0; ++p, i += 4) {
      const std::string_view symbol = f[i];
      if (symbol == "~" || symbol == "~i") {
        s->hyponyms.push_back(ToOffset(f[i + 1]));
        continue;
      }
      const char kind = symbol == "+" ? 'd' : symbol == "%p" ? 'm' : symbol == "#p" ? 'h' : 0;
      if (kind == 0 || (f[i + 2] != "n" && f[i + 2] != "v")) continue;
      Link link;
      link.kind = kind;
      link.verb = f[i + 2] == "v";
      link.offset = ToOffset(f[i + 1]);
      const std::string_view st = f[i + 3];
      if (st.size() == 4) {
        link.source_word = static_cast<uint8_t>(std::strtoul(std::string(st.substr(0, 2)).c_str(), nullptr, 16));
        link.target_word = static_cast<uint8_t>(std::strtoul(std::string(st.substr(2)).c_str(), nullptr, 16));
      }
      s->links.push_back(link);
    }
    return true;
  };
  ENGRAM_RETURN_IF_ERROR(ReadFile(dir_ + "/data.noun", &text));
  ForEachLine(text, [&](std::string_view line) {
    uint32_t offset = 0;
    Synset s;
    if (parse_synset(line, &offset, &s)) nouns_.emplace(offset, std::move(s));
  });
  if (nouns_.empty()) return Status::Corruption("no synsets in WordNet file '" + dir_ + "/data.noun'");
  ENGRAM_RETURN_IF_ERROR(ReadFile(dir_ + "/index.verb", &text));
  ParseIndex(text, &verb_index_);
  ENGRAM_RETURN_IF_ERROR(ReadFile(dir_ + "/data.verb", &text));
  ForEachLine(text, [&](std::string_view line) {
    uint32_t offset = 0;
    Synset s;
    if (!parse_synset(line, &offset, &s)) return;
    verb_lexfile_.emplace(offset, s.lexfile);
    verbs_.emplace(offset, std::move(s));
  });
  // The exception lists are optional: without them only regular forms are read.
  if (ReadFile(dir_ + "/noun.exc", &text).ok()) ParseExceptions(text, &noun_exceptions_);
  if (ReadFile(dir_ + "/verb.exc", &text).ok()) ParseExceptions(text, &verb_exceptions_);
  // cntlist.rev: "lemma%ss_type:lexfile:lex_id:head:head_id sense_number tag_count".
  if (ReadFile(dir_ + "/cntlist.rev", &text).ok()) {
    ForEachLine(text, [&](std::string_view line) {
      auto f = Fields(line);
      const size_t percent = f.empty() ? std::string_view::npos : f[0].find('%');
      if (f.size() < 3 || percent == std::string_view::npos || percent + 1 >= f[0].size()) return;
      const std::string lemma = Lower(f[0].substr(0, percent));
      const int count = std::atoi(std::string(f[2]).c_str());
      const char type = f[0][percent + 1];
      (type == '1' ? noun_tags_ : type == '2' ? verb_tags_ : other_tags_)[lemma] += count;
    });
  }
  return Status::OK();
}

namespace {

constexpr int kNounLocation = 15;  // lexicographer file noun.location

// "São Paulo" -> "sao_paulo": lower case, Latin accents dropped (NFD, then
// the combining marks removed), spaces and hyphens as '_'.
std::string LemmaOfName(std::string_view name) {
  const std::string decomposed = DecomposeNfd(name);
  std::string out;
  for (size_t i = 0; i < decomposed.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(decomposed[i]);
    // U+0300..U+036F (combining diacritical marks) are 0xCC 0x80 .. 0xCD 0xAF.
    if ((c == 0xCC || (c == 0xCD && i + 1 < decomposed.size() &&
                       static_cast<unsigned char>(decomposed[i + 1]) <= 0xAF)) &&
        i + 1 < decomposed.size()) {
      ++i;
      continue;
    }
    if (c == ' ' || c == '-') {
      out.push_back('_');
    } else {
      out.push_back(static_cast<char>(std::tolower(c)));
    }
  }
  return out;
}

}  // namespace

bool CategoryLexicon::Knows(std::string_view word) const {
  if (!Load().ok()) return false;
  return !BaseForms(word, /*verb=*/false).empty() || !BaseForms(word, /*verb=*/true).empty();
}

bool CategoryLexicon::NamesOnlyPlaces(std::string_view name) const {
  if (!Load().ok()) return false;
  const std::vector<uint32_t> senses = Senses(noun_index_, LemmaOfName(name));
  if (senses.empty()) return false;
  return std::all_of(senses.begin(), senses.end(), [&](uint32_t offset) {
    auto it = nouns_.find(offset);
    return it != nouns_.end() && it->second.lexfile == kNounLocation;
  });
}

std::vector<uint32_t> CategoryLexicon::Senses(const std::unordered_map<std::string, std::vector<uint32_t>>& index,
                                              const std::string& lemma) const {
  auto it = index.find(lemma);
  return it == index.end() ? std::vector<uint32_t>{} : it->second;
}

// WordNet's "morphy": the exception list, then detachment rules, keeping the
// forms the index knows.
std::vector<std::string> CategoryLexicon::BaseForms(std::string_view word, bool verb) const {
  const auto& index = verb ? verb_index_ : noun_index_;
  const auto& exceptions = verb ? verb_exceptions_ : noun_exceptions_;
  static const std::vector<std::pair<std::string, std::string>> kNounRules = {
      {"s", ""}, {"ses", "s"}, {"xes", "x"}, {"zes", "z"}, {"ches", "ch"}, {"shes", "sh"}, {"men", "man"},
      {"ies", "y"}};
  static const std::vector<std::pair<std::string, std::string>> kVerbRules = {
      {"s", ""}, {"ies", "y"}, {"es", "e"}, {"es", ""}, {"ed", "e"}, {"ed", ""}, {"ing", "e"}, {"ing", ""}};
  std::vector<std::string> forms;
  const std::string w = Lower(word);
  auto add = [&](const std::string& form) {
    if (!form.empty() && index.count(form) && std::find(forms.begin(), forms.end(), form) == forms.end()) {
      forms.push_back(form);
    }
  };
  add(w);
  auto ex = exceptions.find(w);
  if (ex != exceptions.end()) add(ex->second);
  for (const auto& [suffix, replacement] : verb ? kVerbRules : kNounRules) {
    if (w.size() <= suffix.size() + 1 || w.compare(w.size() - suffix.size(), suffix.size(), suffix) != 0) continue;
    std::string stem = w.substr(0, w.size() - suffix.size());
    add(stem + replacement);
    // "swimming" -> "swim": a doubled final consonant before -ing / -ed.
    if (verb && replacement.empty() && stem.size() > 2 && stem.back() == stem[stem.size() - 2]) {
      add(stem.substr(0, stem.size() - 1));
    }
  }
  return forms;
}

bool CategoryLexicon::MostlyNoun(std::string_view lemma) const {
  if (!Load().ok()) return false;
  if (noun_tags_.empty() && verb_tags_.empty()) return true;
  const std::string l = Lower(lemma);
  auto count = [](const std::unordered_map<std::string, int>& tags, const std::string& key) {
    auto it = tags.find(key);
    return it == tags.end() ? 0 : it->second;
  };
  int other = count(other_tags_, l);
  // "thanks" is also the verb "thank", "thinks" the verb "think".
  for (const auto& verb : BaseForms(l, /*verb=*/true)) other = std::max(other, count(verb_tags_, verb) + count(other_tags_, l));
  return count(noun_tags_, l) >= other;
}

bool CategoryLexicon::IsPastimeVerb(const std::string& verb, size_t max_senses, bool creation) const {
  auto senses = Senses(verb_index_, verb);
  if (senses.empty() || senses.size() > max_senses || TooGeneral(verb)) return false;
  auto lexfile = verb_lexfile_.find(senses.front());
  return lexfile != verb_lexfile_.end() && (lexfile->second == kVerbMotion || lexfile->second == kVerbCompetition ||
                                            (creation && lexfile->second == kVerbCreation));
}

bool CategoryLexicon::IsPastimeGerund(const std::string& lemma) const {
  if (lemma.size() < 5 || lemma.compare(lemma.size() - 3, 3, "ing") != 0) return false;
  for (const auto& verb : BaseForms(lemma, /*verb=*/true)) {
    if (verb != lemma) return IsPastimeVerb(verb, kMaxGerundVerbSenses, /*creation=*/true);
  }
  return false;
}

std::string CategoryLexicon::NounLemma(std::string_view word) const {
  if (!Load().ok()) return {};
  auto forms = BaseForms(word, /*verb=*/false);
  if (forms.empty()) return {};
  // The base form, not the word itself, when the word is a plural.
  return forms.size() > 1 ? forms[1] : forms[0];
}

std::shared_ptr<const CategoryMembers> CategoryLexicon::Members(std::string_view noun) const {
  if (!Load().ok()) return nullptr;
  const std::string lemma = NounLemma(noun);
  if (lemma.empty()) return nullptr;
  {
    std::lock_guard<std::mutex> lock(members_mutex_);
    auto it = members_.find(lemma);
    if (it != members_.end()) return it->second;
  }
  auto built = BuildMembers(lemma);
  std::lock_guard<std::mutex> lock(members_mutex_);
  return members_.emplace(lemma, std::move(built)).first->second;
}

std::shared_ptr<const CategoryMembers> CategoryLexicon::BuildMembers(const std::string& lemma) const {
  // The roots: the known category's senses, else the noun's first senses.
  std::vector<uint32_t> roots;
  bool gerunds = false;
  for (const auto& known : KnownCategories()) {
    if (lemma != known.noun) continue;
    gerunds = known.gerunds;
    for (const char* root : known.roots) {
      std::string_view r(root);
      const size_t hash = r.find('#');
      auto senses = Senses(noun_index_, std::string(r.substr(0, hash)));
      const size_t sense = std::strtoul(std::string(r.substr(hash + 1)).c_str(), nullptr, 10);
      if (sense >= 1 && sense <= senses.size()) roots.push_back(senses[sense - 1]);
    }
  }
  if (roots.empty()) {
    auto senses = Senses(noun_index_, lemma);
    for (size_t i = 0; i < std::min(kCategorySenses, senses.size()); ++i) roots.push_back(senses[i]);
  }
  // Everything below the roots.
  std::unordered_set<uint32_t> below(roots.begin(), roots.end());
  std::vector<uint32_t> todo = roots;
  while (!todo.empty()) {
    uint32_t at = todo.back();
    todo.pop_back();
    auto it = nouns_.find(at);
    if (it == nouns_.end()) continue;
    for (uint32_t h : it->second.hyponyms) {
      if (below.insert(h).second) todo.push_back(h);
    }
  }
  auto members = std::make_shared<CategoryMembers>();
  members->category = lemma;
  // A lemma is a member when one of its most frequent senses is below a root.
  for (uint32_t offset : below) {
    auto it = nouns_.find(offset);
    if (it == nouns_.end()) continue;
    for (const std::string& name : it->second.lemmas) {
      const std::string l = Lower(name);
      if (l.size() < kMinMemberLength || TooGeneral(l) || members->nouns.count(l)) continue;
      // A gerund counts when its verb names a pastime ("hiking", not
      // "holding"); any other word when it is mostly a noun.
      const bool gerund = l.size() > 4 && l.compare(l.size() - 3, 3, "ing") == 0 &&
                          BaseForms(l, /*verb=*/true).size() > (verb_index_.count(l) ? 1u : 0u);
      if (gerund ? !IsPastimeGerund(l) : !MostlyNoun(l)) continue;
      auto senses = Senses(noun_index_, l);
      const size_t counted = gerunds ? kPastimeMemberSenses : kMemberSenses;
      for (size_t i = 0; i < std::min(counted, senses.size()); ++i) {
        if (below.count(senses[i])) {
          members->nouns.insert(l);
          if (std::isupper(static_cast<unsigned char>(name[0]))) members->proper.insert(l);
          const size_t space = l.find('_');
          if (space != std::string::npos) members->compound_heads.insert(l.substr(0, space));
          break;
        }
      }
    }
  }
  if (gerunds) {
    for (const auto& [verb, senses] : verb_index_) {
      if (verb.find('_') == std::string::npos && IsPastimeVerb(verb, kMaxVerbOnlySenses, /*creation=*/false)) {
        // The spellings of its gerund: kayak-ing, hik(e)-ing, swim-m-ing.
        members->gerunds.emplace(verb + "ing", verb);
        if (verb.size() > 2 && verb.back() == 'e') members->gerunds.emplace(verb.substr(0, verb.size() - 1) + "ing", verb);
        if (verb.size() > 2) members->gerunds.emplace(verb + verb.back() + "ing", verb);
      }
    }
  }
  return members;
}

namespace {

// A related word with more senses (as a noun and a verb) than this names
// too many things to stand for the question's word ("wheel" for "bicycle",
// "cycle" for "bike").
constexpr size_t kMaxRelatedSenses = 6;
// The senses of the question's noun whose synonyms and related forms count.
constexpr size_t kRelatedNounSenses = 2;
// A category of more members than this is too broad to say what the
// question means ("object", "organism"); the known categories (pets,
// instruments, food, ...) always count.
constexpr size_t kMaxCategoryMembers = 1500;

bool IsKnownCategory(const std::string& lemma) {
  const auto& known = KnownCategories();
  return std::any_of(known.begin(), known.end(), [&](const CategoryRoots& c) { return lemma == c.noun; });
}

}  // namespace

bool CategoryLexicon::SmallCategory(const std::string& lemma, size_t limit) const {
  auto senses = Senses(noun_index_, lemma);
  std::vector<uint32_t> todo(senses.begin(), senses.begin() + std::min(kCategorySenses, senses.size()));
  std::unordered_set<uint32_t> below(todo.begin(), todo.end());
  while (!todo.empty() && below.size() <= limit) {
    auto it = nouns_.find(todo.back());
    todo.pop_back();
    if (it == nouns_.end()) continue;
    for (uint32_t h : it->second.hyponyms) {
      if (below.insert(h).second) todo.push_back(h);
    }
  }
  return below.size() <= limit;
}

size_t CategoryLexicon::SenseCount(const std::string& lemma) const {
  return Senses(noun_index_, lemma).size() + Senses(verb_index_, lemma).size();
}

bool CategoryLexicon::LinkIsOf(const Synset& synset, const Link& link, const std::string& lemma) {
  return link.source_word == 0 ||
         (link.source_word <= synset.lemmas.size() && Lower(synset.lemmas[link.source_word - 1]) == lemma);
}

void CategoryLexicon::AddLinkLemmas(const Link& link, std::vector<std::string>* out) const {
  const auto& synsets = link.verb ? verbs_ : nouns_;
  auto it = synsets.find(link.offset);
  if (it == synsets.end()) return;
  const auto& lemmas = it->second.lemmas;
  if (link.target_word == 0) {
    out->insert(out->end(), lemmas.begin(), lemmas.end());
  } else if (link.target_word <= lemmas.size()) {
    out->push_back(lemmas[link.target_word - 1]);
  }
}

std::vector<std::string> CategoryLexicon::RelatedLemmas(std::string_view word) const {
  if (!Load().ok()) return {};
  const std::string w = Lower(word);
  if (w.size() < kMinMemberLength) return {};
  std::vector<std::string> candidates;  // synonyms and related forms, filtered below
  std::vector<std::string> out;         // category members, already filtered
  // Words too general to expand ("time", "thing", "people"), except the
  // nouns of known categories ("pets", "instruments", "food"), which are
  // too general to be an item but say what the items are.
  const std::string noun = NounLemma(w);
  if (TooGeneral(w) && !IsKnownCategory(noun)) return {};
  if (!noun.empty() && (!TooGeneral(noun) || IsKnownCategory(noun)) && MostlyNoun(noun)) {
    auto senses = Senses(noun_index_, noun);
    for (size_t i = 0; i < std::min(kRelatedNounSenses, senses.size()); ++i) {
      auto it = nouns_.find(senses[i]);
      if (it == nouns_.end()) continue;
      candidates.insert(candidates.end(), it->second.lemmas.begin(), it->second.lemmas.end());
      for (const Link& link : it->second.links) {
        if (!LinkIsOf(it->second, link, noun)) continue;
        // Parts and wholes only of places: a city and its state, not a
        // car and its wheels.
        if (link.kind == 'd' || it->second.lexfile == kNounLocation) AddLinkLemmas(link, &candidates);
      }
    }
    const bool category = IsKnownCategory(noun) || SmallCategory(noun, kMaxCategoryMembers);
    auto members = category ? Members(noun) : nullptr;
    if (members != nullptr && (IsKnownCategory(noun) || members->nouns.size() <= kMaxCategoryMembers)) {
      for (const auto& m : members->nouns) {
        // A name that is also a common word ("nice", "mobile") would match
        // the word.
        if (members->proper.count(m) && (verb_tags_.count(m) || other_tags_.count(m))) continue;
        out.push_back(m);
      }
      for (const auto& [gerund, verb] : members->gerunds) out.push_back(gerund);
    }
  }
  // Verbs are not expanded: their synonyms ("travel" -> "go", "move") are
  // common words that match turns about anything (on LoCoMo they cost R@5
  // 0.5 points and won nothing).
  for (const auto& c : candidates) {
    const std::string l = Lower(c);
    // WordNet marks adjective positions in verb lemmas ("fly(a)"): not a word.
    if (l.size() < kMinMemberLength || l.find('(') != std::string::npos || TooGeneral(l)) continue;
    if (SenseCount(l) <= kMaxRelatedSenses) out.push_back(l);
  }
  // Without repeats and without the word itself.
  std::vector<std::string> unique;
  std::unordered_set<std::string> kept = {w, noun};
  for (auto& l : out) {
    if (kept.insert(l).second) unique.push_back(std::move(l));
  }
  return unique;
}

}  // namespace engram

#include "extract/pronoun_resolver.h"

#include <algorithm>
#include <array>
#include <string_view>

namespace engram {
namespace {

// Base-form verbs that commonly follow "I" in chat and are safe to inflect.
// "read", "put", "cut", "quit" are left out: their past tense looks the same.
constexpr std::string_view kVerbs[] = {
    "love",     "like",    "enjoy",   "hate",      "want",     "need",       "think",    "feel",
    "go",       "work",    "live",    "know",      "hope",     "miss",       "play",     "try",
    "plan",     "prefer",  "take",    "make",      "get",      "see",        "say",      "believe",
    "agree",    "remember", "wish",   "mean",      "teach",    "volunteer",  "run",      "swim",
    "paint",    "write",   "cook",      "bake",     "own",        "use",      "spend",
    "find",     "keep",    "visit",   "wonder",    "guess",    "appreciate", "adore",    "dislike",
    "understand", "support", "struggle", "care",   "admire",   "practice",   "practise", "collect",
    "help",     "watch",   "listen",  "study",     "learn",    "attend",     "eat",      "drink",
    "travel",   "hike",    "dance",   "sing",      "draw",     "lift",       "train",    "meditate",
    "journal",  "garden",  "knit",    "sew",       "fish",     "climb",      "ride",     "drive",
    "walk",     "jog",     "cycle",   "surf",      "ski",      "skate",      "host",     "organize",
    "organise", "lead",    "manage",  "coach",     "mentor",   "sell",       "buy",      "rent"};

constexpr std::string_view kAdverbs[] = {
    "really", "just",    "also",       "always", "never",    "still",     "usually",  "actually",
    "totally", "finally", "even",      "often",  "sometimes", "absolutely", "truly",   "definitely",
    "kinda",  "mostly",  "now",        "honestly", "seriously", "personally", "generally", "already"};

template <size_t N>
bool In(std::string_view w, const std::string_view (&list)[N]) {
  return std::find(std::begin(list), std::end(list), w) != std::end(list);
}

}  // namespace

std::string ThirdPersonVerb(std::string_view verb) {
  if (verb == "have") return "has";
  if (verb == "do") return "does";
  if (verb == "don't") return "doesn't";
  if (verb == "am" || verb == "are") return "is";
  if (verb == "were") return "was";
  if (!In(verb, kVerbs)) return "";
  std::string v(verb);
  auto ends = [&](std::string_view s) { return v.size() >= s.size() && v.compare(v.size() - s.size(), s.size(), s) == 0; };
  if (ends("s") || ends("sh") || ends("ch") || ends("x") || ends("z") || ends("o")) return v + "es";
  if (ends("y") && v.size() > 1 && std::string_view("aeiou").find(v[v.size() - 2]) == std::string_view::npos) {
    return v.substr(0, v.size() - 1) + "ies";
  }
  return v + "s";
}

std::vector<TextEdit> ResolvePronouns(const std::vector<Word>& words, const Speakers& who) {
  std::vector<TextEdit> edits;
  const std::string& s = who.speaker;
  const std::string& a = who.addressee;
  const std::string s_poss = s + "'s";
  const std::string a_poss = a + "'s";
  const std::string group = s + " and others";
  for (size_t i = 0; i < words.size(); ++i) {
    const Word& w = words[i];
    if (w.punct) continue;
    const std::string& l = w.lower;
    auto edit = [&](size_t last, std::string text) { edits.push_back({w.begin, words[last].end, std::move(text)}); };
    const bool second = !a.empty();
    const std::string* person = nullptr;
    if (l == "i") person = &s;
    if (l == "you" && second) person = &a;
    if (person) {
      // "I am", "I [really] love": inflect the verb that follows.
      size_t k = i + 1;
      std::string adverbs;
      while (k < words.size()) {
        if (In(words[k].lower, kAdverbs)) {
          adverbs += " " + words[k].text;
          ++k;
        } else if (words[k].lower == "no" && k + 1 < words.size() && words[k + 1].lower == "longer") {
          adverbs += " no longer";
          k += 2;
        } else {
          break;
        }
      }
      if (k < words.size() && !words[k].punct && !(l == "you" && i > 0 && words[i - 1].lower == "thank")) {
        std::string verb = ThirdPersonVerb(words[k].lower);
        if (!verb.empty()) {
          edit(k, *person + adverbs + " " + verb);
          i = k;
          continue;
        }
      }
      edit(i, *person);
      continue;
    }
    if (l == "i'm") edit(i, s + " is");
    else if (l == "i've") edit(i, s + " has");
    else if (l == "i'll") edit(i, s + " will");
    else if (l == "i'd") edit(i, s + " would");
    else if (l == "me" || l == "myself") edit(i, s);
    else if (l == "my" || l == "mine") edit(i, s_poss);
    else if (l == "we") edit(i, group);
    else if (l == "we're") edit(i, group + " are");
    else if (l == "we've") edit(i, group + " have");
    else if (l == "we'll") edit(i, group + " will");
    else if (l == "we'd") edit(i, group + " would");
    else if (l == "us") edit(i, group);
    else if (l == "our" || l == "ours") edit(i, s_poss);
    else if (l == "ourselves") edit(i, "themselves");
    else if (second && l == "you're") edit(i, a + " is");
    else if (second && l == "you've") edit(i, a + " has");
    else if (second && l == "you'll") edit(i, a + " will");
    else if (second && l == "you'd") edit(i, a + " would");
    else if (second && (l == "your" || l == "yours")) edit(i, a_poss);
    else if (second && l == "yourself") edit(i, a);
  }
  return edits;
}

std::string ApplyEdits(std::string_view text, std::vector<TextEdit> edits) {
  std::stable_sort(edits.begin(), edits.end(), [](const TextEdit& x, const TextEdit& y) { return x.begin < y.begin; });
  std::string out;
  out.reserve(text.size() + 32);
  size_t pos = 0;
  for (const auto& e : edits) {
    if (e.begin < pos || e.end > text.size()) continue;
    out.append(text.substr(pos, e.begin - pos));
    out.append(e.text);
    pos = e.end;
  }
  out.append(text.substr(pos));
  return out;
}

}  // namespace engram

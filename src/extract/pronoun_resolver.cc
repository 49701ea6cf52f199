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
    "kinda",  "mostly",  "now",        "honestly", "seriously", "personally", "generally", "already",
    "ever",   "probably", "maybe",     "only",   "almost",   "hardly",    "barely",   "sorta",  "once"};

template <size_t N>
bool In(std::string_view w, const std::string_view (&list)[N]) {
  return std::find(std::begin(list), std::end(list), w) != std::end(list);
}

bool EndsWith(std::string_view w, std::string_view s) {
  return w.size() >= s.size() && w.compare(w.size() - s.size(), s.size(), s) == 0;
}

// Words after a subject that read the same in every person: modals, past
// forms, and verbs whose past looks like their base ("I read", "I quit":
// the past is the likelier reading in chat, and it agrees).
constexpr std::string_view kSameInEveryPerson[] = {
    "can",     "could",  "will",     "would",   "shall",   "should",  "may",      "might",   "must",
    "can't",   "cannot", "couldn't", "won't",   "wouldn't", "shouldn't", "mustn't", "didn't", "wasn't",
    "hadn't",  "had",    "did",      "was",     "used",    "got",     "went",     "came",    "saw",
    "made",    "took",   "met",      "left",    "found",   "gave",    "told",     "said",    "bought",
    "ran",     "won",    "lost",     "wrote",   "began",   "ate",     "drove",    "flew",    "felt",
    "heard",   "kept",   "sat",      "spent",   "thought", "brought", "sold",     "swam",    "sang",
    "became",  "taught", "caught",   "paid",    "knew",    "grew",    "drew",     "threw",   "fell",
    "forgot",  "chose",  "broke",    "spoke",   "woke",    "rode",    "wore",     "tore",    "stood",
    "understood", "built", "sent",   "lent",    "meant",   "slept",   "swept",    "held",    "led",
    "fed",     "read",   "put",      "cut",     "quit",    "set",     "let",      "hit",     "hurt",
    "cost",    "bet",    "shut",     "spread",  "upset",   "too",     "myself",   "personally", "stuck",
    "struck",  "dug",    "hung",     "spun",    "shook",   "bit",     "hid",      "slid",    "lit",
    "sought",  "fought", "bound",    "wound",   "ground",  "dealt",   "knelt",   "dreamt",
    "learnt",  "burnt",  "spelt",    "spilt",   "bent",    "wept",    "crept",    "leapt",
    "drank",   "rang",   "sank",     "shrank",  "stank",   "sprang",  "strove",   "froze",   "stole",
    "arose",   "rose",   "wove",    "forgave", "overcame", "withdrew", "undertook", "mistook",
    "blew",    "outgrew", "oversaw", "overheard", "misunderstood", "gotten"};

// Words after a subject that show it is no verb's subject there ("you and
// your family", "I, too"): the verb further on is left as it is.
constexpr std::string_view kNotVerbs[] = {
    "and", "or",  "but", "the",  "a",    "an",    "to",   "of",   "in",  "on",   "at",    "for",
    "with", "from", "my", "your", "his",  "her",   "our",  "their", "this", "that", "it",   "me",
    "him", "them", "us",  "so",   "as",   "than",  "then", "if",   "when", "who",  "which", "there",
    "here", "now",  "tomorrow", "today", "tonight", "yesterday", "later", "soon", "again", "more", "much",
    "back", "up",   "out",  "down", "off",   "over", "next", "last",  "every", "some",  "any",  "no"};

// Verb forms a subject "you" may take that ThirdPersonVerb does not list.
constexpr std::string_view kYouVerbs[] = {"are", "were", "aren't", "weren't", "haven't", "wanna", "gotta", "gonna"};

// "you all", "you guys", "you two": a plural "you" is no one participant.
constexpr std::string_view kPluralYou[] = {"all", "guys", "two", "both", "three", "folks", "lot", "y'all"};

// "likely", "fly", "reply" end in "ly" and are not adverbs.
bool IsAdverb(std::string_view w) {
  if (In(w, kAdverbs) || w == "rarely" || w == "seldom" || w == "kind" || w == "sort") return true;
  // "absolutley": a misspelt adverb is still one.
  if (w.size() > 6 && EndsWith(w, "ley")) return true;
  return w.size() > 5 && EndsWith(w, "ly") && w != "apply" && w != "reply" && w != "supply" && w != "likely";
}

// The form of `verb` after a third-person singular subject, for a verb that
// followed "I" or a subject "you"; `verb` itself when it already agrees.
// "" when the word cannot be a verb there.
std::string AgreeingVerb(std::string_view verb) {
  if (verb == "am" || verb == "are") return "is";
  if (verb == "were") return "was";
  if (verb == "aren't" || verb == "ain't") return "isn't";
  if (verb == "weren't") return "wasn't";
  if (verb == "haven't") return "hasn't";
  if (verb == "don't") return "doesn't";
  if (verb == "wanna") return "wants to";
  if (verb == "gotta") return "has to";
  if (verb == "gonna") return "is gonna";
  if (In(verb, kSameInEveryPerson)) return std::string(verb);
  // Already third person ("people like you is"): nothing to change.
  if (verb == "is" || verb == "was" || verb == "has" || verb == "does" || verb == "isn't" || verb == "hasn't" ||
      verb == "doesn't") {
    return std::string(verb);
  }
  if (verb.size() > 4 && EndsWith(verb, "ed") && !EndsWith(verb, "eed")) return std::string(verb);
  // "you thinking about it": no finite verb to agree.
  if (verb.size() > 5 && EndsWith(verb, "ing") && verb != "bring" && verb != "swing" && verb != "sting" &&
      verb != "string" && verb != "spring" && verb != "cling" && verb != "fling" && verb != "wring") {
    return std::string(verb);
  }
  if (verb.empty()) return "";
  // Letters, and hyphens inside ("I color-code" -> "color-codes").
  for (size_t i = 0; i < verb.size(); ++i) {
    const char c = verb[i];
    if ((c < 'a' || c > 'z') && !(c == '-' && i > 0 && i + 1 < verb.size())) return "";
  }
  if (std::string known = ThirdPersonVerb(verb); !known.empty()) return known;
  // Any other word right after the subject is a present-tense verb.
  std::string v(verb);
  if (EndsWith(v, "s") || EndsWith(v, "sh") || EndsWith(v, "ch") || EndsWith(v, "x") || EndsWith(v, "z") ||
      EndsWith(v, "o")) {
    return v + "es";
  }
  if (EndsWith(v, "y") && v.size() > 1 && std::string_view("aeiou").find(v[v.size() - 2]) == std::string_view::npos) {
    return v.substr(0, v.size() - 1) + "ies";
  }
  return v + "s";
}

// "my sister and I": the "and" joins a short phrase that has no verb of
// its own (unlike "I'm a nurse and I work nights").
bool PluralSubject(const std::vector<Word>& words, size_t i) {
  if (i == 0 || words[i - 1].lower != "and") return false;
  size_t first = i - 1;
  for (size_t k = i - 1; k-- > 0;) {
    const std::string& w = words[k].lower;
    if (words[k].punct) break;
    if (w == "i" || w == "i'm" || w == "i've" || w == "am" || w == "is" || w == "are" || w == "was" ||
        w == "were" || w == "have" || w == "has" || w == "had") {
      return false;
    }
    first = k;
  }
  const size_t phrase = i - 1 - first;
  if (phrase == 0 || phrase > 3) return false;
  // A name ("Leo and I") or a phrase led by a determiner ("my sister and I").
  static constexpr std::string_view kLeads[] = {"my", "his", "her", "our", "your", "their", "the", "a", "an", "me"};
  const Word& lead = words[first];
  return In(lead.lower, kLeads) || (phrase == 1 && lead.text != lead.lower);
}

// Words after which "you" surely starts a clause: "when you reach",
// "I think you look".
constexpr std::string_view kClauseStarts[] = {
    "and",    "but",   "so",      "because", "if",      "when",   "that",   "since",    "as",       "while",
    "though", "although", "or",   "then",    "cause",   "cuz",    "think",  "know",     "hope",     "guess",
    "bet",    "sure",  "glad",    "believe", "feel",    "heard",  "said",   "unless",   "until",    "once",
    "what",   "how",   "where",   "whenever", "why",    "who",    "which",  "wherever", "whatever", "whether",
    "before", "after", "here",    "there",   "till",    "like"};

// Words before an object "you": prepositions and verbs that take a person
// ("I saw you play", "let you know", "for you"). After any other word
// "you" is a subject: "the people you work with", "everywhere you go".
constexpr std::string_view kBeforeObjectYou[] = {
    "to",     "for",    "with",    "at",     "of",      "about",   "from",    "by",      "on",     "in",
    "without", "than",  "behind",  "around", "toward",  "towards", "against", "between", "among",  "into",
    "see",    "saw",    "seen",    "make",   "made",    "makes",   "let",     "lets",    "help",   "helps",
    "helped", "tell",   "told",    "give",   "gave",    "send",    "sent",    "show",    "showed", "ask",
    "asked",  "thank",  "love",    "loved",  "miss",    "missed",  "hear",    "heard",   "watch",  "watched",
    "call",   "called", "meet",    "met",    "want",    "wanted",  "need",    "get",     "got",    "keep",
    "kept",   "bring",  "brought", "take",   "took",    "invite",  "invited", "wish",    "remind", "reminded",
    "teach",  "taught", "pay",     "paid",   "owe",     "join",    "support", "encourage", "inspire",
    "inspired", "trust", "hug",    "congratulate", "text", "bother", "have",   "has",     "had",
    "notice", "noticed", "found",  "find",   "catch",   "caught",  "leave",   "left",    "picture",
    "imagine"};

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

std::vector<TextEdit> ResolvePronouns(const std::vector<Word>& words, const Speakers& who, bool* disagrees) {
  if (disagrees) *disagrees = false;
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
    // "you all", "you guys": plural, not the addressee.
    if (l == "you" && second && !(i + 1 < words.size() && In(words[i + 1].lower, kPluralYou))) person = &a;
    if (person) {
      // A plural subject ("my sister and I") keeps its verb as it is.
      const bool plural = l == "i" && PluralSubject(words, i);
      // "you" is a subject at the start of a clause or before a verb form
      // that only a subject takes ("the book you have").
      bool subject = l == "i";
      bool sure_subject = subject;
      if (l == "you") {
        const std::string& before = i > 0 ? words[i - 1].lower : l;
        const bool after_verb = In(before, kBeforeObjectYou) || (before.size() > 4 && EndsWith(before, "ed")) ||
                                (before.size() > 4 && EndsWith(before, "ing") && !EndsWith(before, "thing"));
        sure_subject = i == 0 || words[i - 1].punct || In(before, kClauseStarts);
        const bool clause_start = sure_subject || !after_verb;
        const std::string& next = i + 1 < words.size() ? words[i + 1].lower : l;
        subject = !(i > 0 && words[i - 1].lower == "thank") &&
                  (clause_start || next == "are" || next == "were" || next == "have" || next == "haven't" ||
                   next == "don't" || next == "aren't");
      }
      size_t k = i + 1;
      std::string adverbs;
      while (subject && !plural && k < words.size() && !words[k].punct) {
        if (IsAdverb(words[k].lower)) {
          adverbs += " " + words[k].text;
          ++k;
        } else if (words[k].lower == "no" && k + 1 < words.size() && words[k + 1].lower == "longer") {
          adverbs += " no longer";
          k += 2;
        } else {
          break;
        }
      }
      if (subject && !plural && k < words.size() && !words[k].punct && !In(words[k].lower, kNotVerbs)) {
        // After "I" or a clause-initial "you" any word is a verb; after
        // another "you" only a known one is ("wishing you many", "getting
        // you closer" are objects the lists above do not catch).
        std::string verb = sure_subject || !ThirdPersonVerb(words[k].lower).empty() || In(words[k].lower, kYouVerbs)
                               ? AgreeingVerb(words[k].lower)
                               : words[k].text;
        if (verb.empty()) {
          if (disagrees && l == "i") *disagrees = true;
        } else {
          edit(k, *person + adverbs + " " + verb);
          i = k;
          continue;
        }
      }
      edit(i, *person);
      continue;
    }
    if (l == "i'd") {
      // "I'd been" is "had been"; "I'd love" is "would love".
      const std::string& next = i + 1 < words.size() ? words[i + 1].lower : l;
      const bool had = next == "been" || next == "gone" || next == "done" || next == "seen" || next == "had";
      edit(i, s + (had ? " had" : " would"));
      continue;
    }
    if (l == "i'm") edit(i, s + " is");
    else if (l == "i've") edit(i, s + " has");
    else if (l == "i'll") edit(i, s + " will");
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

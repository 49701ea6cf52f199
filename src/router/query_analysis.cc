#include "router/query_analysis.h"

#include <algorithm>
#include <cctype>

#include "common/utf8.h"
#include "extract/time_expressions.h"
#include "tiers/graph_tier.h"

namespace engram {
namespace {

// Words of the question, lower-cased, possessive "'s" dropped.
std::vector<std::string> Words(std::string_view text) {
  std::vector<std::string> words;
  std::string w;
  auto flush = [&]() {
    if (w.size() > 2 && (w.compare(w.size() - 2, 2, "'s") == 0)) w.resize(w.size() - 2);
    if (!w.empty()) words.push_back(AsciiLower(w));
    w.clear();
  };
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (std::isalnum(c) || c >= 0x80 || (c == '\'' && !w.empty())) {
      w.push_back(static_cast<char>(c));
    } else {
      flush();
    }
  }
  flush();
  return words;
}

bool Has(const std::vector<std::string>& words, std::initializer_list<const char*> any) {
  for (const auto& w : words) {
    for (const char* a : any) {
      if (w == a) return true;
    }
  }
  return false;
}

bool Contains(std::string_view lower, std::initializer_list<const char*> phrases) {
  for (const char* p : phrases) {
    if (lower.find(p) != std::string_view::npos) return true;
  }
  return false;
}

// Capitalised word runs ("Pena Palace", "Sintra") in the original text.
std::vector<std::string> CapitalisedRuns(std::string_view text) {
  std::vector<std::string> runs;
  std::string run;
  size_t i = 0;
  while (i < text.size()) {
    size_t start = i;
    while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    std::string word(text.substr(start, i - start));
    while (!word.empty() && std::ispunct(static_cast<unsigned char>(word.back()))) word.pop_back();
    if (word.size() > 2 && word.compare(word.size() - 2, 2, "'s") == 0) word.resize(word.size() - 2);
    bool cap = !word.empty() && std::isupper(static_cast<unsigned char>(word[0])) && start > 0;
    if (cap) {
      if (!run.empty()) run += ' ';
      run += word;
    } else if (!run.empty()) {
      runs.push_back(run);
      run.clear();
    }
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
  }
  if (!run.empty()) runs.push_back(run);
  return runs;
}

}  // namespace

const char* QuestionKindName(QuestionKind kind) {
  switch (kind) {
    case QuestionKind::kSingleFact: return "single_fact";
    case QuestionKind::kMultiHop: return "multi_hop";
    case QuestionKind::kTemporal: return "temporal";
    case QuestionKind::kPersona: return "persona";
    case QuestionKind::kOpen: return "open";
    case QuestionKind::kUnanswerable: return "unanswerable";
  }
  return "single_fact";
}

QueryAnalysis AnalyzeQuery(std::string_view question, const std::vector<std::string>& participants,
                           const GraphTier& graph, const RecallOptions& options, TimeMs anchor_ms) {
  QueryAnalysis a;
  const std::vector<std::string> words = Words(question);
  const std::string lower = AsciiLower(question);

  // Who the question is about.
  for (const auto& p : participants) {
    std::vector<std::string> name_words = Words(p);
    if (name_words.empty()) continue;
    // A participant matches on their full name or their first name.
    if (Has(words, {name_words.front().c_str()})) a.targets.push_back(p);
  }
  if (!options.asking_user.empty() && Has(words, {"i", "my", "me", "mine", "myself"})) {
    a.targets.push_back(options.asking_user);
  }
  if (!options.agent_name.empty() && Has(words, {"you", "your", "yours", "yourself"})) {
    a.targets.push_back(options.agent_name);
  }

  // Entities the graph knows, other than the targets.
  for (const auto& run : CapitalisedRuns(question)) {
    std::string name = graph.Resolve(run);
    if (name.empty()) continue;
    if (std::find(a.targets.begin(), a.targets.end(), name) != a.targets.end()) continue;
    if (std::find(a.entities.begin(), a.entities.end(), name) == a.entities.end()) a.entities.push_back(name);
  }

  // What type of thing the answer is, from a plural noun naming a kind of
  // entity ("what countries has she visited", "which books").
  for (const auto& w : words) {
    if (w == "countries" || w == "cities" || w == "places" || w == "states" || w == "towns" ||
        w == "destinations" || w == "locations") {
      a.has_answer_type = true;
      a.answer_type = EntityType::kPlace;
    } else if (w == "books" || w == "movies" || w == "films" || w == "shows" || w == "games" || w == "novels" ||
               w == "series") {
      a.has_answer_type = true;
      a.answer_type = EntityType::kThing;
    }
    if (a.has_answer_type) {
      a.cues.push_back(std::string("answer is a ") + EntityTypeName(a.answer_type) + " ('" + w + "')");
      break;
    }
  }

  // When.
  for (const TimeMention& m : FindTimeExpressions(question, anchor_ms)) {
    a.from_ms = m.from_ms;
    a.to_ms = m.to_ms;
    a.cues.push_back("time '" + std::string(question.substr(m.begin, m.end - m.begin)) + "' = " + m.normalized);
    break;
  }
  a.asks_when = (!words.empty() && words.front() == "when") ||
                Contains(lower, {"what year", "what month", "what date", "which year", "which month", "what day",
                                 "how long ago", "how long has", "how long did", "what time"});

  // Kind: the first rule that fires.
  if (Contains(lower, {"would ", "likely", "might ", "could ", "probably", "considered", "be open to"}) &&
      !a.asks_when) {
    a.kind = QuestionKind::kOpen;
    a.cues.push_back("hypothetical wording");
  } else if (a.asks_when || a.from_ms != 0) {
    a.kind = QuestionKind::kTemporal;
    a.cues.push_back(a.asks_when ? "asks when" : "time constraint");
  } else if (a.targets.size() > 1 ||
             Contains(lower, {" both ", "in common", "how many", "what are some", "what kinds", "what types",
                              "which ", "what activities", "what things", "what books", "what events",
                              "what places", "who are", "what do ", " all "}) ||
             !a.entities.empty()) {
    a.kind = QuestionKind::kMultiHop;
    a.cues.push_back(a.targets.size() > 1 ? "several participants" : "list or relational wording");
  } else if (Has(words, {"like", "likes", "love", "loves", "enjoy", "enjoys", "favorite", "favourite", "prefer",
                         "prefers", "hobby", "hobbies", "pet", "pets", "diet", "allergic", "job", "career"})) {
    a.kind = QuestionKind::kPersona;
    a.cues.push_back("preference or trait wording");
  } else {
    a.kind = QuestionKind::kSingleFact;
  }
  return a;
}

}  // namespace engram

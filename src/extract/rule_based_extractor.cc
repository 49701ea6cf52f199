#include "extract/rule_based_extractor.h"

#include <algorithm>
#include <string_view>

#include "common/time_format.h"
#include "common/utf8.h"
#include "extract/patterns.h"
#include "extract/pronoun_resolver.h"
#include "extract/sentence_splitter.h"
#include "extract/text_words.h"
#include "extract/time_expressions.h"

namespace engram {
namespace {

// Words that carry no memory on their own: a sentence made only of these
// (and punctuation) is a greeting or a filler.
constexpr std::string_view kFiller[] = {
    "hey", "hi", "hello", "thanks", "thank", "you", "so", "much", "wow", "cool", "great", "awesome", "nice",
    "yeah", "yes", "no", "ok", "okay", "lol", "haha", "hahaha", "bye", "see", "ya", "good", "to", "that's",
    "sounds", "amazing", "glad", "sure", "totally", "absolutely", "oh", "omg", "aww", "same", "me", "too",
    "really", "that", "is", "it", "it's", "what", "a", "the", "congrats", "congratulations", "night", "morning",
    "care", "take", "agreed", "right", "true", "exactly", "indeed", "wonderful", "fantastic", "incredible",
    "beautiful", "lovely", "sweet", "hmm", "well", "definitely", "for", "sharing", "thx", "ty", "xoxo",
    "later", "talk", "soon", "catch", "up", "again", "both", "and", "i", "am", "i'm", "happy", "be", "your",
    "very", "super", "such", "an", "of", "how", "about", "all", "this", "these", "those", "proud", "hear",
    "love", "wish", "luck", "best", "have", "fun", "enjoy", "awesome", "man", "dude", "buddy", "friend",
    "guys", "girl", "ha", "heh", "yay", "woohoo", "whoa", "cheers", "welcome", "anytime", "course", "was",
    "will", "do", "too", "by", "on", "in", "at", "with", "there", "here", "now", "just", "get", "got",
    "gotta", "go", "going", "great!", "neat", "stuff", "things", "thing", "pretty", "totally", "um", "uh"};

bool IsFiller(std::string_view w) { return std::find(std::begin(kFiller), std::end(kFiller), w) != std::end(kFiller); }

bool IsPreposition(std::string_view w) {
  // Also approximations: "about five years ago" -> "about 2018".
  static constexpr std::string_view kPreps[] = {"on",     "in",    "since",  "until",  "till",          "by",
                                                "from",   "before", "after", "during", "of",            "around",
                                                "about",  "roughly", "nearly", "almost", "approximately", "circa"};
  return std::find(std::begin(kPreps), std::end(kPreps), w) != std::end(kPreps);
}

// How a relative time expression reads once resolved.
std::string TimeReplacement(const TimeMention& m, bool after_preposition) {
  const int64_t days = (m.to_ms - m.from_ms) / kMsPerDay;
  std::string prefix;
  if (!after_preposition) prefix = days == 1 ? "on " : m.normalized.find("..") == std::string::npos ? "in " : "during ";
  return prefix + m.normalized;
}

std::string CapitaliseFirst(std::string s) {
  if (!s.empty() && s[0] >= 'a' && s[0] <= 'z') s[0] = static_cast<char>(s[0] - 'a' + 'A');
  return s;
}

void AddSource(const std::string& id, std::vector<std::string>* ids) {
  if (!id.empty()) ids->push_back(id);
}

}  // namespace

Result<Extraction> RuleBasedExtractor::Extract(const ExtractionInput& input) {
  const Turn& turn = input.turn;
  if (turn.speaker.empty()) return Status::InvalidArgument("turn speaker is empty");
  ENGRAM_RETURN_IF_ERROR(ValidateUtf8(turn.text, "turn text"));
  ENGRAM_RETURN_IF_ERROR(ValidateUtf8(turn.speaker, "turn speaker"));

  Speakers who;
  who.speaker = turn.speaker;
  if (input.participants.size() == 2) {
    if (input.participants[0] == turn.speaker) who.addressee = input.participants[1];
    else if (input.participants[1] == turn.speaker) who.addressee = input.participants[0];
  }
  std::vector<std::string> known = input.participants;
  if (std::find(known.begin(), known.end(), turn.speaker) == known.end()) known.push_back(turn.speaker);

  Extraction out;
  const std::string_view text = turn.text;
  const std::vector<TimeMention> times = FindTimeExpressions(text, turn.time_ms);
  SentenceFindings findings;
  findings.entities.push_back(Entity{turn.speaker, EntityType::kPerson, {}, {}});

  for (const SentenceSpan& span : SplitSentences(text)) {
    const std::string_view sentence = text.substr(span.begin, span.end - span.begin);
    const std::vector<Word> words = TokenizeWords(sentence);
    if (words.empty()) continue;
    const bool question = sentence.back() == '?';
    if (!question) ExtractSentencePatterns(words, who, known, &findings);

    // Which time expressions fall in this sentence.
    std::vector<const TimeMention*> here;
    for (const auto& m : times) {
      if (m.begin >= span.begin && m.end <= span.end) here.push_back(&m);
    }
    size_t content = 0, total = 0;
    bool first_person = false, second_person = false;
    for (const Word& w : words) {
      if (w.punct) continue;
      ++total;
      if (!IsFiller(w.lower)) ++content;
      const std::string& l = w.lower;
      if (l == "i" || l == "i'm" || l == "i've" || l == "i'll" || l == "i'd" || l == "me" || l == "my" ||
          l == "we" || l == "our" || l == "us" || l == "we're" || l == "we've") {
        first_person = true;
      }
      if (l == "you" || l == "your" || l == "you're" || l == "you've" || l == "yours") second_person = true;
    }
    if (question || content == 0 || (total < 3 && here.empty())) continue;

    std::vector<TextEdit> edits = ResolvePronouns(words, who);
    for (const TimeMention* m : here) {
      if (m->absolute) continue;
      const size_t b = m->begin - span.begin;
      // The word before the expression decides whether it needs "on"/"in".
      bool after_prep = false;
      for (size_t k = words.size(); k-- > 0;) {
        if (words[k].end <= b) {
          after_prep = !words[k].punct && IsPreposition(words[k].lower);
          break;
        }
      }
      // "Yesterday was amazing": the expression is the subject, not a time adverbial.
      for (const Word& w : words) {
        if (w.begin >= m->end - span.begin) {
          if (w.lower == "was" || w.lower == "is" || w.lower == "has" || w.lower == "had" || w.lower == "will") {
            after_prep = true;
          }
          break;
        }
      }
      // "since May" keeps its "since": the start is what it says.
      const bool since = sentence.substr(b, 6) == "since " || sentence.substr(b, 6) == "Since ";
      edits.push_back({b, m->end - span.begin,
                       since ? std::string(sentence.substr(b, 6)) + FormatIsoDate(m->from_ms) : TimeReplacement(*m, after_prep)});
    }
    EventUnit unit;
    unit.text = CapitaliseFirst(ApplyEdits(sentence, std::move(edits)));
    const char last = unit.text.back();
    if (last != '.' && last != '!' && last != '"' && last != ')') unit.text.push_back('.');
    unit.subject = (!first_person && second_person && !who.addressee.empty()) ? who.addressee : turn.speaker;
    unit.time_ms = turn.time_ms;
    if (!here.empty()) {
      unit.event_from_ms = here.front()->from_ms;
      // EventUnit's end is inclusive: the start of the last day.
      unit.event_to_ms = here.front()->to_ms - kMsPerDay;
    }
    AddSource(turn.source_id, &unit.source_ids);
    out.units.push_back(std::move(unit));
  }

  for (auto& f : findings.facts) {
    f.valid_from_ms = turn.time_ms;
    AddSource(turn.source_id, &f.source_ids);
  }
  for (auto& r : findings.relations) {
    r.time_ms = turn.time_ms;
    AddSource(turn.source_id, &r.source_ids);
  }
  for (auto& e : findings.entities) AddSource(turn.source_id, &e.source_ids);
  out.facts = std::move(findings.facts);
  out.relations = std::move(findings.relations);
  out.entities = std::move(findings.entities);
  return out;
}

std::unique_ptr<Extractor> NewRuleBasedExtractor() { return std::make_unique<RuleBasedExtractor>(); }

}  // namespace engram

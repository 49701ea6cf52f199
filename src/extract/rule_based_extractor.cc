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
    "gotta", "go", "going", "great!", "neat", "stuff", "things", "thing", "pretty", "totally", "um", "uh",
    // Introductions: "My name is Maya", "nice to meet you".
    "my", "name", "meet", "meeting", "call", "called"};

bool IsFiller(std::string_view w) { return std::find(std::begin(kFiller), std::end(kFiller), w) != std::end(kFiller); }

// How a resolved time expression is annotated: "on 2023-05-07", "in
// 2023-05", "during 2023-05-01..2023-05-07", "since 2023-05-01".
std::string TimeAnnotation(const TimeMention& m, bool since) {
  if (since) return "since " + FormatIsoDate(m.from_ms);
  const int64_t days = (m.to_ms - m.from_ms) / kMsPerDay;
  const char* prefix = days == 1 ? "on " : m.normalized.find("..") == std::string::npos ? "in " : "during ";
  return prefix + m.normalized;
}

// `text` with the annotations before its final punctuation: "Maya starts on
// April 1st (on 2024-04-01)." The words said stay as they were.
// A closing quote or bracket keeps its punctuation inside: the annotation
// then follows it ("... called \"Home.\" (on 2023-05-07)").
std::string Annotate(std::string text, const std::vector<std::string>& annotations) {
  std::string note;
  for (size_t i = 0; i < annotations.size(); ++i) note += (i ? "; " : "") + annotations[i];
  if (!note.empty()) note = " (" + note + ")";
  const char last = text.empty() ? '\0' : text.back();
  if (last == '"' || last == ')' || last == '\'') return text + note;
  size_t end = text.size();
  while (end > 0 && (text[end - 1] == '.' || text[end - 1] == '!' || text[end - 1] == '?')) --end;
  std::string tail = text.substr(end);
  text.resize(end);
  return text + note + (tail.empty() ? "." : tail);
}

// Fact attributes and relations whose state a dated event in the same
// sentence begins: moving, a new job, adopting a pet, taking up a hobby.
bool StartsWithAnEvent(std::string_view kind) {
  static constexpr std::string_view kKinds[] = {
      "home",    "lives_in",   "lived_in",   "works_at",     "occupation", "works_as",      "owns",
      "pet",     "pet_of",     "diet",       "hobby",        "member_of",  "volunteers_at", "partner_of",
      "attended", "visited",   "met",        "relationship_status"};
  return std::find(std::begin(kKinds), std::end(kKinds), kind) != std::end(kKinds);
}

std::string CapitaliseFirst(std::string s) {
  if (!s.empty() && s[0] >= 'a' && s[0] <= 'z') s[0] = static_cast<char>(s[0] - 'a' + 'A');
  return s;
}

// Adds `e` unless an entity of that name is already there.
void AddEntityOnce(Entity e, std::vector<Entity>* entities) {
  for (const Entity& have : *entities) {
    if (have.name == e.name) return;
  }
  entities->push_back(std::move(e));
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

    // Which time expressions fall in this sentence.
    std::vector<const TimeMention*> here;
    for (const auto& m : times) {
      if (m.begin >= span.begin && m.end <= span.end) here.push_back(&m);
    }
    if (question) {
      // "Did you ever live in Galway?" asserts nothing, but the places and
      // organisations it names are entities. Names of people and things in
      // a question are left out: with no statement around them their type
      // is too often a guess ("Is Spider-Man still your favourite?").
      SentenceFindings asked;
      ExtractSentencePatterns(words, who, known, &asked);
      for (Entity& e : asked.entities) {
        const bool named = !e.name.empty() && !(e.name[0] >= 'a' && e.name[0] <= 'z');
        if (named && (e.type == EntityType::kPlace || e.type == EntityType::kOrganisation)) {
          AddEntityOnce(std::move(e), &findings.entities);
        }
      }
    } else {
      const size_t facts_before = findings.facts.size(), relations_before = findings.relations.size();
      ExtractSentencePatterns(words, who, known, &findings);
      // "I moved to Lakewood last month": true since then, not since the
      // turn. Only a time already begun starts a state ("moving next month"
      // is not yet true), and only for states a dated event begins ("I love
      // hiking in the fall" does not start the liking).
      if (!here.empty() && here.front()->from_ms <= turn.time_ms) {
        const TimeMs valid_from = here.front()->from_ms;
        for (size_t k = facts_before; k < findings.facts.size(); ++k) {
          if (StartsWithAnEvent(findings.facts[k].attribute)) findings.facts[k].valid_from_ms = valid_from;
        }
        for (size_t k = relations_before; k < findings.relations.size(); ++k) {
          if (StartsWithAnEvent(findings.relations[k].relation)) findings.relations[k].valid_from_ms = valid_from;
        }
      }
    }
    size_t content = 0, total = 0;
    bool first_person = false, second_person = false;
    for (const Word& w : words) {
      if (w.punct) continue;
      ++total;
      // The participants' names carry nothing alone: "Hi, I am Maya".
      const bool participant = std::find(known.begin(), known.end(), w.text) != known.end();
      if (!IsFiller(w.lower) && !participant) ++content;
      const std::string& l = w.lower;
      if (l == "i" || l == "i'm" || l == "i've" || l == "i'll" || l == "i'd" || l == "me" || l == "my" ||
          l == "we" || l == "our" || l == "us" || l == "we're" || l == "we've") {
        first_person = true;
      }
      if (l == "you" || l == "your" || l == "you're" || l == "you've" || l == "yours") second_person = true;
    }
    if (question || content == 0 || (total < 3 && here.empty())) continue;

    bool disagrees = false;
    std::vector<TextEdit> edits = ResolvePronouns(words, who, &disagrees);
    // A unit says what was said or is not made.
    if (disagrees) continue;
    std::vector<std::string> annotations;
    for (const TimeMention* m : here) {
      if (m->absolute) continue;
      const size_t b = m->begin - span.begin;
      // "since May", "since last month": the start is what it says.
      bool since = sentence.substr(b, 6) == "since " || sentence.substr(b, 6) == "Since ";
      for (size_t k = words.size(); k-- > 0;) {
        if (words[k].end <= b) {
          since = since || words[k].lower == "since";
          break;
        }
      }
      annotations.push_back(TimeAnnotation(*m, since));
    }
    EventUnit unit;
    unit.text = Annotate(CapitaliseFirst(ApplyEdits(sentence, std::move(edits))), annotations);
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
    if (f.valid_from_ms == 0) f.valid_from_ms = turn.time_ms;
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

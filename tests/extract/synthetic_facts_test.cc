// The synthetic conversations (tests/testing/synthetic_conversation.h) state
// changing facts so that benchmarks and tests exercise the persona tier at
// scale; this checks the rule-based extractor reads them.
#include <map>
#include <string>

#include <gtest/gtest.h>

#include "engram/extractor.h"
#include "testing/synthetic_conversation.h"

namespace engram {
namespace {

// Every word of `value` is in `text` ("dog Biscuit" in "We adopted a dog
// named Biscuit").
bool WordsIn(const std::string& value, const std::string& text) {
  size_t start = 0;
  while (start < value.size()) {
    size_t end = value.find(' ', start);
    if (end == std::string::npos) end = value.size();
    if (end > start && text.find(value.substr(start, end - start)) == std::string::npos) return false;
    start = end + 1;
  }
  return !value.empty();
}

TEST(SyntheticFactsTest, RuleBasedExtractorReadsMovesJobsDietsAndPets) {
  testing::GeneratorOptions options;
  options.turns = 3000;
  const auto conv = testing::GenerateConversation(options);
  auto extractor = NewRuleBasedExtractor();
  std::map<std::string, size_t> fact_turns;  // kind -> fact turns that gave the speaker a fact with the value
  std::map<std::string, size_t> stated;
  for (const Turn& turn : conv.turns) {
    const char* kind = turn.text.find("I moved to ") != std::string::npos             ? "home"
                       : turn.text.find("I started working at ") != std::string::npos ? "work"
                       : turn.text.find("I became ") != std::string::npos             ? "diet"
                       : turn.text.find("We adopted a ") != std::string::npos         ? "pet"
                                                                                      : nullptr;
    if (kind == nullptr) continue;
    ++stated[kind];
    ExtractionInput input{turn, conv.speakers, ""};
    auto x = extractor->Extract(input);
    ASSERT_TRUE(x.ok()) << x.status().ToString();
    for (const PersonaFact& f : x->facts) {
      if (f.subject == turn.speaker && WordsIn(f.value, turn.text)) {
        ++fact_turns[kind];
        break;
      }
    }
  }
  for (const char* kind : {"home", "work", "diet", "pet"}) {
    ASSERT_GT(stated[kind], 5u) << kind;
    // Most fact sentences give the speaker a persona fact with the stated value.
    EXPECT_GE(fact_turns[kind] * 10, stated[kind] * 8) << kind << ": " << fact_turns[kind] << " of " << stated[kind];
  }
}

}  // namespace
}  // namespace engram

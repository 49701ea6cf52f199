// Event unit texts on a hand-labelled corpus (tests/data/unit_texts.jsonl):
// every statement lists the exact unit texts the rule-based extractor must
// produce for it (none for greetings, introductions and questions). A unit
// text is the speaker's sentence with first and second person replaced by the
// participants where the verb agrees, and resolved times as a trailing
// annotation ("(on 2024-04-01)"). Any unit that differs, is missing or is
// extra is a rewrite error; the test prints the counts and every error, and
// fails on any. Where an expected unit carries a resolved day, the unit's
// event_from_ms must be that day.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/time_format.h"
#include "engram/extractor.h"

namespace engram {
namespace {

// The first "YYYY-MM-DD" inside the trailing "(...)" annotation, if any.
std::string AnnotatedDay(const std::string& text) {
  const size_t open = text.rfind(" (");
  if (open == std::string::npos) return "";
  for (size_t i = open; i + 10 <= text.size(); ++i) {
    if (std::isdigit(static_cast<unsigned char>(text[i])) && text[i + 4] == '-' && text[i + 7] == '-' &&
        (i + 10 == text.size() || !std::isdigit(static_cast<unsigned char>(text[i + 10])))) {
      return text.substr(i, 10);
    }
  }
  return "";
}

TEST(UnitTextsTest, EveryUnitSaysWhatWasSaid) {
  std::ifstream in(std::string(ENGRAM_TEST_DATA_DIR) + "/unit_texts.jsonl");
  ASSERT_TRUE(in.good()) << "missing tests/data/unit_texts.jsonl";
  auto extractor = NewRuleBasedExtractor();
  size_t statements = 0, expected_units = 0, produced_units = 0, wrong = 0, missing = 0, extra = 0, bad_dates = 0;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const auto j = nlohmann::json::parse(line);
    ++statements;
    ExtractionInput input;
    input.turn.speaker = j.at("speaker").get<std::string>();
    input.turn.text = j.at("text").get<std::string>();
    auto time = ParseIsoTime(j.at("time").get<std::string>());
    ASSERT_TRUE(time.ok()) << line;
    input.turn.time_ms = *time;
    input.participants = j.at("participants").get<std::vector<std::string>>();
    auto result = extractor->Extract(input);
    ASSERT_TRUE(result.ok()) << result.status().ToString();
    const auto want = j.at("units").get<std::vector<std::string>>();
    const auto& got = result->units;
    expected_units += want.size();
    produced_units += got.size();
    for (size_t i = 0; i < std::max(want.size(), got.size()); ++i) {
      if (i >= got.size()) {
        ++missing;
        std::printf("  MISSING  %s\n           <- %s\n", want[i].c_str(), input.turn.text.c_str());
        continue;
      }
      if (i >= want.size()) {
        ++extra;
        std::printf("  EXTRA    %s\n           <- %s\n", got[i].text.c_str(), input.turn.text.c_str());
        continue;
      }
      if (got[i].text != want[i]) {
        ++wrong;
        std::printf("  WRONG    %s\n  WANT     %s\n", got[i].text.c_str(), want[i].c_str());
      }
      const std::string day = AnnotatedDay(want[i]);
      if (!day.empty() && FormatIsoDate(got[i].event_from_ms) != day) {
        ++bad_dates;
        std::printf("  DATE     %s, want %s <- %s\n", FormatIsoDate(got[i].event_from_ms).c_str(), day.c_str(),
                    input.turn.text.c_str());
      }
    }
  }
  const size_t errors = wrong + missing + extra;
  std::printf(
      "unit texts: %zu statements, %zu expected units, %zu produced; %zu wrong, %zu missing, %zu extra "
      "(rewrite error rate %.1f%%), %zu wrong event dates\n",
      statements, expected_units, produced_units, wrong, missing, extra,
      100.0 * static_cast<double>(errors) / static_cast<double>(std::max<size_t>(expected_units, 1)), bad_dates);
  EXPECT_GE(statements, 150u);
  EXPECT_EQ(errors, 0u);
  EXPECT_EQ(bad_dates, 0u);
}

}  // namespace
}  // namespace engram

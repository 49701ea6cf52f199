// Conversation files: JSONL turn lines and LoCoMo JSON, including inputs
// that once crashed the readers (found by the fuzzers in fuzz/).
#include "store/conversation_io.h"

#include <fstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/temp_dir.h"

namespace engram {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// One LoCoMo sample with two turns and one question with `evidence` and
// `category` (JSON text).
std::string LocomoSample(const std::string& evidence, const std::string& category = "1") {
  return R"([{"sample_id": "conv-1",
    "conversation": {"speaker_a": "Ann", "speaker_b": "Bo",
      "session_1_date_time": "1:56 pm on 8 May, 2023",
      "session_1": [{"speaker": "Ann", "dia_id": "D1:1", "text": "I adopted a cat."},
                    {"speaker": "Bo", "dia_id": "D1:2", "text": "What is its name?"}]},
    "qa": [{"question": "What did Ann adopt?", "category": )" +
         category + R"(, "evidence": )" + evidence + "}]}]";
}

TEST(ConversationIoTest, EvidenceIdsAreNormalised) {
  EXPECT_THAT(NormaliseLocomoEvidence("D8:6; D9:17"), ElementsAre("D8:6", "D9:17"));
  EXPECT_THAT(NormaliseLocomoEvidence("D:11:26"), ElementsAre("D11:26"));
  EXPECT_THAT(NormaliseLocomoEvidence("D30:05, D0:00"), ElementsAre("D30:5", "D0:0"));
  EXPECT_THAT(NormaliseLocomoEvidence("D; :4"), IsEmpty());
}

TEST(ConversationIoTest, EvidenceWithNumbersBeyondIntIsKeptWithoutThrowing) {
  EXPECT_THAT(NormaliseLocomoEvidence("D99999999999999999999:1"), ElementsAre("D99999999999999999999:1"));
  EXPECT_THAT(NormaliseLocomoEvidence("D1:0000000000000000000000042"), ElementsAre("D1:42"));

  auto conversations = ParseLocomo(LocomoSample(R"(["D99999999999999999999:1", "D1:01"])"), "sample.json");
  ASSERT_TRUE(conversations.ok()) << conversations.status().ToString();
  ASSERT_EQ(conversations->size(), 1u);
  ASSERT_EQ((*conversations)[0].questions.size(), 1u);
  const LocomoQuestion& question = (*conversations)[0].questions[0];
  EXPECT_EQ(question.raw_evidence, 2u);
  EXPECT_THAT(question.evidence, ElementsAre("D1:1")) << "only ids of turns in the conversation";
}

TEST(ConversationIoTest, LocomoCategoryMustBeASmallInteger) {
  for (const std::string category : {"1e300", "2.5", "-1", "\"1\"", "99999999999"}) {
    auto conversations = ParseLocomo(LocomoSample("[]", category), "sample.json");
    ASSERT_FALSE(conversations.ok()) << category;
    EXPECT_THAT(conversations.status().message(), HasSubstr("sample.json")) << category;
    EXPECT_THAT(conversations.status().message(), HasSubstr("category")) << category;
  }
  auto ok = ParseLocomo(LocomoSample("[]", "5"), "sample.json");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ((*ok)[0].questions[0].category, 5);
}

TEST(ConversationIoTest, ReadLocomoReadsAFile) {
  testing::TempDir dir;
  const std::string path = dir.Sub("sample.json");
  std::ofstream(path) << LocomoSample(R"(["D1:2"])");
  auto conversations = ReadLocomo(path);
  ASSERT_TRUE(conversations.ok()) << conversations.status().ToString();
  ASSERT_EQ(conversations->size(), 1u);
  const LocomoConversation& conv = (*conversations)[0];
  EXPECT_EQ(conv.sample_id, "conv-1");
  ASSERT_EQ(conv.turns.size(), 2u);
  EXPECT_EQ(conv.turns[1].source_id, "D1:2");
  EXPECT_THAT(conv.questions[0].evidence, ElementsAre("D1:2"));

  EXPECT_TRUE(ReadLocomo(dir.Sub("missing.json")).status().IsIOError());
  std::ofstream(dir.Sub("bad.json")) << "[{";
  auto bad = ReadLocomo(dir.Sub("bad.json"));
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("bad.json"));
}

TEST(ConversationIoTest, TurnLineTimesThatCannotBeWrittenBackAreRejected) {
  auto line = ParseTurnLine(R"({"tenant":"t","speaker":"s","text":"x","time":"9999-12-31T23:59:60.999"})");
  ASSERT_FALSE(line.ok());
  EXPECT_THAT(line.status().message(), HasSubstr("field 'time'"));
  EXPECT_FALSE(ParseTurnLine(R"({"tenant":"t","speaker":"s","text":"x","time":"2023-05-08T10:00+99:99"})").ok());
}

TEST(ConversationIoTest, AFormattedTurnLineParsesToTheSameTurn) {
  auto line = ParseTurnLine(
      R"({"tenant":"t","session":7,"speaker":"Ann","text":"caf\u00e9 \"quoted\"","time":"9999-12-31T23:59:59.999+00:00","id":"D1:1"})");
  ASSERT_TRUE(line.ok()) << line.status().ToString();
  auto again = ParseTurnLine(FormatTurnLine(line->tenant, line->turn));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->tenant, "t");
  EXPECT_EQ(again->turn.session, "7");
  EXPECT_EQ(again->turn.text, line->turn.text);
  EXPECT_EQ(again->turn.time_ms, line->turn.time_ms);
  EXPECT_EQ(again->turn.source_id, "D1:1");
}

}  // namespace
}  // namespace engram

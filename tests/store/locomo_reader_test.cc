// ReadLocomo: which sessions of a LoCoMo conversation become turns.
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "store/conversation_io.h"
#include "testing/run_tool.h"
#include "testing/temp_dir.h"

namespace engram {
namespace {

using ::testing::ElementsAre;

std::string Session(int n) {
  const std::string id = "D" + std::to_string(n) + ":1";
  return "\"session_" + std::to_string(n) + "\": [{\"speaker\": \"Ada\", \"dia_id\": \"" + id +
         "\", \"text\": \"turn of session " + std::to_string(n) + "\"}]";
}

TEST(LocomoReaderTest, ReadsEverySessionInNumericOrderWhateverTheGaps) {
  testing::TempDir dir;
  const std::string path = dir.Sub("gaps.json");
  // JSON objects are unordered and the keys sort as text ("session_10" <
  // "session_2"); session 200 is far beyond the one before it.
  testing::WriteFile(path, "[{\"sample_id\": \"gaps\", \"conversation\": {\"speaker_a\": \"Ada\", " +
                               Session(10) + ", " + Session(2) + ", " + Session(200) + ", " + Session(1) + ", " +
                               Session(9) + ", \"session_9_date_time\": \"1:56 pm on 8 May, 2023\", " +
                               "\"session_x\": [], \"session_\": []}}]");
  auto convs = ReadLocomo(path);
  ASSERT_TRUE(convs.ok()) << convs.status().ToString();
  ASSERT_EQ(convs->size(), 1u);
  std::vector<std::string> sessions, ids;
  for (const Turn& t : (*convs)[0].turns) {
    sessions.push_back(t.session);
    ids.push_back(t.source_id);
  }
  EXPECT_THAT(sessions, ElementsAre("session_1", "session_2", "session_9", "session_10", "session_200"));
  EXPECT_THAT(ids, ElementsAre("D1:1", "D2:1", "D9:1", "D10:1", "D200:1"));
  EXPECT_NE((*convs)[0].turns[2].time_ms, 0) << "session_9's date is read";
}

}  // namespace
}  // namespace engram

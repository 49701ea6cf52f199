// StringListSet: membership of a growing list agrees with the list itself,
// before and after the list is long enough to be hashed.
#include "tiers/string_list_set.h"

#include <algorithm>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace engram {
namespace {

using ::testing::ElementsAre;

TEST(StringListSetTest, AppendIfAbsentKeepsTheFirstOccurrenceInOrder) {
  StringListSet set;
  std::vector<std::string> list;
  EXPECT_TRUE(set.AppendIfAbsent(&list, "b"));
  EXPECT_TRUE(set.AppendIfAbsent(&list, "a"));
  EXPECT_FALSE(set.AppendIfAbsent(&list, "b"));
  EXPECT_TRUE(set.AppendIfAbsent(&list, "B")) << "values compare exactly";
  EXPECT_THAT(list, ElementsAre("b", "a", "B"));
}

TEST(StringListSetTest, LongListsAnswerLikeTheListItself) {
  StringListSet set;
  std::vector<std::string> list = {"seed", "seed"};  // a list may start with repeats
  for (int i = 0; i < 200; ++i) {
    const std::string value = "D" + std::to_string(i * 7 % 50);
    if (i % 5 == 0) {
      set.Append(&list, value);  // appended even when present
    } else {
      const bool was_there = std::find(list.begin(), list.end(), value) != list.end();
      EXPECT_EQ(set.AppendIfAbsent(&list, value), !was_there) << value << " at " << i;
    }
    for (int j = 0; j < 60; ++j) {
      const std::string probe = "D" + std::to_string(j);
      ASSERT_EQ(set.Contains(list, probe), std::find(list.begin(), list.end(), probe) != list.end())
          << probe << " after " << list.size() << " values";
    }
    ASSERT_TRUE(set.Contains(list, "seed"));
  }
}

TEST(StringListSetTest, ClearStartsOverWithTheListAsItIsThen) {
  StringListSet set;
  std::vector<std::string> list;
  for (int i = 0; i < 40; ++i) set.Append(&list, "D" + std::to_string(i));
  set.Clear();
  list = {"x"};
  EXPECT_FALSE(set.Contains(list, "D3"));
  EXPECT_TRUE(set.Contains(list, "x"));
}

}  // namespace
}  // namespace engram

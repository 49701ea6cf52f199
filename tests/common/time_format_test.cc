// Time parsing and formatting: every time the parser accepts formats to text
// it accepts again with the same value, so exported turns re-ingest.
#include "common/time_format.h"

#include <cstdint>
#include <limits>
#include <string>

#include <gtest/gtest.h>

namespace engram {
namespace {

TimeMs Parse(const std::string& text) {
  auto t = ParseIsoTime(text);
  EXPECT_TRUE(t.ok()) << text << ": " << t.status().ToString();
  return t.ok() ? *t : 0;
}

TEST(TimeFormatTest, FourDigitYearRangeMatchesTheCalendar) {
  EXPECT_EQ(kMinIsoTimeMs, DaysFromCivil(0, 1, 1) * kMsPerDay);
  EXPECT_EQ(kMaxIsoTimeMs, DaysFromCivil(10000, 1, 1) * kMsPerDay - 1);
  EXPECT_EQ(FormatIsoTime(kMinIsoTimeMs), "0000-01-01T00:00:00Z");
  EXPECT_EQ(FormatIsoTime(kMaxIsoTimeMs), "9999-12-31T23:59:59.999Z");
}

TEST(TimeFormatTest, AcceptedTimesFormatToTextThatParsesToTheSameValue) {
  for (const std::string text :
       {"2023-05-08", "2023-05-08T13:56", "2023-05-08 13:56:00.250+02:00", "2016-12-31T23:59:60Z",
        "0000-01-01T00:00:00Z", "9999-12-31T23:59:59.999Z", "0000-01-01T12:00-11:59", "9999-12-31T11:00+05:30",
        "1969-12-31T23:59:59.999Z"}) {
    const TimeMs t = Parse(text);
    const std::string formatted = FormatIsoTime(t);
    auto again = ParseIsoTime(formatted);
    ASSERT_TRUE(again.ok()) << text << " -> " << formatted << ": " << again.status().ToString();
    EXPECT_EQ(*again, t) << text << " -> " << formatted;
  }
}

TEST(TimeFormatTest, TimesThatLeaveTheFourDigitYearsInUtcAreRejected) {
  // Each is a valid local time whose UTC value is in year 10000 or year -1,
  // which FormatIsoTime cannot write in a form the parser reads back.
  for (const std::string text : {"9999-12-31T23:59:60.999", "9999-12-31T23:59:60Z", "9999-12-31T23:30-00:31",
                                 "0000-01-01T00:00+23:59", "0000-01-01T00:00:00+00:01"}) {
    auto t = ParseIsoTime(text);
    EXPECT_FALSE(t.ok()) << text << " parsed as " << (t.ok() ? FormatIsoTime(*t) : "");
    if (!t.ok()) EXPECT_NE(t.status().message().find("0000..9999"), std::string::npos) << t.status().ToString();
  }
}

TEST(TimeFormatTest, ZoneOffsetsMustBeInRangeAndComplete) {
  for (const std::string text : {"2023-05-08T13:56+99:99", "2023-05-08T13:56+24:00", "2023-05-08T13:56-05:60",
                                 "2023-05-08T13:56+05:3", "2023-05-08T13:56+053", "2023-05-08T13:56+05:"}) {
    EXPECT_FALSE(ParseIsoTime(text).ok()) << text;
  }
  const TimeMs utc = Parse("2023-05-08T08:26Z");
  EXPECT_EQ(Parse("2023-05-08T13:56+05:30"), utc);
  EXPECT_EQ(Parse("2023-05-08T13:56+0530"), utc);
  EXPECT_EQ(Parse("2023-05-08T13:26+05"), utc);
  EXPECT_EQ(Parse("2023-05-07T20:26-12:00"), utc);
  EXPECT_EQ(Parse("2023-05-09T08:25+23:59"), utc);
}

TEST(TimeFormatTest, FormatIsDefinedForEveryTime) {
  EXPECT_EQ(FormatIsoTime(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(FormatIsoTime(-kMsPerDay), "1969-12-31T00:00:00Z");
  EXPECT_EQ(FormatIsoTime(kMinIsoTimeMs - 1), "-001-12-31T23:59:59.999Z");
  EXPECT_EQ(FormatIsoTime(kMaxIsoTimeMs + 1), "10000-01-01T00:00:00Z");
  // The extremes format without overflowing (UBSan checks the arithmetic).
  EXPECT_EQ(FormatIsoTime(std::numeric_limits<int64_t>::min()).back(), 'Z');
  EXPECT_EQ(FormatIsoTime(std::numeric_limits<int64_t>::max()).back(), 'Z');
}

TEST(TimeFormatTest, LocomoTimesAreUtc) {
  auto t = ParseLocomoTime("1:56 pm on 8 May, 2023");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(FormatIsoTime(*t), "2023-05-08T13:56:00Z");
  EXPECT_FALSE(ParseLocomoTime("13:56 pm on 31 April, 2023").ok());
}

}  // namespace
}  // namespace engram

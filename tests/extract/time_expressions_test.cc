#include "extract/time_expressions.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>

#include "common/time_format.h"

namespace engram {
namespace {

TimeMs At(const char* iso) {
  auto t = ParseIsoTime(iso);
  EXPECT_TRUE(t.ok()) << iso;
  return t.ok() ? *t : 0;
}

// The single expression found in `text` at `anchor`, as "<span>=<normalized>".
std::string One(const std::string& text, const char* anchor) {
  auto found = FindTimeExpressions(text, At(anchor));
  if (found.size() != 1) return "found " + std::to_string(found.size());
  const auto& m = found[0];
  return text.substr(m.begin, m.end - m.begin) + "=" + m.normalized;
}

TEST(TimeExpressionsTest, DaysAroundTheAnchor) {
  EXPECT_EQ(One("I went yesterday.", "2023-05-08T13:56:00Z"), "yesterday=2023-05-07");
  EXPECT_EQ(One("I'm free today", "2023-05-08T23:59:00Z"), "today=2023-05-08");
  EXPECT_EQ(One("See you tonight!", "2023-05-08T01:00:00Z"), "tonight=2023-05-08");
  EXPECT_EQ(One("We leave tomorrow.", "2023-05-08T13:56:00Z"), "tomorrow=2023-05-09");
  EXPECT_EQ(One("It rained last night.", "2023-05-08T08:00:00Z"), "last night=2023-05-07");
  EXPECT_EQ(One("the day before yesterday", "2023-05-08T08:00:00Z"), "the day before yesterday=2023-05-06");
}

TEST(TimeExpressionsTest, YesterdayCrossesMonthAndYearBoundaries) {
  EXPECT_EQ(One("yesterday", "2024-01-01T10:00:00Z"), "yesterday=2023-12-31");
  EXPECT_EQ(One("yesterday", "2023-03-01T18:00:00Z"), "yesterday=2023-02-28");
  EXPECT_EQ(One("yesterday", "2024-03-01T18:00:00Z"), "yesterday=2024-02-29");  // leap year
  EXPECT_EQ(One("tomorrow", "2024-02-28T18:00:00Z"), "tomorrow=2024-02-29");
  EXPECT_EQ(One("tomorrow", "2023-12-31T23:00:00Z"), "tomorrow=2024-01-01");
}

TEST(TimeExpressionsTest, LastThisNextMonthAndYear) {
  EXPECT_EQ(One("last month", "2024-01-02T09:00:00Z"), "last month=2023-12");
  EXPECT_EQ(One("next month", "2023-12-15T09:00:00Z"), "next month=2024-01");
  EXPECT_EQ(One("this month", "2023-03-01T09:00:00Z"), "this month=2023-03");
  EXPECT_EQ(One("last year", "2024-01-02T09:00:00Z"), "last year=2023");
  EXPECT_EQ(One("next year", "2024-01-02T09:00:00Z"), "next year=2025");
  const auto m = FindTimeExpressions("last month", At("2024-03-10T00:00:00Z"));
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].from_ms, At("2024-02-01"));
  EXPECT_EQ(m[0].to_ms, At("2024-03-01"));  // February of a leap year: 29 days
}

TEST(TimeExpressionsTest, WeeksRunMondayToSunday) {
  // 2023-05-08 is a Monday.
  EXPECT_EQ(One("last week", "2023-05-08T10:00:00Z"), "last week=2023-05-01..2023-05-07");
  EXPECT_EQ(One("this week", "2023-05-10T10:00:00Z"), "this week=2023-05-08..2023-05-14");
  EXPECT_EQ(One("next week", "2023-12-28T10:00:00Z"), "next week=2024-01-01..2024-01-07");
  EXPECT_EQ(One("last week", "2024-01-02T10:00:00Z"), "last week=2023-12-25..2023-12-31");
  EXPECT_EQ(One("last weekend", "2023-05-10T10:00:00Z"), "last weekend=2023-05-06..2023-05-07");
  EXPECT_EQ(One("this weekend", "2023-05-10T10:00:00Z"), "this weekend=2023-05-13..2023-05-14");
  EXPECT_EQ(One("next weekend", "2023-05-10T10:00:00Z"), "next weekend=2023-05-20..2023-05-21");
}

TEST(TimeExpressionsTest, Weekdays) {
  // Anchor: Wednesday 2023-03-01.
  EXPECT_EQ(One("last Friday", "2023-03-01T10:00:00Z"), "last Friday=2023-02-24");
  EXPECT_EQ(One("last Wednesday", "2023-03-01T10:00:00Z"), "last Wednesday=2023-02-22");
  EXPECT_EQ(One("next Monday", "2023-03-01T10:00:00Z"), "next Monday=2023-03-06");
  EXPECT_EQ(One("this Friday", "2023-03-01T10:00:00Z"), "this Friday=2023-03-03");
  // Past by default, future with a cue.
  EXPECT_EQ(One("We hiked on Saturday.", "2023-03-01T10:00:00Z"), "Saturday=2023-02-25");
  EXPECT_EQ(One("I'll call her on Saturday.", "2023-03-01T10:00:00Z"), "Saturday=2023-03-04");
  EXPECT_EQ(One("We're going to hike on Saturday.", "2023-03-01T10:00:00Z"), "Saturday=2023-03-04");
}

TEST(TimeExpressionsTest, AgoAndIn) {
  EXPECT_EQ(One("3 days ago", "2024-03-02T10:00:00Z"), "3 days ago=2024-02-28");
  EXPECT_EQ(One("two days ago", "2024-03-01T10:00:00Z"), "two days ago=2024-02-28");
  EXPECT_EQ(One("a week ago", "2023-05-08T10:00:00Z"), "a week ago=2023-05-01..2023-05-07");
  EXPECT_EQ(One("a month ago", "2023-01-15T10:00:00Z"), "a month ago=2022-12");
  EXPECT_EQ(One("two years ago", "2023-01-15T10:00:00Z"), "two years ago=2021");
  EXPECT_EQ(One("a few days ago", "2023-05-08T10:00:00Z"), "a few days ago=2023-05-04..2023-05-06");
  EXPECT_EQ(One("a couple of weeks ago", "2023-05-08T10:00:00Z"), "a couple of weeks ago=2023-04-24..2023-04-30");
  EXPECT_EQ(One("in two weeks", "2023-05-08T10:00:00Z"), "in two weeks=2023-05-22..2023-05-28");
  EXPECT_EQ(One("in 3 days", "2023-12-30T10:00:00Z"), "in 3 days=2024-01-02");
  EXPECT_TRUE(FindTimeExpressions("I run 5 days a week", At("2023-05-08")).empty());
}

TEST(TimeExpressionsTest, MonthNamesWithoutYearResolveNearTheAnchor) {
  EXPECT_EQ(One("I moved in May.", "2023-05-08T10:00:00Z"), "May=2023-05");
  EXPECT_EQ(One("I moved in June.", "2023-05-08T10:00:00Z"), "June=2022-06");
  EXPECT_EQ(One("I'll move in June.", "2023-05-08T10:00:00Z"), "June=2023-06");
  EXPECT_EQ(One("I'm planning to go in January.", "2023-11-08T10:00:00Z"), "January=2024-01");
  EXPECT_EQ(One("last December", "2024-01-02T10:00:00Z"), "last December=2023-12");
  // Plans told in the present progressive point forward.
  EXPECT_EQ(One("Lena is coming to visit in May.", "2024-04-02T18:00:00Z"), "May=2024-05");
  EXPECT_EQ(One("We want to hike there in June.", "2024-04-02T18:00:00Z"), "June=2024-06");
  EXPECT_EQ(One("next March", "2024-03-10T10:00:00Z"), "next March=2025-03");
  // "may" the verb is not a month.
  EXPECT_TRUE(FindTimeExpressions("I may go out later", At("2023-05-08")).empty());
}

TEST(TimeExpressionsTest, AbsoluteDates) {
  EXPECT_EQ(One("on 8 May 2023", "2024-01-02T10:00:00Z"), "8 May 2023=2023-05-08");
  EXPECT_EQ(One("May 8th, 2023 was great", "2024-01-02T10:00:00Z"), "May 8th, 2023=2023-05-08");
  EXPECT_EQ(One("the 29th of February, 2024", "2024-06-02T10:00:00Z"), "29th of February, 2024=2024-02-29");
  EXPECT_EQ(One("in May 2022", "2024-01-02T10:00:00Z"), "May 2022=2022-05");
  EXPECT_EQ(One("it was 2023-05-07", "2024-01-02T10:00:00Z"), "2023-05-07=2023-05-07");
  EXPECT_EQ(One("in 2022", "2024-01-02T10:00:00Z"), "2022=2022");
  EXPECT_EQ(One("since 2019", "2023-05-08T10:00:00Z"), "since 2019=2019-01-01..2023-05-08");
  EXPECT_EQ(One("summer of 2021", "2024-01-02T10:00:00Z"), "summer of 2021=2021-06-01..2021-08-31");
  // No February 29th in 2023: at most the month is recognised, never a day.
  for (const auto& m : FindTimeExpressions("29 February 2023", At("2024-01-02"))) {
    EXPECT_NE(m.to_ms - m.from_ms, kMsPerDay) << m.normalized;
  }
  auto m = FindTimeExpressions("on 2023-05-07", At("2024-01-02"));
  ASSERT_EQ(m.size(), 1u);
  EXPECT_TRUE(m[0].absolute);
  // Absolute dates need no anchor.
  EXPECT_EQ(FindTimeExpressions("8 May 2023", 0).size(), 1u);
  EXPECT_TRUE(FindTimeExpressions("yesterday", 0).empty());
}

TEST(TimeExpressionsTest, DayAndMonthWithoutYear) {
  EXPECT_EQ(One("on 8 May", "2023-05-20T10:00:00Z"), "8 May=2023-05-08");
  EXPECT_EQ(One("on December 24", "2024-01-02T10:00:00Z"), "December 24=2023-12-24");
  EXPECT_EQ(One("I'll be there on January 5th", "2023-12-20T10:00:00Z"), "January 5th=2024-01-05");
  // Feb 29 without a year: the latest leap day on or before the anchor.
  EXPECT_EQ(One("on 29 February", "2025-03-10T10:00:00Z"), "29 February=2024-02-29");
}

TEST(TimeExpressionsTest, Seasons) {
  EXPECT_EQ(One("last summer", "2023-07-14T10:00:00Z"), "last summer=2022-06-01..2022-08-31");
  EXPECT_EQ(One("last summer", "2023-10-14T10:00:00Z"), "last summer=2023-06-01..2023-08-31");
  EXPECT_EQ(One("last winter", "2024-01-02T10:00:00Z"), "last winter=2022-12-01..2023-02-28");
  EXPECT_EQ(One("this winter", "2024-01-02T10:00:00Z"), "this winter=2023-12-01..2024-02-29");
  EXPECT_EQ(One("next spring", "2023-05-08T10:00:00Z"), "next spring=2024-03-01..2024-05-31");
}

TEST(TimeExpressionsTest, SpansPointIntoTheTextAndDoNotOverlap) {
  const std::string text = "Yesterday I called Anna, and last week I saw Tom 3 days after May 2, 2023.";
  auto found = FindTimeExpressions(text, At("2023-05-08T10:00:00Z"));
  ASSERT_EQ(found.size(), 3u);
  EXPECT_EQ(text.substr(found[0].begin, found[0].end - found[0].begin), "Yesterday");
  EXPECT_EQ(text.substr(found[1].begin, found[1].end - found[1].begin), "last week");
  EXPECT_EQ(text.substr(found[2].begin, found[2].end - found[2].begin), "May 2, 2023");
  for (size_t i = 1; i < found.size(); ++i) EXPECT_LE(found[i - 1].end, found[i].begin);
  for (const auto& m : found) EXPECT_LT(m.from_ms, m.to_ms);
}

TEST(TimeExpressionsTest, AnchorsOutsideTheFourDigitYearsCountAsUnknown) {
  // A turn's time comes from the caller; relative expressions around an
  // anchor near the ends of TimeMs would overflow.
  const std::string text = "last summer, 2 years ago, next month, and on 2023-05-07";
  for (TimeMs anchor : {std::numeric_limits<TimeMs>::max(), std::numeric_limits<TimeMs>::min(), kMaxIsoTimeMs + 1,
                        kMinIsoTimeMs - 1}) {
    auto found = FindTimeExpressions(text, anchor);
    ASSERT_EQ(found.size(), 1u) << anchor;
    EXPECT_EQ(found[0].normalized, "2023-05-07") << anchor;
  }
  EXPECT_EQ(FindTimeExpressions(text, kMaxIsoTimeMs).size(), 4u) << "the last millisecond of 9999 is an anchor";
}

TEST(TimeExpressionsTest, CurlyApostrophesAndUtf8DoNotConfuseTheScanner) {
  EXPECT_EQ(One("We’ll meet on Friday — José’s idea", "2023-03-01T10:00:00Z"), "Friday=2023-03-03");
  EXPECT_EQ(One("Zoë left yesterday 🎉", "2023-03-01T10:00:00Z"), "yesterday=2023-02-28");
}

TEST(TimeExpressionsTest, UndatedDaysAndMonthsFollowTheTense) {
  // 2024-03-15 is a Friday. Present tense: the nearer occurrence.
  EXPECT_EQ(One("I start on April 1st.", "2024-03-15T10:00:00Z"), "April 1st=2024-04-01");
  EXPECT_EQ(One("My birthday is on January 5th.", "2024-03-15T10:00:00Z"), "January 5th=2024-01-05");
  EXPECT_EQ(One("My exam is on December 3rd.", "2023-11-20T10:00:00Z"), "December 3rd=2023-12-03");
  EXPECT_EQ(One("The wedding is in May.", "2024-03-15T10:00:00Z"), "May=2024-05");
  // A past verb anywhere in the sentence: the last one.
  EXPECT_EQ(One("I started on April 1st.", "2024-03-15T10:00:00Z"), "April 1st=2023-04-01");
  EXPECT_EQ(One("On April 1st we moved.", "2024-03-15T10:00:00Z"), "April 1st=2023-04-01");
  EXPECT_EQ(One("I started painting in May.", "2024-03-15T10:00:00Z"), "May=2023-05");
  EXPECT_EQ(One("I visited Rome last April.", "2024-03-15T10:00:00Z"), "last April=2023-04");
  // A future cue: the next one.
  EXPECT_EQ(One("I will start on March 1st.", "2024-03-15T10:00:00Z"), "March 1st=2025-03-01");
}

TEST(TimeExpressionsTest, WeekdaysInThePresentTenseAreTheComingOnes) {
  EXPECT_EQ(One("I start my new job on Monday.", "2024-03-15T10:00:00Z"), "Monday=2024-03-18");
  EXPECT_EQ(One("I saw Leo on Monday.", "2024-03-15T10:00:00Z"), "Monday=2024-03-11");
  EXPECT_EQ(One("Monday was a long day.", "2024-03-15T10:00:00Z"), "Monday=2024-03-11");
}

TEST(TimeExpressionsTest, HabitsAreNotDates) {
  EXPECT_EQ(One("I play tennis every Saturday.", "2024-03-15T10:00:00Z"), "found 0");
  EXPECT_EQ(One("We meet each Monday.", "2024-03-15T10:00:00Z"), "found 0");
}

TEST(TimeExpressionsTest, AsOfAMonthIsFromThatMonthOn) {
  // Not August alone: everything from August up to the anchor day.
  EXPECT_EQ(One("As of August 2023 she works at the clinic.", "2023-10-20T10:00:00Z"),
            "As of August 2023=2023-08-01..2023-10-20");
  EXPECT_EQ(One("as of 2022", "2023-03-05T10:00:00Z"), "as of 2022=2022-01-01..2023-03-05");
  // What it names stays whole when it lies after the anchor.
  EXPECT_EQ(One("as of 1 June 2024", "2024-05-20T10:00:00Z"), "as of 1 June 2024=2024-06-01");
  // Without an anchor it is the month it names, and absolute like it.
  auto found = FindTimeExpressions("as of august 2025 she works there", 0);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].normalized, "2025-08");
  EXPECT_TRUE(found[0].absolute);
}

TEST(TimeExpressionsTest, TheFirstOrLastWeekOfAMonthIsThatWeek) {
  // Not the week before the anchor: the last seven days of August 2023.
  EXPECT_EQ(One("the last week of August 2023", "2023-10-20T10:00:00Z"),
            "last week of August 2023=2023-08-25..2023-08-31");
  EXPECT_EQ(One("during the first week of May, 2023", "2023-10-20T10:00:00Z"),
            "first week of May, 2023=2023-05-01..2023-05-07");
  // Without a year: the month nearest the anchor, by the sentence's tense.
  EXPECT_EQ(One("We went away the last week of September.", "2023-10-20T10:00:00Z"),
            "last week of September=2023-09-24..2023-09-30");
  // "last week" alone is still the week before the anchor's.
  EXPECT_EQ(One("last week", "2023-10-20T10:00:00Z"), "last week=2023-10-09..2023-10-15");
}

TEST(TimeExpressionsTest, AWeekdayAfterADateIsCountedFromThatDate) {
  // 2023-05-20 is a Saturday; the anchor is months later.
  EXPECT_EQ(One("the Friday after 20 May 2023", "2023-10-20T10:00:00Z"), "Friday after 20 May 2023=2023-05-26");
  EXPECT_EQ(One("the Sunday before May 20, 2023", "2023-10-20T10:00:00Z"),
            "Sunday before May 20, 2023=2023-05-14");
  // A weekday after a month: the first such day after the month ends.
  EXPECT_EQ(One("the Monday after June 2023", "2023-10-20T10:00:00Z"), "Monday after June 2023=2023-07-03");
  // Found without an anchor too: the date it counts from is absolute.
  auto found = FindTimeExpressions("the Friday after 20 May 2023", 0);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].normalized, "2023-05-26");
}

TEST(TimeExpressionsTest, InTheLastYearIsThePastTwelveMonths) {
  // The twelve months up to the anchor day, not the previous calendar year.
  EXPECT_EQ(One("What has she read in the last year?", "2023-08-15T10:00:00Z"),
            "last year=2022-08-15..2023-08-15");
  EXPECT_EQ(One("over the past month", "2023-03-31T10:00:00Z"), "past month=2023-02-28..2023-03-31");
  EXPECT_EQ(One("in the last week", "2023-05-10T10:00:00Z"), "last week=2023-05-03..2023-05-10");
  // Without "the" it is still the calendar period.
  EXPECT_EQ(One("last year", "2023-08-15T10:00:00Z"), "last year=2022");
  EXPECT_EQ(One("in the last year of college", "2023-08-15T10:00:00Z"), "last year=2022");
}

}  // namespace
}  // namespace engram

// Time expressions: finds "yesterday", "last week", "on Saturday",
// "3 days ago", "in May", "8 May 2023", "2023-05-07", "since 2019", ... in
// English text and resolves them against an anchor time (the turn's time, or
// "now" for a question).
//
// Semantics (all UTC, day granularity or wider, ranges half-open [from, to)):
// - Weeks run Monday..Sunday; a weekend is Saturday..Sunday.
// - "last <weekday>": the nearest such day strictly before the anchor day;
//   "next <weekday>": the nearest strictly after; "this <weekday>": that day
//   of the anchor's week. "every/each <weekday>" is a habit, not a day.
// - A bare "on <weekday>" / "in <month>" / day and month without a year
//   follow the tense of their sentence: a future cue earlier in it ("will",
//   "'ll", "going to", "gonna", "planning to", ...) gives the nearest
//   occurrence on or after the anchor; else a past cue anywhere in it
//   ("was", "went", "-ed", "ago", ...) the latest on or before it; else (the
//   present tense: "I start on April 1st") the coming weekday, or the nearer
//   month / day and month (the past one on a tie). "In May" backwards is
//   the latest May starting on or before the anchor month (May itself in
//   May); forwards, the earliest ending on or after it.
// - "N days ago": that day; "N weeks ago": the Monday..Sunday week holding the
//   day 7N days before; "N months/years ago": that calendar month/year;
//   "a few"/"several" X ago: the range from 4 to 2 units back; "a couple of"
//   = 2.
// - Seasons are meteorological, northern hemisphere (spring = Mar..May,
//   summer = Jun..Aug, fall/autumn = Sep..Nov, winter = Dec..Feb). "last
//   summer": the latest summer that ended before the anchor month; "this
//   summer": the one in the anchor's year (for winter, the one holding or
//   next to the anchor); "next summer": the first that starts after it.
// - "since 2019": from 2019-01-01 up to and including the anchor day; "as
//   of August 2023" likewise from 2023-08-01 (and at least the whole month
//   when it lies after the anchor).
// - "the last week of August 2023": its last seven days (Aug 25..31); "the
//   first week of ...": its first seven. Without a year, the month follows
//   the sentence's tense as above.
// - "<weekday> after <date>": the first such weekday after the date named
//   (its last day, for a month), not one near the anchor; "<weekday> before
//   <date>" the last one before it.
// - "in the last year", "over the past month", "the last week" (with
//   "the"): the period up to and including the anchor day (a year back: the
//   same day a year earlier), not the previous calendar year, month or
//   week; "last year" alone stays the calendar year.
//
// Thread safety: pure functions; safe from any thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "engram/types.h"

namespace engram {

struct TimeMention {
  size_t begin = 0;  // byte span of the expression in the text, [begin, end)
  size_t end = 0;
  TimeMs from_ms = 0;  // [from, to), UTC midnight boundaries
  TimeMs to_ms = 0;
  // "2023-05-07" (one day), "2023-05" (a month), "2023" (a year) or
  // "2023-05-01..2023-05-07" (any other range; both ends inclusive days).
  std::string normalized;
  // True when the text already names the date absolutely (an ISO date, an
  // explicit year): callers need not rewrite it.
  bool absolute = false;
};

// Every time expression in `text`, in text order, non-overlapping. Expressions
// relative to the anchor are skipped when anchor_ms is 0 (unknown) or outside
// the years 0000..9999 (kMinIsoTimeMs..kMaxIsoTimeMs); absolute ones are
// still found.
std::vector<TimeMention> FindTimeExpressions(std::string_view text, TimeMs anchor_ms);

// The normalized form of [from_ms, to_ms) as described on TimeMention.
std::string NormalizeRange(TimeMs from_ms, TimeMs to_ms);

}  // namespace engram

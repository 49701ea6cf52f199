// Parsing and printing of UTC times (milliseconds since the epoch).
#pragma once

#include <string>
#include <string_view>

#include "engram/status.h"
#include "engram/types.h"

namespace engram {

// ISO 8601: "2023-05-08", "2023-05-08T13:56", "2023-05-08T13:56:00Z",
// "2023-05-08 13:56:00.250+02:00". No zone means UTC.
Result<TimeMs> ParseIsoTime(std::string_view text);

// LoCoMo's session dates: "1:56 pm on 8 May, 2023" (UTC).
Result<TimeMs> ParseLocomoTime(std::string_view text);

// "2023-05-08T13:56:00Z" (milliseconds shown only when non-zero).
std::string FormatIsoTime(TimeMs t);

// "2023-05-08".
std::string FormatIsoDate(TimeMs t);

// Days since 1970-01-01 for a civil date, and back (proleptic Gregorian).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d);
void CivilFromDays(int64_t days, int64_t* y, unsigned* m, unsigned* d);

inline constexpr TimeMs kMsPerDay = 86'400'000;

}  // namespace engram

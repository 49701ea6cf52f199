// Parsing and printing of UTC times (milliseconds since the epoch).
#pragma once

#include <string>
#include <string_view>

#include "engram/status.h"
#include "engram/types.h"

namespace engram {

// The times FormatIsoTime writes with a four-digit year, so that they parse
// back: 0000-01-01T00:00:00Z ..= 9999-12-31T23:59:59.999Z.
inline constexpr TimeMs kMinIsoTimeMs = -62'167'219'200'000;
inline constexpr TimeMs kMaxIsoTimeMs = 253'402'300'799'999;

// ISO 8601: "2023-05-08", "2023-05-08T13:56", "2023-05-08T13:56:00Z",
// "2023-05-08 13:56:00.250+02:00". No zone means UTC. A zone offset is
// "+hh:mm", "+hhmm" or "+hh" with hh <= 23 and mm <= 59. A time whose UTC
// value falls outside [kMinIsoTimeMs, kMaxIsoTimeMs] is rejected, so every
// accepted time formats (FormatIsoTime) to text that parses to the same value.
Result<TimeMs> ParseIsoTime(std::string_view text);

// LoCoMo's session dates: "1:56 pm on 8 May, 2023" (UTC).
Result<TimeMs> ParseLocomoTime(std::string_view text);

// "2023-05-08T13:56:00Z" (milliseconds shown only when non-zero). Defined
// for every TimeMs; outside [kMinIsoTimeMs, kMaxIsoTimeMs] the year has more
// than four digits or a sign, which ParseIsoTime does not accept.
std::string FormatIsoTime(TimeMs t);

// "2023-05-08".
std::string FormatIsoDate(TimeMs t);

// Days since 1970-01-01 for a civil date, and back (proleptic Gregorian).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d);
void CivilFromDays(int64_t days, int64_t* y, unsigned* m, unsigned* d);

inline constexpr TimeMs kMsPerDay = 86'400'000;

}  // namespace engram

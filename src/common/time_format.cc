#include "common/time_format.h"

#include <cctype>
#include <cstdio>
#include <string>

#include "common/utf8.h"

namespace engram {

int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void CivilFromDays(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int64_t>(yoe) + era * 400 + (*m <= 2);
}

namespace {

bool DaysInMonthOk(int64_t y, unsigned m, unsigned d) {
  static const unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m < 1 || m > 12 || d < 1) return false;
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  unsigned max = kDays[m - 1] + (m == 2 && leap ? 1 : 0);
  return d <= max;
}

class Cursor {
 public:
  explicit Cursor(std::string_view s) : s_(s) {}
  bool Done() const { return i_ >= s_.size(); }
  char Peek() const { return Done() ? '\0' : s_[i_]; }
  bool Eat(char c) {
    if (Peek() != c) return false;
    ++i_;
    return true;
  }
  // Reads exactly `n` digits.
  bool Digits(int n, int64_t* out) {
    int64_t v = 0;
    for (int k = 0; k < n; ++k) {
      if (Done() || !std::isdigit(static_cast<unsigned char>(s_[i_]))) return false;
      v = v * 10 + (s_[i_++] - '0');
    }
    *out = v;
    return true;
  }
  // Reads 1..max digits.
  bool SomeDigits(int max, int64_t* out, int* count = nullptr) {
    int n = 0;
    int64_t v = 0;
    while (n < max && !Done() && std::isdigit(static_cast<unsigned char>(s_[i_]))) {
      v = v * 10 + (s_[i_++] - '0');
      ++n;
    }
    if (count) *count = n;
    *out = v;
    return n > 0;
  }
  void SkipSpaces() {
    while (!Done() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }
  std::string_view Word() {
    size_t start = i_;
    while (!Done() && std::isalpha(static_cast<unsigned char>(s_[i_]))) ++i_;
    return s_.substr(start, i_ - start);
  }

 private:
  std::string_view s_;
  size_t i_ = 0;
};

Status BadTime(std::string_view text, std::string_view why) {
  return Status::InvalidArgument("time '" + std::string(text) + "' does not parse: " + std::string(why));
}

int MonthFromName(std::string_view word) {
  static const char* kNames[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                 "jul", "aug", "sep", "oct", "nov", "dec"};
  if (word.size() < 3) return 0;
  std::string w = AsciiLower(word.substr(0, 3));
  for (int i = 0; i < 12; ++i) {
    if (w == kNames[i]) return i + 1;
  }
  return 0;
}

}  // namespace

Result<TimeMs> ParseIsoTime(std::string_view text) {
  Cursor c(text);
  int64_t y, mo, d, h = 0, mi = 0, s = 0, ms = 0;
  if (!c.Digits(4, &y) || !c.Eat('-') || !c.Digits(2, &mo) || !c.Eat('-') || !c.Digits(2, &d)) {
    return BadTime(text, "expected YYYY-MM-DD");
  }
  if (!DaysInMonthOk(y, static_cast<unsigned>(mo), static_cast<unsigned>(d))) {
    return BadTime(text, "no such date");
  }
  int64_t offset_min = 0;
  if (c.Eat('T') || c.Eat(' ') || c.Eat('t')) {
    if (!c.Digits(2, &h) || !c.Eat(':') || !c.Digits(2, &mi)) return BadTime(text, "expected hh:mm");
    if (c.Eat(':')) {
      if (!c.Digits(2, &s)) return BadTime(text, "expected seconds");
      if (c.Eat('.') || c.Eat(',')) {
        int n = 0;
        int64_t frac = 0;
        if (!c.SomeDigits(9, &frac, &n)) return BadTime(text, "expected fraction digits");
        while (n < 3) { frac *= 10; ++n; }
        while (n > 3) { frac /= 10; --n; }
        ms = frac;
      }
    }
    if (h > 23 || mi > 59 || s > 60) return BadTime(text, "hour, minute or second out of range");
    if (c.Eat('Z') || c.Eat('z')) {
    } else if (c.Peek() == '+' || c.Peek() == '-') {
      int sign = c.Peek() == '-' ? -1 : 1;
      c.Eat(c.Peek());
      int64_t oh, om = 0;
      if (!c.Digits(2, &oh)) return BadTime(text, "expected zone offset hh:mm");
      // "+hh:mm", "+hhmm" or "+hh": minutes, when present, are two digits.
      const bool colon = c.Eat(':');
      if ((colon || !c.Done()) && !c.Digits(2, &om)) return BadTime(text, "expected zone offset hh:mm");
      if (oh > 23 || om > 59) return BadTime(text, "zone offset out of range");
      offset_min = sign * (oh * 60 + om);
    }
  }
  if (!c.Done()) return BadTime(text, "unexpected trailing characters");
  int64_t days = DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  const TimeMs t = ((days * 24 + h) * 60 + mi - offset_min) * 60'000 + s * 1000 + ms;
  // A leap second or a zone offset can move the UTC time out of the years
  // 0000..9999 that FormatIsoTime writes in four digits.
  if (t < kMinIsoTimeMs || t > kMaxIsoTimeMs) return BadTime(text, "outside the years 0000..9999 in UTC");
  return t;
}

Result<TimeMs> ParseLocomoTime(std::string_view text) {
  // "1:56 pm on 8 May, 2023"
  Cursor c(text);
  c.SkipSpaces();
  int64_t h, mi = 0, d, y;
  if (!c.SomeDigits(2, &h)) return BadTime(text, "expected an hour");
  if (c.Eat(':') && !c.Digits(2, &mi)) return BadTime(text, "expected minutes");
  c.SkipSpaces();
  std::string ampm = AsciiLower(c.Word());
  if (ampm == "pm" && h < 12) h += 12;
  if (ampm == "am" && h == 12) h = 0;
  if (ampm != "am" && ampm != "pm") return BadTime(text, "expected am or pm");
  c.SkipSpaces();
  if (AsciiLower(c.Word()) != "on") return BadTime(text, "expected 'on'");
  c.SkipSpaces();
  if (!c.SomeDigits(2, &d)) return BadTime(text, "expected a day");
  c.SkipSpaces();
  int mo = MonthFromName(c.Word());
  if (mo == 0) return BadTime(text, "expected a month name");
  c.Eat(',');
  c.SkipSpaces();
  if (!c.Digits(4, &y)) return BadTime(text, "expected a four-digit year");
  c.SkipSpaces();
  if (!c.Done()) return BadTime(text, "unexpected trailing characters");
  if (h > 23 || mi > 59 || !DaysInMonthOk(y, static_cast<unsigned>(mo), static_cast<unsigned>(d))) {
    return BadTime(text, "out of range");
  }
  int64_t days = DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  return ((days * 24 + h) * 60 + mi) * 60'000;
}

std::string FormatIsoTime(TimeMs t) {
  // Floor division; written so that no step overflows, even for INT64_MIN.
  int64_t days = t / kMsPerDay;
  int64_t rem = t % kMsPerDay;
  if (rem < 0) {
    --days;
    rem += kMsPerDay;
  }
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, &y, &m, &d);
  int64_t ms = rem % 1000, s = rem / 1000 % 60, mi = rem / 60'000 % 60, h = rem / 3'600'000;
  char buf[48];
  if (ms != 0) {
    std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%03lldZ", static_cast<long long>(y), m, d,
                  static_cast<long long>(h), static_cast<long long>(mi), static_cast<long long>(s),
                  static_cast<long long>(ms));
  } else {
    std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lldZ", static_cast<long long>(y), m, d,
                  static_cast<long long>(h), static_cast<long long>(mi), static_cast<long long>(s));
  }
  return buf;
}

std::string FormatIsoDate(TimeMs t) { return FormatIsoTime(t).substr(0, 10); }

}  // namespace engram

#include "extract/time_expressions.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>

#include "common/time_format.h"

namespace engram {
namespace {

// A word, number or punctuation mark of the text, lower-cased, with its span.
struct Tok {
  size_t begin = 0;
  size_t end = 0;
  std::string lower;
  bool number = false;
  bool capitalised = false;
  bool punct = false;
};

bool IsWordByte(unsigned char c) { return std::isalnum(c) || c >= 0x80; }

// Splits into tokens. Apostrophes inside words ("I'll", "don’t") stay in the
// word and are normalised to '\''; other characters are one-character tokens.
std::vector<Tok> Tokenize(std::string_view text) {
  std::vector<Tok> toks;
  size_t i = 0;
  const size_t n = text.size();
  while (i < n) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (std::isspace(c)) {
      ++i;
      continue;
    }
    if (IsWordByte(c) && !(c == 0xE2 && i + 2 < n && text[i + 1] == '\x80' && text[i + 2] == '\x99')) {
      Tok t;
      t.begin = i;
      t.capitalised = std::isupper(c);
      bool all_digits = true;
      while (i < n) {
        unsigned char d = static_cast<unsigned char>(text[i]);
        bool curly = d == 0xE2 && i + 2 < n && text[i + 1] == '\x80' && text[i + 2] == '\x99';
        if ((d == '\'' || curly) && !t.lower.empty()) {
          size_t next = i + (curly ? 3 : 1);
          if (next < n && std::isalpha(static_cast<unsigned char>(text[next]))) {
            t.lower.push_back('\'');
            all_digits = false;
            i = next;
            continue;
          }
          break;
        }
        if (!IsWordByte(d)) break;
        if (!std::isdigit(d)) all_digits = false;
        t.lower.push_back(static_cast<char>(d < 0x80 ? std::tolower(d) : d));
        ++i;
      }
      t.end = i;
      t.number = all_digits;
      toks.push_back(std::move(t));
      continue;
    }
    Tok t;
    t.begin = i;
    size_t len = 1;
    if (c >= 0xC0) len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
    i = std::min(n, i + len);
    t.end = i;
    t.lower = std::string(text.substr(t.begin, t.end - t.begin));
    t.punct = true;
    toks.push_back(std::move(t));
  }
  return toks;
}

constexpr const char* kMonths[] = {"january", "february", "march",     "april",   "may",      "june",
                                   "july",    "august",   "september", "october", "november", "december"};
constexpr const char* kWeekdays[] = {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"};

int MonthIndex(std::string_view w) {  // 1..12, 0 if none
  for (int i = 0; i < 12; ++i) {
    if (w == kMonths[i]) return i + 1;
  }
  if (w == "sept") return 9;
  return 0;
}

int WeekdayIndex(std::string_view w) {  // 0 = Monday .. 6 = Sunday, -1 if none
  for (int i = 0; i < 7; ++i) {
    if (w == kWeekdays[i]) return i;
  }
  return -1;
}

int Weekday(int64_t day) { return static_cast<int>(((day + 3) % 7 + 7) % 7); }  // 1970-01-01 was a Thursday

int64_t MonthStart(int64_t month_index) {  // month_index = year * 12 + (month - 1)
  int64_t y = month_index >= 0 ? month_index / 12 : (month_index - 11) / 12;
  unsigned m = static_cast<unsigned>(month_index - y * 12) + 1;
  return DaysFromCivil(y, m, 1);
}

bool ValidDay(int64_t y, int m, int64_t d) {
  if (m < 1 || m > 12 || d < 1 || d > 31) return false;
  int64_t start = DaysFromCivil(y, static_cast<unsigned>(m), 1);
  int64_t next = MonthStart(y * 12 + m);
  return d <= next - start;
}

// A number word or numeral: "3", "three", "a", "an". 0 if none.
int SmallNumber(std::string_view w) {
  static const char* kWords[] = {"zero", "one", "two",   "three",  "four",   "five",    "six",
                                 "seven", "eight", "nine", "ten", "eleven", "twelve"};
  for (int i = 1; i <= 12; ++i) {
    if (w == kWords[i]) return i;
  }
  if (w == "a" || w == "an") return 1;
  if (!w.empty() && w.size() <= 3 && std::all_of(w.begin(), w.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
    return std::atoi(std::string(w).c_str());
  }
  return 0;
}

// "8", "8th", "1st", "22nd", "3rd" -> day of month; 0 if none.
int DayOfMonth(std::string_view w) {
  size_t k = 0;
  while (k < w.size() && std::isdigit(static_cast<unsigned char>(w[k]))) ++k;
  if (k == 0 || k > 2) return 0;
  std::string_view suffix = w.substr(k);
  if (!suffix.empty() && suffix != "st" && suffix != "nd" && suffix != "rd" && suffix != "th") return 0;
  int d = std::atoi(std::string(w.substr(0, k)).c_str());
  return d >= 1 && d <= 31 ? d : 0;
}

int Year(const Tok& t) {
  if (!t.number || t.lower.size() != 4) return 0;
  int y = std::atoi(t.lower.c_str());
  return y >= 1900 && y <= 2100 ? y : 0;
}

enum class Unit { kNone, kDay, kWeek, kWeekend, kMonth, kYear };

Unit UnitOf(std::string_view w) {
  if (w == "day" || w == "days") return Unit::kDay;
  if (w == "week" || w == "weeks") return Unit::kWeek;
  if (w == "weekend" || w == "weekends") return Unit::kWeekend;
  if (w == "month" || w == "months") return Unit::kMonth;
  if (w == "year" || w == "years") return Unit::kYear;
  return Unit::kNone;
}

int SeasonStartMonth(std::string_view w) {  // month (1..12) a season starts in; 0 if none
  if (w == "spring") return 3;
  if (w == "summer") return 6;
  if (w == "fall" || w == "autumn") return 9;
  if (w == "winter") return 12;
  return 0;
}

struct Range {
  int64_t from_day = 0;
  int64_t to_day = 0;  // exclusive
  bool absolute = false;
};

class Matcher {
 public:
  // An anchor outside the years 0000..9999 counts as unknown: ranges around
  // it would overflow TimeMs.
  Matcher(std::string_view text, TimeMs anchor_ms)
      : text_(text),
        toks_(Tokenize(text)),
        have_anchor_(anchor_ms != 0 && anchor_ms >= kMinIsoTimeMs && anchor_ms <= kMaxIsoTimeMs) {
    if (!have_anchor_) anchor_ms = 0;
    int64_t day = anchor_ms >= 0 ? anchor_ms / kMsPerDay : (anchor_ms - kMsPerDay + 1) / kMsPerDay;
    today_ = day;
    int64_t y;
    unsigned m, d;
    CivilFromDays(day, &y, &m, &d);
    anchor_month_ = y * 12 + (m - 1);
  }

  std::vector<TimeMention> Run() {
    std::vector<TimeMention> out;
    size_t i = 0;
    while (i < toks_.size()) {
      Range r;
      size_t first = i;
      size_t next = Match(i, &r, &first);
      if (next > i && r.to_day > r.from_day) {
        TimeMention m;
        m.begin = toks_[first].begin;
        m.end = toks_[next - 1].end;
        m.from_ms = r.from_day * kMsPerDay;
        m.to_ms = r.to_day * kMsPerDay;
        m.normalized = NormalizeRange(m.from_ms, m.to_ms);
        m.absolute = r.absolute;
        out.push_back(std::move(m));
        i = next;
      } else {
        ++i;
      }
    }
    return out;
  }

 private:
  const std::string& W(size_t i) const {
    static const std::string kEmpty;
    return i < toks_.size() ? toks_[i].lower : kEmpty;
  }
  bool Adjacent(size_t i) const { return i + 1 < toks_.size() && toks_[i].end == toks_[i + 1].begin; }

  // A future cue earlier in the same sentence.
  bool FutureCue(size_t i) const {
    for (size_t k = i; k-- > 0;) {
      const std::string& w = toks_[k].lower;
      if (w == "." || w == "!" || w == "?") return false;
      if (w == "will" || w == "gonna" || w == "upcoming" || w == "planning" || w == "plan" || w == "plans" ||
          w == "hope" || w == "hoping" || w == "shall" ||
          // Present progressive and wishes used for plans: "Lena is coming
          // to visit in May", "we want to hike there in June".
          w == "coming" || w == "visiting" || w == "moving" || w == "leaving" || w == "starting" ||
          w == "heading" || w == "flying" || w == "travelling" || w == "traveling" || w == "want" ||
          w == "wants" || w == "wanna" || w == "intend" || w == "expecting" || w == "forward") {
        return true;
      }
      if (w.size() > 3 && w.compare(w.size() - 3, 3, "'ll") == 0) return true;
      if (w == "going" && W(k + 1) == "to") return true;
      if (w == "wait" && k > 0 && (W(k - 1) == "can't" || W(k - 1) == "cannot")) return true;
    }
    return false;
  }

  // A past-tense verb anywhere in the sentence of token i ("I started on
  // April 1st", "On Monday I saw Leo"): an undated day or month is then the
  // latest one before the anchor.
  bool PastCue(size_t i) const {
    static constexpr std::string_view kPast[] = {
        "was",   "were",   "had",    "did",   "didn't", "wasn't", "weren't", "hadn't", "went",   "got",
        "came",  "saw",    "made",   "took",  "met",    "left",   "found",   "gave",   "told",   "said",
        "bought", "ran",   "won",    "lost",  "wrote",  "began",  "ate",     "drove",  "flew",   "felt",
        "heard", "kept",   "sat",    "spent", "thought", "brought", "sold",  "swam",   "sang",   "became",
        "taught", "caught", "paid",  "ago",   "yesterday", "last", "been"};
    auto in_sentence = [&](size_t k) {
      const std::string& w = toks_[k].lower;
      return w != "." && w != "!" && w != "?";
    };
    auto past = [&](size_t k) {
      const std::string& w = toks_[k].lower;
      for (std::string_view p : kPast) {
        if (w == p) return true;
      }
      // "started", "moved"; not the adjectives in "I'm excited", "is married".
      if (w.size() > 4 && w.compare(w.size() - 2, 2, "ed") == 0 && w != "need" && w != "feed" && w != "speed") {
        const std::string& before = k > 0 ? toks_[k - 1].lower : w;
        return before != "am" && before != "is" && before != "are" && before != "be" && before != "i'm" &&
               before != "so" && before != "very" && before != "really" && before != "get" && before != "'m";
      }
      return false;
    };
    for (size_t k = i; k-- > 0 && in_sentence(k);) {
      if (past(k)) return true;
    }
    for (size_t k = i + 1; k < toks_.size() && in_sentence(k); ++k) {
      if (past(k)) return true;
    }
    return false;
  }

  // True when token i is a month name: "May" must be capitalised or follow a
  // word that introduces a date, since "may" is mostly the verb.
  int MonthAt(size_t i) const {
    if (i >= toks_.size()) return 0;
    int m = MonthIndex(toks_[i].lower);
    if (m == 5 && !toks_[i].capitalised) {
      const std::string& p = i > 0 ? W(i - 1) : W(toks_.size());
      if (p != "in" && p != "of" && p != "since" && p != "during" && p != "early" && p != "late" && p != "mid" &&
          p != "until" && p != "last" && p != "next" && p != "this") {
        return 0;
      }
    }
    return m;
  }

  Range Day(int64_t d) const { return Range{d, d + 1, false}; }
  Range Month(int64_t mi) const { return Range{MonthStart(mi), MonthStart(mi + 1), false}; }
  Range YearRange(int64_t y) const { return Range{DaysFromCivil(y, 1, 1), DaysFromCivil(y + 1, 1, 1), false}; }
  int64_t WeekStart(int64_t day) const { return day - Weekday(day); }
  Range Week(int64_t day) const { return Range{WeekStart(day), WeekStart(day) + 7, false}; }
  Range Weekend(int64_t week_start) const { return Range{week_start + 5, week_start + 7, false}; }
  int64_t AnchorYear() const { return anchor_month_ >= 0 ? anchor_month_ / 12 : (anchor_month_ - 11) / 12; }

  // A season starting in month `start_month` of year `y` (winter: December
  // of y to February of y + 1).
  Range Season(int64_t y, int start_month) const {
    int64_t mi = y * 12 + (start_month - 1);
    return Range{MonthStart(mi), MonthStart(mi + 3), false};
  }

  // Month `m` (1..12) near the anchor: the latest starting on or before the
  // anchor month, or with `future` the earliest on or after it.
  int64_t NearMonth(int m, bool future) const {
    int64_t mi = AnchorYear() * 12 + (m - 1);
    if (future) {
      if (mi < anchor_month_) mi += 12;
    } else if (mi > anchor_month_) {
      mi -= 12;
    }
    return mi;
  }

  // Month `m` for token i: with a future cue the next one, with a past cue
  // the last one, otherwise whichever is nearer ("my exam is in May" said in
  // March: this May), the past one on a tie.
  int64_t MonthFor(int m, size_t i) const {
    if (FutureCue(i)) return NearMonth(m, true);
    const int64_t before = NearMonth(m, false);
    if (PastCue(i)) return before;
    const int64_t after = NearMonth(m, true);
    return after - anchor_month_ < anchor_month_ - before ? after : before;
  }

  // Tries every rule at token i. Returns the token after the match (i when
  // none); *first is the first token of the span.
  size_t Match(size_t i, Range* r, size_t* first) {
    *first = i;
    const std::string& w = W(i);
    // ISO dates: 2023-05-07, 2023-05.
    if (toks_[i].number && w.size() == 4 && Adjacent(i) && W(i + 1) == "-" && Adjacent(i + 1) &&
        toks_[i + 2].number && W(i + 2).size() == 2) {
      int y = std::atoi(w.c_str());
      int mo = std::atoi(W(i + 2).c_str());
      if (Adjacent(i + 2) && W(i + 3) == "-" && Adjacent(i + 3) && i + 4 < toks_.size() && toks_[i + 4].number &&
          W(i + 4).size() == 2) {
        int d = std::atoi(W(i + 4).c_str());
        if (ValidDay(y, mo, d)) {
          *r = Day(DaysFromCivil(y, mo, d));
          r->absolute = true;
          return i + 5;
        }
        return i;
      }
      if (mo >= 1 && mo <= 12) {
        *r = Month(int64_t{y} * 12 + mo - 1);
        r->absolute = true;
        return i + 3;
      }
      return i;
    }
    if (size_t n = MatchAnchoredToDate(i, r); n > i) return n;
    if (size_t n = MatchAbsolute(i, r, first); n > i) return n;
    if (!have_anchor_) return i;
    return MatchRelative(i, r, first);
  }

  // Expressions whose reference point is a date they name, not the anchor:
  // "as of August 2023" (from then on), "the first / last week of August
  // 2023" (its first / last seven days), "the Friday after 20 May 2023" (the
  // first Friday after that day; "before": the last one before it).
  size_t MatchAnchoredToDate(size_t i, Range* r) {
    const std::string& w = W(i);
    Range date;
    size_t date_first;
    if (w == "as" && W(i + 1) == "of") {
      size_t n = MatchAbsolute(i + 1, &date, &date_first);  // "as of 2023"
      if (n <= i + 1) n = MatchAbsolute(i + 2, &date, &date_first);
      if (n <= i + 2) return i;
      // From the start of what it names up to the anchor day, and at least
      // to the end of what it names (a date after the anchor stays whole).
      // Without an anchor the range is the date alone, as absolute as it.
      int64_t to = std::max(date.to_day, have_anchor_ ? today_ + 1 : date.to_day);
      *r = Range{date.from_day, to, !have_anchor_ && date.absolute};
      return n;
    }
    if ((w == "first" || w == "last") && W(i + 1) == "week" && W(i + 2) == "of") {
      size_t k = i + 3;
      int m = MonthAt(k);
      if (m == 0) return i;
      size_t after = W(k + 1) == "," ? k + 2 : k + 1;
      int64_t mi;
      size_t end;
      bool absolute = false;
      if (after < toks_.size() && Year(toks_[after])) {
        mi = int64_t{Year(toks_[after])} * 12 + m - 1;
        end = after + 1;
        absolute = true;
      } else {
        if (!have_anchor_) return i;
        mi = MonthFor(m, i);
        end = k + 1;
      }
      *r = w == "first" ? Range{MonthStart(mi), MonthStart(mi) + 7, absolute}
                        : Range{MonthStart(mi + 1) - 7, MonthStart(mi + 1), absolute};
      return end;
    }
    if (int wd = WeekdayIndex(w); wd >= 0 && (W(i + 1) == "after" || W(i + 1) == "before")) {
      size_t n = MatchAbsolute(i + 2, &date, &date_first);
      if (n <= i + 2) return i;
      if (W(i + 1) == "after") {
        const int64_t last = date.to_day - 1;
        *r = Day(last + ((wd - Weekday(last) + 6) % 7 + 1));
      } else {
        const int64_t first_day = date.from_day;
        *r = Day(first_day - ((Weekday(first_day) - wd + 6) % 7 + 1));
      }
      r->absolute = date.absolute;
      return n;
    }
    return i;
  }

  // "8 May 2023", "May 8th, 2023", "May 2023", "in 2022", "since 2019",
  // "summer of 2021", and the same without a year (resolved near the anchor).
  size_t MatchAbsolute(size_t i, Range* r, size_t* first) {
    const std::string& w = W(i);
    auto optional_comma = [&](size_t k) { return W(k) == "," ? k + 1 : k; };
    // <day>[th] [of] <Month>[,] [<year>]
    if (int d = DayOfMonth(w); d > 0) {
      size_t k = i + 1;
      if (W(k) == "of") ++k;
      if (int m = MonthAt(k); m > 0) {
        return DayMonthMaybeYear(i, k, d, m, r);
      }
      return i;
    }
    if (int m = MonthAt(i); m > 0) {
      // <Month> <day>[th][,] [<year>]
      size_t k = i + 1;
      if (int d = DayOfMonth(W(k)); d > 0 && !(k < toks_.size() && Year(toks_[k]))) {
        return DayMonthMaybeYear(i, k, d, m, r);
      }
      // <Month>[,] [of] <year>
      size_t after = optional_comma(k);
      if (W(after) == "of") ++after;
      if (after < toks_.size() && Year(toks_[after])) {
        *r = Month(int64_t{Year(toks_[after])} * 12 + m - 1);
        r->absolute = true;
        return after + 1;
      }
      return i;
    }
    // <season> [of] <year>
    if (int s = SeasonStartMonth(w); s > 0) {
      size_t k = i + 1;
      if (W(k) == "of") ++k;
      if (k < toks_.size() && Year(toks_[k])) {
        int y = Year(toks_[k]);
        // "winter 2023" is the winter that starts in December 2022... or
        // 2023; people mean the one whose January lies in that year.
        *r = Season(s == 12 ? y - 1 : y, s);
        r->absolute = true;
        return k + 1;
      }
      return i;
    }
    // in/during/of/by/until <year>; since <year> / since <Month> [year]
    if (w == "in" || w == "during" || w == "of" || w == "by" || w == "until" || w == "till" || w == "year" ||
        w == "since") {
      size_t k = i + 1;
      if (k < toks_.size() && Year(toks_[k]) && !(Adjacent(k) && W(k + 1) == "-")) {
        int y = Year(toks_[k]);
        if (w == "since") {
          if (!have_anchor_) return i;
          *r = Range{DaysFromCivil(y, 1, 1), today_ + 1, true};
          if (r->to_day <= r->from_day) return i;
          return k + 1;
        }
        *r = YearRange(y);
        r->absolute = true;
        *first = k;  // the preposition is not part of the expression
        return k + 1;
      }
    }
    return i;
  }

  // Day d of month m whose last token is at k: with a year after it (and an
  // optional comma) an absolute date, else resolved near the anchor. Returns
  // the token after the expression, or i when there is none.
  size_t DayMonthMaybeYear(size_t i, size_t k, int d, int m, Range* r) {
    size_t after = W(k + 1) == "," ? k + 2 : k + 1;
    if (after < toks_.size() && Year(toks_[after])) {
      int y = Year(toks_[after]);
      if (!ValidDay(y, m, d)) return i;
      *r = Day(DaysFromCivil(y, m, d));
      r->absolute = true;
      return after + 1;
    }
    if (!have_anchor_) return i;
    return ResolveDayMonth(i, d, m, r) ? k + 1 : i;
  }

  // A day and month without a year: with a future cue the next one on or
  // after the anchor day, with a past cue the last one on or before it,
  // otherwise the nearer of the two ("I start on April 1st" said in March:
  // this April), the past one on a tie.
  bool ResolveDayMonth(size_t i, int d, int m, Range* r) {
    const bool future = FutureCue(i);
    const bool past = !future && PastCue(i);
    int64_t y = AnchorYear();
    if (!ValidDay(y, m, d) && !(m == 2 && d == 29)) return false;
    auto day_in = [&](int64_t year) -> std::optional<int64_t> {
      if (!ValidDay(year, m, d)) return std::nullopt;
      return DaysFromCivil(year, m, d);
    };
    // The nearest candidate on the given side of the anchor day.
    auto nearest = [&](bool after) -> std::optional<int64_t> {
      for (int step = 0; step < 8; ++step) {
        auto day = day_in(after ? y + step : y - step);
        if (day && (after ? *day >= today_ : *day <= today_)) return day;
      }
      return std::nullopt;
    };
    std::optional<int64_t> before = future ? std::nullopt : nearest(false);
    std::optional<int64_t> after = past ? std::nullopt : nearest(true);
    std::optional<int64_t> day = before;
    if (after && (!before || *after - today_ < today_ - *before)) day = after;
    if (!day) return false;
    *r = Day(*day);
    return true;
  }

  size_t MatchRelative(size_t i, Range* r, size_t* first) {
    const std::string& w = W(i);
    const int64_t t = today_;
    if (w == "yesterday") return *r = Day(t - 1), i + 1;
    if (w == "today" || w == "tonight") return *r = Day(t), i + 1;
    if (w == "tomorrow") return *r = Day(t + 1), i + 1;
    if (w == "the" && W(i + 1) == "day" && W(i + 3) == "yesterday" && W(i + 2) == "before") return *r = Day(t - 2), i + 4;
    if (w == "the" && W(i + 1) == "day" && W(i + 3) == "tomorrow" && W(i + 2) == "after") return *r = Day(t + 2), i + 4;
    if (w == "last" && (W(i + 1) == "night" || W(i + 1) == "evening")) return *r = Day(t - 1), i + 2;
    if (w == "this" && (W(i + 1) == "morning" || W(i + 1) == "afternoon" || W(i + 1) == "evening")) {
      return *r = Day(t), i + 2;
    }
    // "in the last year", "over the past month", "the last week": the
    // period up to the anchor day (a year back: the same day a year
    // earlier), not the previous calendar year, month or week.
    if ((w == "last" || w == "past") && i > 0 && W(i - 1) == "the") {
      const Unit u = UnitOf(W(i + 1));
      const bool singular = W(i + 1) == "year" || W(i + 1) == "month" || W(i + 1) == "week";
      if (singular && W(i + 2) != "of") {
        int64_t from = t - 7;
        if (u == Unit::kYear || u == Unit::kMonth) {
          int64_t y;
          unsigned m, d;
          CivilFromDays(t, &y, &m, &d);
          int64_t mi = y * 12 + (m - 1) - (u == Unit::kYear ? 12 : 1);
          int64_t month_start = MonthStart(mi);
          int64_t month_len = MonthStart(mi + 1) - month_start;
          from = month_start + std::min<int64_t>(d, month_len) - 1;
        }
        return *r = Range{from, t + 1, false}, i + 2;
      }
    }
    // last/this/next/past + unit, weekday, month or season; "this past" = last.
    if (w == "last" || w == "this" || w == "next" || w == "past") {
      size_t k = i + 1;
      std::string dir = w;
      if (w == "this" && W(k) == "past") {
        dir = "last";
        ++k;
      }
      if (dir == "past") dir = "last";
      const std::string& u = W(k);
      int sign = dir == "last" ? -1 : dir == "next" ? 1 : 0;
      switch (UnitOf(u)) {
        case Unit::kDay:
          break;
        case Unit::kWeek:
          if (u == "week") return *r = Week(t + 7 * sign), k + 1;
          break;
        case Unit::kWeekend:
          if (u == "weekend") {
            // "last weekend": the weekend of last week (also when said on a
            // Saturday or Sunday); "this weekend": the one of this week.
            const int64_t ws = WeekStart(t) + 7 * sign;
            return *r = Weekend(ws), k + 1;
          }
          break;
        case Unit::kMonth:
          if (u == "month") return *r = Month(anchor_month_ + sign), k + 1;
          break;
        case Unit::kYear:
          if (u == "year") return *r = YearRange(AnchorYear() + sign), k + 1;
          break;
        case Unit::kNone:
          break;
      }
      if (int wd = WeekdayIndex(u); wd >= 0) {
        int diff = wd - Weekday(t);
        if (sign < 0) return *r = Day(t - ((Weekday(t) - wd + 6) % 7 + 1)), k + 1;
        if (sign > 0) return *r = Day(t + ((wd - Weekday(t) + 6) % 7 + 1)), k + 1;
        return *r = Day(t + diff), k + 1;
      }
      if (int m = MonthIndex(u); m > 0) {
        int64_t mi = AnchorYear() * 12 + (m - 1);
        if (sign < 0 && mi >= anchor_month_) mi -= 12;
        if (sign > 0 && mi <= anchor_month_) mi += 12;
        return *r = Month(mi), k + 1;
      }
      if (int s = SeasonStartMonth(u); s > 0) {
        *r = SeasonNear(s, sign);
        return k + 1;
      }
      return i;
    }
    // "N units ago", "a few/couple of units ago", "in N units".
    if (size_t n = MatchAgo(i, r); n > i) return n;
    // Weekdays: "on Saturday", "Saturday"; past unless a future cue.
    // "every Saturday", "each Monday": a habit, not a day.
    if (int wd = WeekdayIndex(w); wd >= 0) {
      if (i > 0 && (W(i - 1) == "every" || W(i - 1) == "each")) return i;
      // A plan in the present tense ("I start on Monday") is the coming one.
      if (FutureCue(i) || !PastCue(i)) return *r = Day(t + ((wd - Weekday(t) + 6) % 7 + 1)), i + 1;
      return *r = Day(t - ((Weekday(t) - wd + 6) % 7 + 1)), i + 1;
    }
    // "in May", "since May", "early May": a month without a year.
    if (w == "in" || w == "during" || w == "since" || w == "early" || w == "late" || w == "mid" || w == "until") {
      size_t k = i + 1;
      if (W(k) == "-" ) ++k;  // "mid-May"
      if (int m = MonthAt(k); m > 0) {
        Range absolute;
        size_t absolute_first;
        if (MatchAbsolute(k, &absolute, &absolute_first) > k) return i;  // "in May 2022": the date itself
        int64_t mi = w == "since" ? NearMonth(m, false) : MonthFor(m, i);
        if (w == "since") {
          *r = Range{MonthStart(mi), t + 1, false};
          return k + 1;
        }
        *r = Month(mi);
        *first = k;
        return k + 1;
      }
    }
    (void)first;
    return i;
  }

  Range SeasonNear(int s, int sign) const {
    // Candidate seasons by start year; pick by the rule in the header.
    int64_t y = AnchorYear();
    int64_t month_now = anchor_month_;
    auto start_of = [&](int64_t year) { return year * 12 + (s - 1); };
    if (sign < 0) {
      // Latest season whose last month is before the anchor month.
      int64_t year = y;
      while (start_of(year) + 2 >= month_now) --year;
      return Season(year, s);
    }
    if (sign > 0) {
      int64_t year = y - 1;
      while (start_of(year) <= month_now) ++year;
      return Season(year, s);
    }
    // "this": the one holding the anchor, else the nearest one this year.
    if (s == 12 && month_now - y * 12 <= 1) return Season(y - 1, s);  // Jan/Feb: the winter that began last December
    return Season(y, s);
  }

  size_t MatchAgo(size_t i, Range* r) {
    const int64_t t = today_;
    size_t k = i;
    int lo = 0, hi = 0;  // units back
    bool in_future = false;
    if (W(k) == "in" && !toks_[k].capitalised) {
      in_future = true;
      ++k;
    }
    if (W(k) == "a" && W(k + 1) == "few") {
      lo = 2, hi = 4, k += 2;
    } else if (W(k) == "a" && W(k + 1) == "couple") {
      lo = hi = 2, k += 2;
      if (W(k) == "of") ++k;
    } else if (W(k) == "few" || W(k) == "several") {
      lo = 2, hi = 4, ++k;
    } else if (int n = SmallNumber(W(k)); n > 0 && n <= 400) {
      lo = hi = n;
      ++k;
    } else {
      return i;
    }
    Unit unit = UnitOf(W(k));
    if (unit == Unit::kNone) return i;
    bool ago = W(k + 1) == "ago";
    if (in_future == ago) return i;  // "in 3 days" or "3 days ago", not both or neither
    size_t end = ago ? k + 2 : k + 1;
    int sign = ago ? -1 : 1;
    // from: the farther unit (hi back), to: the nearer unit (lo back).
    auto unit_range = [&](int n) -> Range {
      switch (unit) {
        case Unit::kDay: return Day(t + sign * n);
        case Unit::kWeek: return Week(t + sign * 7 * n);
        case Unit::kWeekend: return Weekend(WeekStart(t) + sign * 7 * n);
        case Unit::kMonth: return Month(anchor_month_ + sign * n);
        case Unit::kYear: return YearRange(AnchorYear() + sign * n);
        case Unit::kNone: break;
      }
      return Range{};
    };
    Range a = unit_range(hi), b = unit_range(lo);
    *r = Range{std::min(a.from_day, b.from_day), std::max(a.to_day, b.to_day), false};
    return end;
  }

  std::string_view text_;
  std::vector<Tok> toks_;
  bool have_anchor_;
  int64_t today_ = 0;
  int64_t anchor_month_ = 0;
};

}  // namespace

std::string NormalizeRange(TimeMs from_ms, TimeMs to_ms) {
  int64_t from = from_ms / kMsPerDay, to = to_ms / kMsPerDay;
  int64_t y1, y2;
  unsigned m1, d1, m2, d2;
  CivilFromDays(from, &y1, &m1, &d1);
  CivilFromDays(to, &y2, &m2, &d2);
  char buf[64];
  if (to - from == 1) {
    std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u", static_cast<long long>(y1), m1, d1);
  } else if (d1 == 1 && d2 == 1 && m1 == 1 && m2 == 1 && y2 == y1 + 1) {
    std::snprintf(buf, sizeof buf, "%04lld", static_cast<long long>(y1));
  } else if (d1 == 1 && d2 == 1 && (y2 * 12 + m2) == (y1 * 12 + m1) + 1) {
    std::snprintf(buf, sizeof buf, "%04lld-%02u", static_cast<long long>(y1), m1);
  } else {
    int64_t y3;
    unsigned m3, d3;
    CivilFromDays(to - 1, &y3, &m3, &d3);
    std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u..%04lld-%02u-%02u", static_cast<long long>(y1), m1, d1,
                  static_cast<long long>(y3), m3, d3);
  }
  return buf;
}

std::vector<TimeMention> FindTimeExpressions(std::string_view text, TimeMs anchor_ms) {
  return Matcher(text, anchor_ms).Run();
}

}  // namespace engram

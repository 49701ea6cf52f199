// Time parsing and formatting. Properties:
// - any text either parses or gives an error, never a crash or UB;
// - a time the parser accepts (ISO or LoCoMo) formats to text that parses
//   again to the same value, and its date formats to that day's midnight;
// - FormatIsoTime is defined for every TimeMs, and round-trips within
//   [kMinIsoTimeMs, kMaxIsoTimeMs].
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "common/time_format.h"
#include "fuzz_check.h"

namespace {

void CheckRoundTrip(engram::TimeMs t, const std::string& from) {
  FUZZ_CHECK(t >= engram::kMinIsoTimeMs && t <= engram::kMaxIsoTimeMs, from);
  const std::string text = engram::FormatIsoTime(t);
  auto again = engram::ParseIsoTime(text);
  FUZZ_CHECK(again.ok(), from + " -> " + text + ": " + again.status().ToString());
  FUZZ_CHECK(*again == t, from + " -> " + text + " -> " + std::to_string(*again));

  const std::string date = engram::FormatIsoDate(t);
  auto day = engram::ParseIsoTime(date);
  FUZZ_CHECK(day.ok(), from + " -> " + date + ": " + day.status().ToString());
  FUZZ_CHECK(*day <= t && t - *day < engram::kMsPerDay, from + " -> " + date);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  if (auto t = engram::ParseIsoTime(text); t.ok()) CheckRoundTrip(*t, "ISO '" + text + "'");
  if (auto t = engram::ParseLocomoTime(text); t.ok()) CheckRoundTrip(*t, "LoCoMo '" + text + "'");

  if (size >= sizeof(int64_t)) {
    int64_t raw;
    std::memcpy(&raw, data, sizeof raw);
    const std::string formatted = engram::FormatIsoTime(raw);
    FUZZ_CHECK(!formatted.empty(), std::to_string(raw));
    if (raw >= engram::kMinIsoTimeMs && raw <= engram::kMaxIsoTimeMs) CheckRoundTrip(raw, std::to_string(raw));
  }
  return 0;
}

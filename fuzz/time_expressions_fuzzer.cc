// Time expressions in free text, against any anchor time. Properties: no
// crash or UB; mentions are in text order, non-overlapping, inside the text,
// non-empty ranges whose normalized form matches NormalizeRange; with no
// anchor only absolute expressions are found.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "common/time_format.h"
#include "extract/time_expressions.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider input(data, size);
  // Mostly anchors a turn can carry (years 0000..9999, or 0 = unknown), some
  // arbitrary: a turn's time comes from the caller.
  engram::TimeMs anchor = 0;
  switch (input.ConsumeIntegralInRange(0, 3)) {
    case 0: break;
    case 1: anchor = input.ConsumeIntegral<int64_t>(); break;
    default: anchor = input.ConsumeIntegralInRange(engram::kMinIsoTimeMs, engram::kMaxIsoTimeMs); break;
  }
  const std::string text = input.ConsumeRemainingBytesAsString();

  size_t previous_end = 0;
  for (const auto& m : engram::FindTimeExpressions(text, anchor)) {
    const std::string where = "'" + text + "' @" + std::to_string(anchor) + " [" + std::to_string(m.begin) + "," +
                              std::to_string(m.end) + ") " + m.normalized;
    FUZZ_CHECK(m.begin >= previous_end && m.begin < m.end && m.end <= text.size(), where);
    FUZZ_CHECK(m.from_ms < m.to_ms, where);
    FUZZ_CHECK(m.from_ms % engram::kMsPerDay == 0 && m.to_ms % engram::kMsPerDay == 0, where);
    FUZZ_CHECK(m.normalized == engram::NormalizeRange(m.from_ms, m.to_ms), where);
    if (anchor == 0) FUZZ_CHECK(m.absolute, where);
    previous_end = m.end;
  }
  return 0;
}

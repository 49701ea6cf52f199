// The JSONL turn line parser: any bytes either parse or give an error, never
// a crash; a parsed turn formats to a line that parses to the same turn.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "store/conversation_io.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  auto parsed = engram::ParseTurnLine(line);
  if (!parsed.ok()) {
    FUZZ_CHECK(!parsed.status().message().empty(), "an error says what is wrong");
    return 0;
  }
  FUZZ_CHECK(!parsed->tenant.empty() && !parsed->turn.speaker.empty(), "required fields are present");
  const std::string formatted = engram::FormatTurnLine(parsed->tenant, parsed->turn);
  auto again = engram::ParseTurnLine(formatted);
  FUZZ_CHECK(again.ok(), formatted + " -> " + again.status().ToString());
  const engram::Turn& a = parsed->turn;
  const engram::Turn& b = again->turn;
  FUZZ_CHECK(again->tenant == parsed->tenant, formatted);
  FUZZ_CHECK(a.session == b.session && a.speaker == b.speaker && a.text == b.text, formatted);
  FUZZ_CHECK(a.time_ms == b.time_ms && a.source_id == b.source_id, formatted);
  FUZZ_CHECK(a.metadata == b.metadata, formatted);
  return 0;
}

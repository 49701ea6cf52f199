// The LoCoMo loader and its evidence normaliser: any bytes either load or
// give an error, never a crash or an escaping exception; what loads is
// consistent (evidence names turns of its conversation, once each).
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "store/conversation_io.h"

namespace {

// "D<s>:<t>" with <s> and <t> decimal numbers without leading zeros.
bool IsNormalisedEvidence(const std::string& id) {
  auto number_ok = [](std::string_view digits) {
    if (digits.empty() || (digits.size() > 1 && digits[0] == '0')) return false;
    for (char c : digits) {
      if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    }
    return true;
  };
  const size_t colon = id.find(':');
  return id.size() > 1 && id[0] == 'D' && colon != std::string::npos &&
         number_ok(std::string_view(id).substr(1, colon - 1)) && number_ok(std::string_view(id).substr(colon + 1));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  for (const std::string& id : engram::NormaliseLocomoEvidence(text)) {
    FUZZ_CHECK(IsNormalisedEvidence(id), id);
    auto again = engram::NormaliseLocomoEvidence(id);
    FUZZ_CHECK(again.size() == 1 && again[0] == id, "normalising is idempotent: " + id);
  }

  auto conversations = engram::ParseLocomo(text, "fuzz.json");
  if (!conversations.ok()) {
    FUZZ_CHECK(conversations.status().message().find("fuzz.json") != std::string::npos,
               "an error names the file: " + conversations.status().ToString());
    return 0;
  }
  for (const auto& conv : *conversations) {
    std::set<std::string> ids;
    for (const auto& turn : conv.turns) ids.insert(turn.source_id);
    for (const auto& question : conv.questions) {
      std::set<std::string> seen;
      for (const std::string& id : question.evidence) {
        FUZZ_CHECK(ids.count(id) == 1, "evidence names a turn: " + id);
        FUZZ_CHECK(seen.insert(id).second, "evidence is listed once: " + id);
      }
    }
  }
  return 0;
}

// The derived record codecs (unit, fact, entity, relation). Properties:
// decoding any bytes gives a record or Corruption, never a crash, UB or an
// escaping exception; a decoded record re-encodes to one that decodes the
// same; a record made of valid UTF-8 strings round-trips exactly.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/utf8.h"
#include "fuzz_check.h"
#include "tiers/record_codec.h"

namespace {

using namespace engram;

bool Same(const EventUnit& a, const EventUnit& b) {
  return a.text == b.text && a.subject == b.subject && a.time_ms == b.time_ms &&
         a.event_from_ms == b.event_from_ms && a.event_to_ms == b.event_to_ms && a.source_ids == b.source_ids;
}
bool Same(const PersonaFact& a, const PersonaFact& b) {
  return a.subject == b.subject && a.attribute == b.attribute && a.value == b.value &&
         a.valid_from_ms == b.valid_from_ms && a.valid_to_ms == b.valid_to_ms && a.confidence == b.confidence &&
         a.source_ids == b.source_ids && a.negated == b.negated;
}
bool Same(const Entity& a, const Entity& b) {
  return a.name == b.name && a.type == b.type && a.aliases == b.aliases && a.source_ids == b.source_ids;
}
bool Same(const Relation& a, const Relation& b) {
  return a.subject == b.subject && a.relation == b.relation && a.object == b.object && a.time_ms == b.time_ms &&
         a.source_ids == b.source_ids;
}

std::string Encode(const EventUnit& r) { return EncodeUnit(r); }
std::string Encode(const PersonaFact& r) { return EncodeFact(r); }
std::string Encode(const Entity& r) { return EncodeEntity(r); }
std::string Encode(const Relation& r) { return EncodeRelation(r); }
Status Decode(std::string_view b, EventUnit* r) { return DecodeUnit(b, r); }
Status Decode(std::string_view b, PersonaFact* r) { return DecodeFact(b, r); }
Status Decode(std::string_view b, Entity* r) { return DecodeEntity(b, r); }
Status Decode(std::string_view b, Relation* r) { return DecodeRelation(b, r); }

// Decodes arbitrary bytes; what decodes must survive a re-encode.
template <typename Record>
void CheckDecode(std::string_view bytes) {
  Record decoded;
  Status s = Decode(bytes, &decoded);
  if (!s.ok()) {
    FUZZ_CHECK(s.code() == Status::Code::kCorruption, s.ToString());
    return;
  }
  Record again;
  const std::string encoded = Encode(decoded);
  FUZZ_CHECK(Decode(encoded, &again).ok(), encoded);
  FUZZ_CHECK(Same(decoded, again), encoded);
}

template <typename Record>
void CheckRoundTrip(const Record& record) {
  Record back;
  const std::string encoded = Encode(record);
  Status s = Decode(encoded, &back);
  FUZZ_CHECK(s.ok(), encoded + ": " + s.ToString());
  FUZZ_CHECK(Same(record, back), encoded);
}

// Records hold text from turns, which is valid UTF-8.
std::string Utf8(FuzzedDataProvider& input) {
  std::string s = input.ConsumeRandomLengthString(48);
  if (ValidateUtf8(s).ok()) return s;
  for (char& c : s) c = static_cast<char>(c & 0x7F);
  return s;
}
std::vector<std::string> Utf8List(FuzzedDataProvider& input) {
  std::vector<std::string> out(input.ConsumeIntegralInRange(0, 3));
  for (auto& s : out) s = Utf8(input);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider input(data, size);
  switch (input.ConsumeIntegralInRange(0, 7)) {
    case 0: {
      EventUnit u;
      u.text = Utf8(input);
      u.subject = Utf8(input);
      u.time_ms = input.ConsumeIntegral<int64_t>();
      u.event_from_ms = input.ConsumeIntegral<int64_t>();
      u.event_to_ms = input.ConsumeIntegral<int64_t>();
      u.source_ids = Utf8List(input);
      CheckRoundTrip(u);
      break;
    }
    case 1: {
      PersonaFact f;
      f.subject = Utf8(input);
      f.attribute = Utf8(input);
      f.value = Utf8(input);
      f.valid_from_ms = input.ConsumeIntegral<int64_t>();
      f.valid_to_ms = input.ConsumeIntegral<int64_t>();
      f.confidence = input.ConsumeFloatingPoint<float>();  // finite: JSON has no NaN or infinity
      f.source_ids = Utf8List(input);
      f.negated = input.ConsumeBool();
      CheckRoundTrip(f);
      break;
    }
    case 2: {
      Entity e;
      e.name = Utf8(input);
      e.type = static_cast<EntityType>(input.ConsumeIntegralInRange<int>(0, static_cast<int>(EntityType::kOther)));
      e.aliases = Utf8List(input);
      e.source_ids = Utf8List(input);
      CheckRoundTrip(e);
      break;
    }
    case 3: {
      Relation r;
      r.subject = Utf8(input);
      r.relation = Utf8(input);
      r.object = Utf8(input);
      r.time_ms = input.ConsumeIntegral<int64_t>();
      r.source_ids = Utf8List(input);
      CheckRoundTrip(r);
      break;
    }
    case 4: CheckDecode<EventUnit>(input.ConsumeRemainingBytesAsString()); break;
    case 5: CheckDecode<PersonaFact>(input.ConsumeRemainingBytesAsString()); break;
    case 6: CheckDecode<Entity>(input.ConsumeRemainingBytesAsString()); break;
    default: CheckDecode<Relation>(input.ConsumeRemainingBytesAsString()); break;
  }
  return 0;
}

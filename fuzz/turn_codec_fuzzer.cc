// The event log's turn record and key codecs. Properties: decoding any bytes
// gives a turn or Corruption, never a crash; encode -> decode is the
// identity; a turn key gives back its tenant and sequence number.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "log/key_codec.h"

namespace {

bool Same(const engram::Turn& a, const engram::Turn& b) {
  return a.session == b.session && a.speaker == b.speaker && a.text == b.text && a.time_ms == b.time_ms &&
         a.source_id == b.source_id && a.metadata == b.metadata;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace engram;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);

  // Arbitrary bytes as a stored record and as a key.
  Turn decoded;
  if (log::DecodeTurn(bytes, &decoded).ok()) {
    Turn again;
    FUZZ_CHECK(log::DecodeTurn(log::EncodeTurn(decoded), &again).ok(), "re-encoded record decodes");
    FUZZ_CHECK(Same(decoded, again), "re-encoded record decodes to the same turn");
  }
  std::string_view key = bytes, tenant;
  if (log::GetTenant(&key, &tenant)) FUZZ_CHECK(tenant.size() + key.size() + 2 == bytes.size(), "prefix is consumed");

  // A turn made of the input: encode -> decode is the identity.
  FuzzedDataProvider input(data, size);
  Turn turn;
  turn.time_ms = input.ConsumeIntegral<int64_t>();
  const uint64_t seq = input.ConsumeIntegral<uint64_t>();
  const std::string tenant_name = input.ConsumeRandomLengthString(64);
  turn.session = input.ConsumeRandomLengthString(64);
  turn.speaker = input.ConsumeRandomLengthString(64);
  turn.source_id = input.ConsumeRandomLengthString(64);
  for (int n = input.ConsumeIntegralInRange(0, 3); n > 0; --n) {
    std::string key = input.ConsumeRandomLengthString(16);
    turn.metadata[key] = input.ConsumeRandomLengthString(32);
  }
  turn.text = input.ConsumeRemainingBytesAsString();
  Turn back;
  FUZZ_CHECK(log::DecodeTurn(log::EncodeTurn(turn), &back).ok(), "an encoded turn decodes");
  FUZZ_CHECK(Same(turn, back), "an encoded turn decodes to itself");

  const std::string turn_key = log::TurnKey(tenant_name, seq);
  std::string_view rest = turn_key, got_tenant;
  FUZZ_CHECK(log::GetTenant(&rest, &got_tenant) && got_tenant == tenant_name, "the key names its tenant");
  FUZZ_CHECK(rest.size() == 8 && log::DecodeFixed64BE(rest.data()) == seq, "the key names its sequence number");
  FUZZ_CHECK(turn_key.compare(0, turn_key.size() - 8, log::TenantPrefix(tenant_name)) == 0 &&
                 turn_key < log::TenantPrefixEnd(tenant_name),
             "the key sorts inside its tenant's range");
  return 0;
}

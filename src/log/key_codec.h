// Key and value encodings of the event log (docs/file-format.md).
//
// Every per-tenant key starts with the tenant prefix: a big-endian u16 length
// followed by the tenant's bytes. A fixed-length prefix makes "all keys of
// tenant T" one contiguous, unambiguous range ("ab" never prefixes "abc").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "engram/status.h"
#include "engram/types.h"

namespace engram::log {

void PutFixed64BE(std::string* out, uint64_t v);
void PutFixed32BE(std::string* out, uint32_t v);
uint64_t DecodeFixed64BE(const char* p);
uint32_t DecodeFixed32BE(const char* p);
void PutVarint64(std::string* out, uint64_t v);
bool GetVarint64(std::string_view* in, uint64_t* v);
void PutLengthPrefixed(std::string* out, std::string_view s);
bool GetLengthPrefixed(std::string_view* in, std::string_view* s);

// u16 BE length + tenant bytes.
std::string TenantPrefix(std::string_view tenant);
// The first key after every key that starts with TenantPrefix(tenant).
std::string TenantPrefixEnd(std::string_view tenant);
// Reads the tenant out of a key that starts with a tenant prefix; advances.
bool GetTenant(std::string_view* key, std::string_view* tenant);

// turns CF: prefix + seq (u64 BE).
std::string TurnKey(std::string_view tenant, uint64_t seq);
// source_ids CF: prefix + source id.
std::string SourceIdKey(std::string_view tenant, std::string_view source_id);

// Turn record value: version byte (1, or 2 when the turn has metadata), time
// (u64 BE, two's complement), then length-prefixed session, speaker, source
// id, text; version 2 then holds a varint entry count and length-prefixed
// key, value pairs in key order.
std::string EncodeTurn(const Turn& turn);
Status DecodeTurn(std::string_view value, Turn* turn);

}  // namespace engram::log

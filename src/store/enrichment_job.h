// Background enrichment jobs in the log's "queue" column family:
// key = turn seq (u64 BE), value = tenant (length-prefixed) + attempts (varint).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace engram {

std::string EnrichmentJobKey(uint64_t seq);
std::string EncodeEnrichmentJob(std::string_view tenant, int attempts);
bool DecodeEnrichmentJob(std::string_view value, std::string* tenant, int* attempts);

}  // namespace engram

#include "store/enrichment_job.h"

#include "log/key_codec.h"

namespace engram {

std::string EnrichmentJobKey(uint64_t seq) {
  std::string key;
  log::PutFixed64BE(&key, seq);
  return key;
}

std::string EncodeEnrichmentJob(std::string_view tenant, int attempts) {
  std::string value;
  log::PutLengthPrefixed(&value, tenant);
  log::PutVarint64(&value, static_cast<uint64_t>(attempts));
  return value;
}

bool DecodeEnrichmentJob(std::string_view value, std::string* tenant, int* attempts) {
  std::string_view t;
  uint64_t a = 0;
  if (!log::GetLengthPrefixed(&value, &t) || !log::GetVarint64(&value, &a)) return false;
  tenant->assign(t);
  *attempts = static_cast<int>(a);
  return true;
}

}  // namespace engram

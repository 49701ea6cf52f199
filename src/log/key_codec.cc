#include "log/key_codec.h"

namespace engram::log {

void PutFixed64BE(std::string* out, uint64_t v) {
  for (int i = 7; i >= 0; --i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

void PutFixed32BE(std::string* out, uint32_t v) {
  for (int i = 3; i >= 0; --i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

uint64_t DecodeFixed64BE(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

uint32_t DecodeFixed32BE(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

void PutVarint64(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

bool GetVarint64(std::string_view* in, uint64_t* v) {
  uint64_t result = 0;
  for (int shift = 0; shift <= 63 && !in->empty(); shift += 7) {
    auto byte = static_cast<unsigned char>(in->front());
    in->remove_prefix(1);
    result |= static_cast<uint64_t>(byte & 0x7F) << shift;
    if ((byte & 0x80) == 0) {
      *v = result;
      return true;
    }
  }
  return false;
}

void PutLengthPrefixed(std::string* out, std::string_view s) {
  PutVarint64(out, s.size());
  out->append(s);
}

bool GetLengthPrefixed(std::string_view* in, std::string_view* s) {
  uint64_t len;
  if (!GetVarint64(in, &len) || len > in->size()) return false;
  *s = in->substr(0, len);
  in->remove_prefix(len);
  return true;
}

std::string TenantPrefix(std::string_view tenant) {
  std::string out;
  out.push_back(static_cast<char>((tenant.size() >> 8) & 0xFF));
  out.push_back(static_cast<char>(tenant.size() & 0xFF));
  out.append(tenant);
  return out;
}

std::string TenantPrefixEnd(std::string_view tenant) {
  // Keys of the tenant are prefix + suffix; appending 0xFF bytes longer than
  // any suffix we write is not enough in general, so bump the prefix instead:
  // the last byte that is not 0xFF is incremented and the rest dropped.
  std::string end = TenantPrefix(tenant);
  while (!end.empty()) {
    auto last = static_cast<unsigned char>(end.back());
    if (last != 0xFF) {
      end.back() = static_cast<char>(last + 1);
      return end;
    }
    end.pop_back();
  }
  return std::string(1, '\xFF');  // unreachable for a non-empty prefix
}

bool GetTenant(std::string_view* key, std::string_view* tenant) {
  if (key->size() < 2) return false;
  size_t len = (static_cast<unsigned char>((*key)[0]) << 8) | static_cast<unsigned char>((*key)[1]);
  if (key->size() < 2 + len) return false;
  *tenant = key->substr(2, len);
  key->remove_prefix(2 + len);
  return true;
}

std::string TurnKey(std::string_view tenant, uint64_t seq) {
  std::string key = TenantPrefix(tenant);
  PutFixed64BE(&key, seq);
  return key;
}

std::string SourceIdKey(std::string_view tenant, std::string_view source_id) {
  std::string key = TenantPrefix(tenant);
  key.append(source_id);
  return key;
}

std::string EncodeTurn(const Turn& turn) {
  std::string out;
  out.reserve(turn.text.size() + turn.speaker.size() + turn.session.size() + turn.source_id.size() + 16);
  // Version 1 when there is no metadata, so stores without metadata keep
  // the layout every engram reads.
  out.push_back(turn.metadata.empty() ? 1 : 2);
  PutFixed64BE(&out, static_cast<uint64_t>(turn.time_ms));
  PutLengthPrefixed(&out, turn.session);
  PutLengthPrefixed(&out, turn.speaker);
  PutLengthPrefixed(&out, turn.source_id);
  PutLengthPrefixed(&out, turn.text);
  if (!turn.metadata.empty()) {
    PutVarint64(&out, turn.metadata.size());
    for (const auto& [key, value] : turn.metadata) {
      PutLengthPrefixed(&out, key);
      PutLengthPrefixed(&out, value);
    }
  }
  return out;
}

Status DecodeTurn(std::string_view value, Turn* turn) {
  if (value.size() < 9 || (value[0] != 1 && value[0] != 2)) {
    return Status::Corruption("turn record has an unknown layout");
  }
  const bool has_metadata = value[0] == 2;
  turn->time_ms = static_cast<TimeMs>(DecodeFixed64BE(value.data() + 1));
  value.remove_prefix(9);
  std::string_view session, speaker, source_id, text;
  if (!GetLengthPrefixed(&value, &session) || !GetLengthPrefixed(&value, &speaker) ||
      !GetLengthPrefixed(&value, &source_id) || !GetLengthPrefixed(&value, &text)) {
    return Status::Corruption("turn record is truncated");
  }
  turn->metadata.clear();
  if (has_metadata) {
    uint64_t entries = 0;
    if (!GetVarint64(&value, &entries) || entries > value.size()) return Status::Corruption("turn record is truncated");
    for (uint64_t i = 0; i < entries; ++i) {
      std::string_view k, v;
      if (!GetLengthPrefixed(&value, &k) || !GetLengthPrefixed(&value, &v)) {
        return Status::Corruption("turn record's metadata is truncated");
      }
      turn->metadata.emplace(std::string(k), std::string(v));
    }
  }
  if (!value.empty()) return Status::Corruption("turn record has trailing bytes");
  turn->session.assign(session);
  turn->speaker.assign(speaker);
  turn->source_id.assign(source_id);
  turn->text.assign(text);
  return Status::OK();
}

}  // namespace engram::log

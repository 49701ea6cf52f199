#include "store/doc_vectors.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif
#include <cmath>
#include <cstring>
#include <vector>

#include "common/crc32c.h"
#include "log/key_codec.h"

namespace engram {

void HalfsToFloatsF16c(const unsigned char* halfs, size_t n, float* out);  // doc_vectors_avx2.cc

namespace {

constexpr char kHalfTag = 'H';    // dim half floats
constexpr char kSingleTag = 'F';  // dim floats (values outside the half range)
constexpr size_t kVectorHeader = 5;
constexpr std::string_view kHeadMagic = "EVC1";
constexpr size_t kHeadSize = 4 + 8 + 8 + 4 + 8 + 4 + 4;
constexpr float kHalfMax = 65504.0f;

uint32_t Bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}
float FromBits(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

// Round to nearest even; finite inputs within the half range only.
uint16_t FloatToHalf(float value) {
  uint32_t f = Bits(value);
  const uint32_t sign = f & 0x80000000u;
  f ^= sign;
  uint16_t out;
  if (f < (113u << 23)) {  // below the smallest normal half: subnormal or zero
    const uint32_t magic = ((127 - 15) + (23 - 10) + 1) << 23;
    out = static_cast<uint16_t>(Bits(FromBits(f) + FromBits(magic)) - magic);
  } else {
    const uint32_t odd = (f >> 13) & 1;
    f += (static_cast<uint32_t>(15 - 127) << 23) + 0xfff;
    f += odd;
    out = static_cast<uint16_t>(f >> 13);
  }
  return static_cast<uint16_t>(out | (sign >> 16));
}

float HalfToFloatSlow(uint16_t h) {
  const uint32_t shifted_exp = 0x7c00u << 13;
  uint32_t o = (h & 0x7fffu) << 13;
  const uint32_t exp = shifted_exp & o;
  o += (127 - 15) << 23;
  if (exp == shifted_exp) {
    o += (128 - 16) << 23;
  } else if (exp == 0) {
    o += 1 << 23;
    o = Bits(FromBits(o) - FromBits(113u << 23));
  }
  o |= static_cast<uint32_t>(h & 0x8000u) << 16;
  return FromBits(o);
}

// Decoding is a table lookup (256 KiB, built once): loading a tenant
// converts every stored value.
const float* HalfTable() {
  static const std::vector<float> table = [] {
    std::vector<float> t(65536);
    for (uint32_t h = 0; h < 65536; ++h) t[h] = HalfToFloatSlow(static_cast<uint16_t>(h));
    return t;
  }();
  return table.data();
}

bool CpuHasF16c() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("avx2")) return false;  // also checks the OS saves the AVX state
  // F16C is CPUID leaf 1, ECX bit 29 (clang's __builtin_cpu_supports does
  // not know the name).
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (__get_cpuid(1, &eax, &ebx, &ecx, &edx) == 0) return false;
  return (ecx & (1u << 29)) != 0;
#else
  return false;
#endif
}

// Little-endian half floats to floats.
void HalfsToFloats(const unsigned char* p, size_t n, float* out) {
  static const bool f16c = CpuHasF16c();
  if (f16c) return HalfsToFloatsF16c(p, n, out);
  const float* table = HalfTable();
  for (size_t d = 0; d < n; ++d) out[d] = table[p[2 * d] | (p[2 * d + 1] << 8)];
}

bool FitsHalf(std::span<const float> values) {
  for (float v : values) {
    if (!(std::fabs(v) <= kHalfMax)) return false;
  }
  return true;
}

}  // namespace

void RoundToStoredPrecision(std::span<float> values) {
  if (!FitsHalf(values)) return;  // stored as floats
  const float* table = HalfTable();
  for (float& v : values) v = table[FloatToHalf(v)];
}

std::string DocVectorKey(std::string_view tenant, uint64_t doc_id) {
  std::string key = log::TenantPrefix(tenant);
  log::PutFixed64BE(&key, doc_id);
  return key;
}

bool DocIdOfVectorKey(std::string_view key, size_t prefix_size, uint64_t* doc_id) {
  if (key.size() != prefix_size + 8) return false;
  *doc_id = log::DecodeFixed64BE(key.data() + prefix_size);
  return true;
}

uint32_t DocTextChecksum(std::string_view index_text) { return Crc32c(index_text); }

std::string EncodeDocVector(std::span<const float> vector, uint32_t text_checksum) {
  const bool half = FitsHalf(vector);
  std::string value;
  value.reserve(kVectorHeader + vector.size() * (half ? 2 : 4));
  value.push_back(half ? kHalfTag : kSingleTag);
  log::PutFixed32BE(&value, text_checksum);
  for (float v : vector) {
    if (half) {
      uint16_t h = FloatToHalf(v);
      value.push_back(static_cast<char>(h & 0xff));
      value.push_back(static_cast<char>(h >> 8));
    } else {
      uint32_t b = Bits(v);
      for (int i = 0; i < 4; ++i) value.push_back(static_cast<char>((b >> (8 * i)) & 0xff));
    }
  }
  return value;
}

bool IsDocVectorOfDim(std::string_view value, size_t* dim) {
  if (value.size() < kVectorHeader) return false;
  const size_t body = value.size() - kVectorHeader;
  if (value[0] == kHalfTag && body % 2 == 0) {
    *dim = body / 2;
    return true;
  }
  if (value[0] == kSingleTag && body % 4 == 0) {
    *dim = body / 4;
    return true;
  }
  return false;
}

bool DecodeDocVector(std::string_view value, size_t dim, uint32_t text_checksum, float* out) {
  size_t stored_dim = 0;
  if (!IsDocVectorOfDim(value, &stored_dim) || stored_dim != dim) return false;
  if (log::DecodeFixed32BE(value.data() + 1) != text_checksum) return false;
  const auto* p = reinterpret_cast<const unsigned char*>(value.data() + kVectorHeader);
  if (value[0] == kHalfTag) {
    HalfsToFloats(p, dim, out);
    return true;
  }
  for (size_t d = 0; d < dim; ++d) {
    uint32_t b = uint32_t{p[4 * d]} | uint32_t{p[4 * d + 1]} << 8 | uint32_t{p[4 * d + 2]} << 16 |
                 uint32_t{p[4 * d + 3]} << 24;
    out[d] = FromBits(b);
    if (!std::isfinite(out[d])) return false;
  }
  return true;
}

std::string CheckpointHeadKey(std::string_view tenant) { return log::TenantPrefix(tenant) + "vidx"; }

std::string CheckpointChunkKey(std::string_view tenant, uint32_t chunk) {
  std::string key = log::TenantPrefix(tenant) + "vidx/";
  log::PutFixed32BE(&key, chunk);
  return key;
}

std::string CheckpointChunksEnd(std::string_view tenant) { return log::TenantPrefix(tenant) + "vidx0"; }

std::string CheckpointDeltaHeadKey(std::string_view tenant, uint32_t delta) {
  std::string key = log::TenantPrefix(tenant) + "vidh/";
  log::PutFixed32BE(&key, delta);
  return key;
}

std::string CheckpointDeltaChunkKey(std::string_view tenant, uint32_t delta, uint32_t chunk) {
  std::string key = log::TenantPrefix(tenant) + "vidd/";
  log::PutFixed32BE(&key, delta);
  log::PutFixed32BE(&key, chunk);
  return key;
}

std::string CheckpointDeltaHeadsBegin(std::string_view tenant) { return log::TenantPrefix(tenant) + "vidh/"; }
std::string CheckpointDeltaHeadsEnd(std::string_view tenant) { return log::TenantPrefix(tenant) + "vidh0"; }
std::string CheckpointDeltaChunksBegin(std::string_view tenant) { return log::TenantPrefix(tenant) + "vidd/"; }
std::string CheckpointDeltaChunksEnd(std::string_view tenant) { return log::TenantPrefix(tenant) + "vidd0"; }

std::string EncodeCheckpointHead(const VectorCheckpointHead& head) {
  std::string value(kHeadMagic);
  log::PutFixed64BE(&value, head.covered_seq);
  log::PutFixed64BE(&value, head.vectors);
  log::PutFixed32BE(&value, head.chunks);
  log::PutFixed64BE(&value, head.bytes);
  log::PutFixed32BE(&value, head.crc);
  log::PutFixed32BE(&value, Crc32c(value));
  return value;
}

Result<VectorCheckpointHead> DecodeCheckpointHead(std::string_view value) {
  if (value.size() != kHeadSize || value.substr(0, 4) != kHeadMagic) {
    return Status::Corruption("checkpoint head of " + std::to_string(value.size()) + " bytes does not decode");
  }
  if (Crc32c(value.substr(0, kHeadSize - 4)) != log::DecodeFixed32BE(value.data() + kHeadSize - 4)) {
    return Status::Corruption("checkpoint head checksum mismatch");
  }
  VectorCheckpointHead head;
  const char* p = value.data() + 4;
  head.covered_seq = log::DecodeFixed64BE(p);
  head.vectors = log::DecodeFixed64BE(p + 8);
  head.chunks = log::DecodeFixed32BE(p + 16);
  head.bytes = log::DecodeFixed64BE(p + 20);
  head.crc = log::DecodeFixed32BE(p + 28);
  return head;
}

Status CheckCheckpointChunk(const VectorCheckpointHead& head, uint32_t n, std::string_view value, uint32_t* crc,
                            uint64_t* bytes, std::string* joined) {
  if (n >= head.chunks) {
    return Status::Corruption("checkpoint chunk " + std::to_string(n) + " beyond the " + std::to_string(head.chunks) +
                              " chunks of its head");
  }
  if (value.size() > kCheckpointChunkBytes || value.empty()) {
    return Status::Corruption("checkpoint chunk " + std::to_string(n) + " has " + std::to_string(value.size()) +
                              " bytes");
  }
  *crc = Crc32cExtend(*crc, value.data(), value.size());
  *bytes += value.size();
  if (joined != nullptr) joined->append(value);
  return Status::OK();
}

Status FinishCheckpointCheck(const VectorCheckpointHead& head, uint32_t chunks_seen, uint32_t crc, uint64_t bytes) {
  if (chunks_seen != head.chunks || bytes != head.bytes) {
    return Status::Corruption("checkpoint has " + std::to_string(chunks_seen) + " chunks of " + std::to_string(bytes) +
                              " bytes, its head says " + std::to_string(head.chunks) + " of " +
                              std::to_string(head.bytes));
  }
  if (crc != head.crc) return Status::Corruption("checkpoint checksum mismatch");
  return Status::OK();
}

bool IndexNeedsCheckpoint(std::string_view description) { return description != "Flat" && description != "Int8"; }

}  // namespace engram

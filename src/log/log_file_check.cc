#include "log/log_file_check.h"

#include <fstream>
#include <iterator>

#include "common/crc32c.h"

namespace engram::log {
namespace {

constexpr size_t kBlockSize = 32768;
constexpr size_t kHeaderSize = 7;             // crc (4) + length (2) + type (1)
constexpr size_t kRecyclableHeaderSize = 11;  // ... + log number (4)

enum RecordType : uint8_t {
  kZeroType = 0,
  kFullType = 1,
  kFirstType = 2,
  kMiddleType = 3,
  kLastType = 4,
  kRecyclableFullType = 5,
  kRecyclableLastType = 8,
  kSetCompressionType = 9,
  kMaxKnownType = 10,
};

uint32_t DecodeFixed32LE(const unsigned char* p) {
  return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}

}  // namespace

Result<LogFileReport> CheckLogFile(const std::string& path,
                                   const std::function<void(std::string_view)>& on_record) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError("cannot read '" + path + "'");
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return Status::IOError("error reading '" + path + "'");

  LogFileReport report;
  report.path = path;
  report.bytes = data.size();
  const auto* bytes = reinterpret_cast<const unsigned char*>(data.data());
  std::string record;
  bool in_record = false;
  auto damage = [&](uint64_t offset, std::string reason) {
    report.damage.push_back({offset, std::move(reason)});
    record.clear();
    in_record = false;
  };

  size_t pos = 0;
  while (pos < data.size()) {
    const size_t block_end = std::min(data.size(), (pos / kBlockSize + 1) * kBlockSize);
    if (block_end - pos < kHeaderSize) {  // block trailer: zero padding
      pos = block_end;
      continue;
    }
    const unsigned char* h = bytes + pos;
    const uint32_t length = uint32_t(h[4]) | uint32_t(h[5]) << 8;
    const uint8_t type = h[6];
    if (type == kZeroType && length == 0) {  // preallocated, never written
      pos = block_end;
      continue;
    }
    const bool recyclable = type >= kRecyclableFullType && type <= kRecyclableLastType;
    const size_t header = recyclable ? kRecyclableHeaderSize : kHeaderSize;
    if (pos + header + length > block_end) {
      if (block_end == data.size()) {  // the file ends inside this fragment
        report.torn_tail = true;
        break;
      }
      damage(pos, "bad record length " + std::to_string(length));
      pos = block_end;
      continue;
    }
    const uint32_t expected = Crc32cUnmask(DecodeFixed32LE(h));
    const uint32_t actual = Crc32cExtend(0, h + 6, header - 6 + length);  // type, log number, payload
    if (expected != actual) {
      damage(pos, "checksum mismatch");
      pos = block_end;  // RocksDB's reader drops the rest of the block too
      continue;
    }
    std::string_view payload(data.data() + pos + header, length);
    pos += header + length;
    if (type >= kMaxKnownType) {
      damage(pos - header - length, "unknown record type " + std::to_string(type));
      continue;
    }
    if (type == kSetCompressionType) continue;
    const uint8_t kind = recyclable ? type - (kRecyclableFullType - kFullType) : type;
    switch (kind) {
      case kFullType:
        if (in_record) damage(pos - header - length, "partial record without an end");
        ++report.records;
        if (on_record) on_record(payload);
        break;
      case kFirstType:
        if (in_record) damage(pos - header - length, "partial record without an end");
        record.assign(payload);
        in_record = true;
        break;
      case kMiddleType:
        if (!in_record) {
          damage(pos - header - length, "missing start of fragmented record");
        } else {
          record.append(payload);
        }
        break;
      case kLastType:
        if (!in_record) {
          damage(pos - header - length, "missing start of fragmented record");
        } else {
          record.append(payload);
          ++report.records;
          if (on_record) on_record(record);
          record.clear();
          in_record = false;
        }
        break;
      default:
        break;
    }
  }
  if (in_record) report.torn_tail = true;
  return report;
}

}  // namespace engram::log

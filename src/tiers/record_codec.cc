#include "tiers/record_codec.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include <nlohmann/json.hpp>

#include "common/utf8.h"
#include "log/key_codec.h"

namespace engram {
namespace {

using nlohmann::json;

template <typename Fn>
Status DecodeJson(std::string_view bytes, const char* what, Fn&& fn) {
  json j = json::parse(bytes.begin(), bytes.end(), nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return Status::Corruption(std::string("derived ") + what + " record is not a JSON object");
  try {
    Status s = fn(j);
    if (!s.ok()) return Status::Corruption(std::string("derived ") + what + " record: " + s.message());
  } catch (const json::exception& e) {
    return Status::Corruption(std::string("derived ") + what + " record: " + e.what());
  }
  return Status::OK();
}

// nlohmann converts a JSON number to a narrower C++ type with a plain cast,
// which is undefined for a float out of range; these read only values that
// fit. An absent field leaves *out unchanged.
Status GetInt64(const json& j, const char* field, int64_t* out) {
  auto it = j.find(field);
  if (it == j.end()) return Status::OK();
  const bool fits = it->is_number_integer() &&
                    (!it->is_number_unsigned() || it->get<uint64_t>() <= uint64_t{INT64_MAX});
  if (!fits) return Status::Corruption(std::string("field '") + field + "' is not a 64-bit integer: " + it->dump());
  *out = it->get<int64_t>();
  return Status::OK();
}

Status GetFloat(const json& j, const char* field, float* out) {
  auto it = j.find(field);
  if (it == j.end()) return Status::OK();
  const double v = it->is_number() ? it->get<double>() : std::nan("");
  if (!std::isfinite(v) || std::fabs(v) > std::numeric_limits<float>::max()) {
    return Status::Corruption(std::string("field '") + field + "' is not a float: " + it->dump());
  }
  *out = static_cast<float>(v);
  return Status::OK();
}


// --- The binary form -----------------------------------------------------------
//
// A tag byte (kBinaryTag; a JSON record starts with '{'), then the fields in
// a fixed order: strings length-prefixed (varint), times zigzag varints,
// lists a varint count of strings, the confidence the bits of an IEEE
// float (u32 BE), flags one byte. Every byte is read: trailing bytes, a
// string that is not UTF-8, a confidence that is not finite are Corruption.
constexpr char kBinaryTag = '\x01';

class RecordWriter {
 public:
  RecordWriter() { out_.push_back(kBinaryTag); }
  RecordWriter& Str(std::string_view s) {
    if (ValidateUtf8(s).ok()) {
      log::PutLengthPrefixed(&out_, s);
    } else {  // never from a turn; written as U+FFFD, as the JSON form did
      std::string clean;
      for (size_t at = 0; at < s.size();) AppendUtf8(NextCodePoint(s, &at), &clean);
      log::PutLengthPrefixed(&out_, clean);
    }
    return *this;
  }
  RecordWriter& Time(int64_t v) {
    log::PutVarint64(&out_, (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63));
    return *this;
  }
  RecordWriter& Uint(uint64_t v) {
    log::PutVarint64(&out_, v);
    return *this;
  }
  RecordWriter& List(const std::vector<std::string>& list) {
    Uint(list.size());
    for (const auto& s : list) Str(s);
    return *this;
  }
  RecordWriter& Float(float f) {
    uint32_t bits;
    std::memcpy(&bits, &f, sizeof bits);
    log::PutFixed32BE(&out_, bits);
    return *this;
  }
  RecordWriter& Flag(bool b) {
    out_.push_back(b ? '\x01' : '\x00');
    return *this;
  }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

class RecordReader {
 public:
  explicit RecordReader(std::string_view bytes) : in_(bytes.substr(1)) {}
  bool Str(std::string* s) {
    std::string_view v;
    if (!log::GetLengthPrefixed(&in_, &v) || !ValidateUtf8(v).ok()) return Fail();
    s->assign(v);
    return true;
  }
  bool Time(int64_t* v) {
    uint64_t z;
    if (!log::GetVarint64(&in_, &z)) return Fail();
    *v = static_cast<int64_t>((z >> 1) ^ (~(z & 1) + 1));
    return true;
  }
  bool Uint(uint64_t* v) { return log::GetVarint64(&in_, v) || Fail(); }
  bool List(std::vector<std::string>* list) {
    uint64_t n;
    if (!Uint(&n) || n > in_.size()) return Fail();  // every string takes a byte at least
    list->resize(n);
    for (auto& s : *list) {
      if (!Str(&s)) return false;
    }
    return true;
  }
  bool Float(float* f) {
    if (in_.size() < 4) return Fail();
    const uint32_t bits = log::DecodeFixed32BE(in_.data());
    in_.remove_prefix(4);
    std::memcpy(f, &bits, sizeof bits);
    return std::isfinite(*f) || Fail();
  }
  bool Flag(bool* b) {
    if (in_.empty() || static_cast<unsigned char>(in_[0]) > 1) return Fail();
    *b = in_[0] == '\x01';
    in_.remove_prefix(1);
    return true;
  }
  // OK when every field read and nothing is left over.
  Status Finish(const char* what) const {
    if (failed_) return Status::Corruption(std::string("derived ") + what + " record is cut short or malformed");
    if (!in_.empty()) return Status::Corruption(std::string("derived ") + what + " record has trailing bytes");
    return Status::OK();
  }

 private:
  bool Fail() {
    failed_ = true;
    return false;
  }
  std::string_view in_;
  bool failed_ = false;
};

// Decodes either form: the binary one (written now) or JSON (written by
// earlier versions, still read).
template <typename Binary, typename Json>
Status DecodeRecord(std::string_view bytes, const char* what, Binary&& binary, Json&& from_json) {
  if (!bytes.empty() && bytes[0] == kBinaryTag) {
    RecordReader in(bytes);
    binary(in);
    return in.Finish(what);
  }
  return DecodeJson(bytes, what, from_json);
}

}  // namespace

std::string DerivedKey(std::string_view tenant, uint64_t seq, DerivedKind kind, uint32_t n) {
  std::string key = log::TenantPrefix(tenant);
  log::PutFixed64BE(&key, seq);
  key.push_back(static_cast<char>(kind));
  log::PutFixed32BE(&key, n);
  return key;
}

namespace {
std::string RecordId(const char* prefix, uint64_t seq, uint32_t n) {
  return std::string(prefix) + std::to_string(seq) + "." + std::to_string(n);
}
}  // namespace

std::string UnitId(uint64_t seq, uint32_t n) { return RecordId("unit:", seq, n); }
std::string FactId(uint64_t seq, uint32_t n) { return RecordId("fact:", seq, n); }
std::string RelationId(uint64_t seq, uint32_t n) { return RecordId("rel:", seq, n); }

bool ParseRecordId(std::string_view id, std::string_view prefix, uint64_t* seq, uint32_t* n) {
  if (id.substr(0, prefix.size()) != prefix) return false;
  id.remove_prefix(prefix.size());
  const size_t dot = id.find('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 1 == id.size() || dot > 20 || id.size() - dot - 1 > 10) {
    return false;
  }
  uint64_t s = 0, m = 0;
  for (size_t i = 0; i < id.size(); ++i) {
    if (i == dot) continue;
    if (id[i] < '0' || id[i] > '9') return false;
    uint64_t& v = i < dot ? s : m;
    if (v > (UINT64_MAX - 9) / 10) return false;
    v = v * 10 + static_cast<uint64_t>(id[i] - '0');
  }
  if (m > UINT32_MAX) return false;
  *seq = s;
  *n = static_cast<uint32_t>(m);
  return true;
}

void AssignRecordIds(uint64_t seq, Extraction* extraction, uint32_t first_n) {
  uint32_t n = first_n;
  for (auto& f : extraction->facts) {
    if (f.id.empty()) f.id = FactId(seq, n);
    ++n;
  }
  n = first_n;
  for (auto& r : extraction->relations) {
    if (r.id.empty()) r.id = RelationId(seq, n);
    ++n;
  }
}

std::string EncodeUnit(const EventUnit& u) {
  return RecordWriter()
      .Str(u.text)
      .Str(u.subject)
      .Time(u.time_ms)
      .Time(u.event_from_ms)
      .Time(u.event_to_ms)
      .List(u.source_ids)
      .Take();
}

std::string EncodeFact(const PersonaFact& f) {
  return RecordWriter()
      .Str(f.subject)
      .Str(f.attribute)
      .Str(f.value)
      .Time(f.valid_from_ms)
      .Time(f.valid_to_ms)
      .Float(f.confidence)
      .List(f.source_ids)
      .Flag(f.negated)
      .Take();
}

std::string EncodeEntity(const Entity& e) {
  return RecordWriter().Str(e.name).Uint(static_cast<uint64_t>(e.type)).List(e.aliases).List(e.source_ids).Take();
}

std::string EncodeRelation(const Relation& r) {
  // When it became true, if the statement said (0: not said; validity ends
  // are derived when relations are applied, never stored).
  const TimeMs from = r.valid_from_ms != r.time_ms ? r.valid_from_ms : 0;
  return RecordWriter()
      .Str(r.subject)
      .Str(r.relation)
      .Str(r.object)
      .Time(r.time_ms)
      .Time(from)
      .List(r.source_ids)
      .Take();
}

Status DecodeUnit(std::string_view bytes, EventUnit* u) {
  return DecodeRecord(
      bytes, "unit",
      [&](RecordReader& in) {
        in.Str(&u->text) && in.Str(&u->subject) && in.Time(&u->time_ms) && in.Time(&u->event_from_ms) &&
            in.Time(&u->event_to_ms) && in.List(&u->source_ids);
      },
      [&](const json& j) {
        u->text = j.at("text").get<std::string>();
        u->subject = j.value("subject", "");
        u->time_ms = u->event_from_ms = u->event_to_ms = 0;
        ENGRAM_RETURN_IF_ERROR(GetInt64(j, "time", &u->time_ms));
        ENGRAM_RETURN_IF_ERROR(GetInt64(j, "from", &u->event_from_ms));
        ENGRAM_RETURN_IF_ERROR(GetInt64(j, "to", &u->event_to_ms));
        u->source_ids = j.value("src", std::vector<std::string>{});
        return Status::OK();
      });
}

Status DecodeFact(std::string_view bytes, PersonaFact* f) {
  return DecodeRecord(
      bytes, "fact",
      [&](RecordReader& in) {
        in.Str(&f->subject) && in.Str(&f->attribute) && in.Str(&f->value) && in.Time(&f->valid_from_ms) &&
            in.Time(&f->valid_to_ms) && in.Float(&f->confidence) && in.List(&f->source_ids) &&
            in.Flag(&f->negated);
      },
      [&](const json& j) {
        f->subject = j.at("subject").get<std::string>();
        f->attribute = j.at("attribute").get<std::string>();
        f->value = j.at("value").get<std::string>();
        f->valid_from_ms = f->valid_to_ms = 0;
        f->confidence = 1.0f;
        ENGRAM_RETURN_IF_ERROR(GetInt64(j, "from", &f->valid_from_ms));
        ENGRAM_RETURN_IF_ERROR(GetInt64(j, "to", &f->valid_to_ms));
        ENGRAM_RETURN_IF_ERROR(GetFloat(j, "confidence", &f->confidence));
        f->source_ids = j.value("src", std::vector<std::string>{});
        f->negated = j.value("negated", false);
        return Status::OK();
      });
}

namespace {
// An unknown type (from a later version) reads as kOther.
EntityType EntityTypeOf(int64_t type) {
  return type >= 0 && type <= static_cast<int>(EntityType::kOther) ? static_cast<EntityType>(type)
                                                                    : EntityType::kOther;
}
}  // namespace

Status DecodeEntity(std::string_view bytes, Entity* e) {
  return DecodeRecord(
      bytes, "entity",
      [&](RecordReader& in) {
        uint64_t type = 0;
        if (in.Str(&e->name) && in.Uint(&type)) {
          e->type = EntityTypeOf(type > uint64_t{INT64_MAX} ? -1 : static_cast<int64_t>(type));
          in.List(&e->aliases) && in.List(&e->source_ids);
        }
      },
      [&](const json& j) {
        e->name = j.at("name").get<std::string>();
        int64_t type = static_cast<int>(EntityType::kOther);
        ENGRAM_RETURN_IF_ERROR(GetInt64(j, "type", &type));
        e->type = EntityTypeOf(type);
        e->aliases = j.value("aliases", std::vector<std::string>{});
        e->source_ids = j.value("src", std::vector<std::string>{});
        return Status::OK();
      });
}

Status DecodeRelation(std::string_view bytes, Relation* r) {
  r->valid_to_ms = 0;
  return DecodeRecord(
      bytes, "relation",
      [&](RecordReader& in) {
        in.Str(&r->subject) && in.Str(&r->relation) && in.Str(&r->object) && in.Time(&r->time_ms) &&
            in.Time(&r->valid_from_ms) && in.List(&r->source_ids);
      },
      [&](const json& j) {
        r->subject = j.at("subject").get<std::string>();
        r->relation = j.at("relation").get<std::string>();
        r->object = j.at("object").get<std::string>();
        r->time_ms = r->valid_from_ms = 0;
        ENGRAM_RETURN_IF_ERROR(GetInt64(j, "time", &r->time_ms));
        ENGRAM_RETURN_IF_ERROR(GetInt64(j, "from", &r->valid_from_ms));
        r->source_ids = j.value("src", std::vector<std::string>{});
        return Status::OK();
      });
}

}  // namespace engram

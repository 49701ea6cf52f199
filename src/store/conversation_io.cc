#include "store/conversation_io.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "common/logging.h"
#include "common/time_format.h"
#include "common/utf8.h"

namespace engram {
namespace {

using nlohmann::json;

Status FieldError(std::string_view field, std::string_view what) {
  return Status::InvalidArgument("field '" + std::string(field) + "': " + std::string(what));
}

Status GetString(const json& obj, const char* field, bool required, std::string* out) {
  auto it = obj.find(field);
  if (it == obj.end() || it->is_null()) {
    if (required) return FieldError(field, "missing");
    return Status::OK();
  }
  if (!it->is_string()) {
    // Numbers are accepted for ids and sessions (spreadsheets export them so).
    if (it->is_number_integer() && std::string_view(field) != "text" && std::string_view(field) != "speaker") {
      *out = it->dump();
      return Status::OK();
    }
    return FieldError(field, std::string("expected a string, got ") + it->type_name());
  }
  *out = it->get<std::string>();
  return Status::OK();
}

// The "session_<N>" keys of a LoCoMo conversation in numeric order, whatever
// the gaps between the numbers ("session_<N>_date_time" and other keys are
// not sessions).
std::vector<std::string> LocomoSessionKeys(const json& conversation) {
  static constexpr std::string_view kPrefix = "session_";
  std::vector<std::pair<unsigned long long, std::string>> numbered;
  for (const auto& [key, value] : conversation.items()) {
    if (!key.starts_with(kPrefix) || key.size() == kPrefix.size() || key.size() > kPrefix.size() + 9) continue;
    const std::string_view digits = std::string_view(key).substr(kPrefix.size());
    if (!std::all_of(digits.begin(), digits.end(), [](unsigned char c) { return std::isdigit(c); })) continue;
    numbered.emplace_back(std::stoull(std::string(digits)), key);
  }
  std::sort(numbered.begin(), numbered.end());
  std::vector<std::string> keys;
  for (auto& [n, key] : numbered) keys.push_back(std::move(key));
  return keys;
}

// "05" -> "5", "000" -> "0". Done on the digits rather than by converting to
// an int so that no number is too long.
std::string WithoutLeadingZeros(const std::string& digits) {
  const size_t first = digits.find_first_not_of('0');
  return first == std::string::npos ? std::string("0") : digits.substr(first);
}

constexpr const char* kKnownFields[] = {"tenant", "session", "time", "speaker", "text", "id", "metadata", "role"};

bool IsKnownField(std::string_view name) {
  return std::any_of(std::begin(kKnownFields), std::end(kKnownFields), [&](const char* f) { return name == f; });
}

// "metadata": an object of strings; "role" is stored as metadata "role".
Status GetMetadata(const json& obj, std::map<std::string, std::string>* out) {
  if (auto it = obj.find("metadata"); it != obj.end() && !it->is_null()) {
    if (!it->is_object()) {
      return FieldError("metadata", std::string("expected an object of strings, got ") + it->type_name());
    }
    for (const auto& [key, value] : it->items()) {
      if (!value.is_string()) {
        return FieldError("metadata", "value of key '" + key + "' is " + value.type_name() +
                                          "; metadata values are strings");
      }
      (*out)[key] = value.get<std::string>();
    }
  }
  std::string role;
  ENGRAM_RETURN_IF_ERROR(GetString(obj, "role", false, &role));
  if (!role.empty()) {
    auto [it, added] = out->emplace("role", role);
    if (!added && it->second != role) {
      return FieldError("role", "'" + role + "' differs from metadata role '" + it->second + "'; give one of them");
    }
  }
  return Status::OK();
}

}  // namespace

Result<TenantTurn> ParseTurnLine(std::string_view line) {
  // Validate UTF-8 first: nlohmann rejects it too, but with a less clear message.
  ENGRAM_RETURN_IF_ERROR(ValidateUtf8(line, "line"));
  json obj = json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
  if (obj.is_discarded()) return Status::InvalidArgument("not valid JSON");
  if (!obj.is_object()) return Status::InvalidArgument("expected a JSON object");
  TenantTurn out;
  ENGRAM_RETURN_IF_ERROR(GetString(obj, "tenant", true, &out.tenant));
  ENGRAM_RETURN_IF_ERROR(GetString(obj, "speaker", true, &out.turn.speaker));
  ENGRAM_RETURN_IF_ERROR(GetString(obj, "text", true, &out.turn.text));
  ENGRAM_RETURN_IF_ERROR(GetString(obj, "session", false, &out.turn.session));
  ENGRAM_RETURN_IF_ERROR(GetString(obj, "id", false, &out.turn.source_id));
  ENGRAM_RETURN_IF_ERROR(GetMetadata(obj, &out.turn.metadata));
  for (const auto& [key, value] : obj.items()) {
    if (!IsKnownField(key)) out.unknown_fields.push_back(key);
  }
  if (out.tenant.empty()) return FieldError("tenant", "is empty");
  if (out.turn.speaker.empty()) return FieldError("speaker", "is empty");
  std::string time;
  ENGRAM_RETURN_IF_ERROR(GetString(obj, "time", false, &time));
  if (!time.empty()) {
    auto t = ParseIsoTime(time);
    if (!t.ok()) return FieldError("time", t.status().message());
    out.turn.time_ms = *t;
  }
  return out;
}

std::string FormatTurnLine(std::string_view tenant, const Turn& turn) {
  json obj = json::object();
  obj["tenant"] = std::string(tenant);
  if (!turn.session.empty()) obj["session"] = turn.session;
  if (turn.time_ms != 0) obj["time"] = FormatIsoTime(turn.time_ms);
  obj["speaker"] = turn.speaker;
  obj["text"] = turn.text;
  obj["id"] = turn.source_id;
  if (!turn.metadata.empty()) obj["metadata"] = turn.metadata;
  return obj.dump();
}

Status ReadTurnsJsonl(const std::string& path, const std::function<Status(size_t, TenantTurn&&)>& fn,
                      const std::function<void(const std::string&)>& warn) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError("cannot open '" + path + "'");
  return ReadTurnsJsonl(in, path, fn, warn);
}

Status ReadTurnsJsonl(std::istream& in, const std::string& path,
                      const std::function<Status(size_t, TenantTurn&&)>& fn,
                      const std::function<void(const std::string&)>& warn) {
  std::set<std::string> warned;  // each unknown field name once per file
  std::string line;
  size_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (std::all_of(line.begin(), line.end(), [](unsigned char c) { return std::isspace(c); })) continue;
    auto parsed = ParseTurnLine(line);
    if (!parsed.ok()) {
      return parsed.status().WithContext(path + ":" + std::to_string(line_no));
    }
    for (const auto& field : parsed->unknown_fields) {
      if (!warned.insert(field).second) continue;
      const std::string message = path + ":" + std::to_string(line_no) + ": unknown field '" + field +
                                  "' ignored (known fields: tenant, session, time, speaker, text, id, metadata, role)";
      if (warn) {
        warn(message);
      } else {
        Log().warn("{}", message);
      }
    }
    Status s = fn(line_no, std::move(*parsed));
    if (!s.ok()) return s;
  }
  if (in.bad()) return Status::IOError("error reading '" + path + "'");
  return Status::OK();
}

std::vector<std::string> NormaliseLocomoEvidence(std::string_view raw) {
  std::vector<std::string> out;
  std::string token;
  auto flush = [&]() {
    // Keep digits and the first ':' between session and turn: "D:11:26" ->
    // "D11:26", "D30:05" -> "D30:5".
    std::string digits_a, digits_b;
    bool seen_colon = false;
    for (char c : token) {
      if (std::isdigit(static_cast<unsigned char>(c))) {
        (seen_colon ? digits_b : digits_a).push_back(c);
      } else if (c == ':' && !digits_a.empty()) {
        seen_colon = true;
      }
    }
    token.clear();
    if (digits_a.empty() || digits_b.empty()) return;
    out.push_back("D" + WithoutLeadingZeros(digits_a) + ":" + WithoutLeadingZeros(digits_b));
  };
  for (char c : raw) {
    if (c == ';' || c == ',' || std::isspace(static_cast<unsigned char>(c))) {
      flush();
    } else {
      token.push_back(c);
    }
  }
  flush();
  return out;
}

Result<std::vector<LocomoConversation>> ReadLocomo(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError("cannot open '" + path + "'");
  return ReadLocomo(in, path);
}

Result<std::vector<LocomoConversation>> ReadLocomo(std::istream& in, const std::string& path) {
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return Status::IOError("error reading '" + path + "'");
  return ParseLocomo(text.view(), path);
}

Result<std::vector<LocomoConversation>> ParseLocomo(std::string_view json_text, std::string_view name) {
  const std::string path(name);
  json doc = json::parse(json_text.begin(), json_text.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return Status::InvalidArgument("'" + path + "' is not valid JSON");
  if (!doc.is_array()) return Status::InvalidArgument("'" + path + "': expected a list of LoCoMo samples");
  std::vector<LocomoConversation> out;
  try {
    for (size_t n = 0; n < doc.size(); ++n) {
      const json& sample = doc[n];
      const std::string where = path + ": sample " + std::to_string(n);
      if (!sample.is_object() || !sample.contains("conversation") || !sample.contains("sample_id")) {
        return Status::InvalidArgument(where + ": expected 'sample_id' and 'conversation'");
      }
      LocomoConversation conv;
      conv.sample_id = sample["sample_id"].get<std::string>();
      const json& c = sample["conversation"];
      conv.speaker_a = c.value("speaker_a", "");
      conv.speaker_b = c.value("speaker_b", "");
      std::set<std::string> dia_ids;
      for (const std::string& key : LocomoSessionKeys(c)) {
        TimeMs time = 0;
        if (c.contains(key + "_date_time")) {
          auto t = ParseLocomoTime(c[key + "_date_time"].get<std::string>());
          if (!t.ok()) return t.status().WithContext(where + ": " + key + "_date_time");
          time = *t;
        }
        int turn_index = 0;
        for (const json& t : c[key]) {
          Turn turn;
          turn.session = key;
          turn.speaker = t.value("speaker", "");
          turn.text = t.value("text", "");
          turn.source_id = t.value("dia_id", "");
          // Turns of a session are a few seconds apart in time order.
          turn.time_ms = time + static_cast<TimeMs>(turn_index++) * 1000;
          if (t.contains("blip_caption") && t["blip_caption"].is_string()) {
            turn.text += " [shares a photo of " + t["blip_caption"].get<std::string>() + "]";
          }
          dia_ids.insert(turn.source_id);
          conv.turns.push_back(std::move(turn));
        }
      }
      if (sample.contains("qa")) {
        for (const json& q : sample["qa"]) {
          LocomoQuestion question;
          question.question = q.value("question", "");
          // Only an integer: nlohmann would cast a float such as 1e300 to int,
          // which is undefined behaviour.
          const json category = q.value("category", json(0));
          if (!category.is_number_integer() || category.get<int64_t>() < 0 || category.get<int64_t>() > 1000) {
            return Status::InvalidArgument(where + ": question category " + category.dump() +
                                           " is not a small integer");
          }
          question.category = static_cast<int>(category.get<int64_t>());
          std::set<std::string> seen;
          for (const json& e : q.value("evidence", json::array())) {
            if (!e.is_string()) continue;
            ++question.raw_evidence;
            for (auto& id : NormaliseLocomoEvidence(e.get<std::string>())) {
              if (dia_ids.count(id) && seen.insert(id).second) question.evidence.push_back(id);
            }
          }
          conv.questions.push_back(std::move(question));
        }
      }
      out.push_back(std::move(conv));
    }
  } catch (const json::exception& e) {
    return Status::InvalidArgument("'" + path + "' has an unexpected LoCoMo layout: " + e.what());
  }
  return out;
}

}  // namespace engram

#include "service/tokens.h"

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

namespace engram::service {
namespace {

using nlohmann::json;

bool ConstantTimeEqual(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

Result<std::set<std::string>> TenantList(const json& entry, const char* field, const std::string& where) {
  std::set<std::string> out;
  if (!entry.contains(field)) return out;
  const json& list = entry[field];
  if (!list.is_array()) return Status::InvalidArgument(where + ": field '" + field + "' must be a list of tenant names");
  for (const json& t : list) {
    if (!t.is_string() || t.get<std::string>().empty()) {
      return Status::InvalidArgument(where + ": field '" + field + "' holds " + t.dump() +
                                     "; expected non-empty tenant names (\"*\" = every tenant)");
    }
    out.insert(t.get<std::string>());
  }
  return out;
}

}  // namespace

Result<Tokens> Tokens::Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError("token file '" + path + "' cannot be read");
  std::stringstream ss;
  ss << in.rdbuf();
  return Parse(ss.str(), path);
}

Result<Tokens> Tokens::Parse(std::string_view text, std::string_view name) {
  const std::string file(name);
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return Status::InvalidArgument("token file '" + file + "' is not valid JSON");
  if (!doc.is_object() || !doc.contains("tokens") || !doc["tokens"].is_array()) {
    return Status::InvalidArgument("token file '" + file + "' must be an object {\"tokens\": [...]}");
  }
  Tokens tokens;
  size_t index = 0;
  for (const json& entry : doc["tokens"]) {
    const std::string where = file + ": tokens[" + std::to_string(index++) + "]";
    if (!entry.is_object()) return Status::InvalidArgument(where + " must be an object");
    for (const auto& item : entry.items()) {
      const std::string& key = item.key();
      if (key != "token" && key != "name" && key != "read" && key != "write" && key != "admin") {
        return Status::InvalidArgument(where + ": unknown field '" + key +
                                       "' (known: token, name, read, write, admin)");
      }
    }
    if (!entry.contains("token") || !entry["token"].is_string() || entry["token"].get<std::string>().empty()) {
      return Status::InvalidArgument(where + ": field 'token' must be a non-empty string");
    }
    const std::string token = entry["token"].get<std::string>();
    if (token.find_first_of(" \t\r\n") != std::string::npos) {
      return Status::InvalidArgument(where + ": field 'token' holds whitespace, which a Bearer header cannot carry");
    }
    if (!entry.contains("name") || !entry["name"].is_string() || entry["name"].get<std::string>().empty()) {
      return Status::InvalidArgument(where + ": field 'name' (who the token belongs to, for logs) is required");
    }
    if (entry.contains("admin") && !entry["admin"].is_boolean()) {
      return Status::InvalidArgument(where + ": field 'admin' must be true or false");
    }
    Access access;
    access.principal = "token:" + entry["name"].get<std::string>();
    access.admin = entry.value("admin", false);
    auto read = TenantList(entry, "read", where);
    if (!read.ok()) return read.status();
    auto write = TenantList(entry, "write", where);
    if (!write.ok()) return write.status();
    access.read = std::move(*read);
    access.write = std::move(*write);
    if (!tokens.by_token_.emplace(token, std::move(access)).second) {
      return Status::InvalidArgument(where + ": the same token is listed twice; give every caller its own");
    }
  }
  return tokens;
}

std::optional<Access> Tokens::Find(std::string_view token) const {
  // Every entry is compared, so the time does not tell which one matched.
  std::optional<Access> found;
  for (const auto& [known, access] : by_token_) {
    if (ConstantTimeEqual(known, token)) found = access;
  }
  return found;
}

}  // namespace engram::service

// Tokens: the bearer tokens of engram's services (HTTP API, MCP) and what
// each one may do, read from a token file (docs/http-api.md):
//
//   {"tokens": [
//     {"token": "3f9c...", "name": "agent-dana", "read": ["dana"], "write": ["dana"]},
//     {"token": "a71e...", "name": "ops", "admin": true}
//   ]}
//
// "write" implies read; "*" stands for every tenant; "admin" adds the
// store-wide operations (listing tenants).
//
// Thread safety: immutable after Load; Find may be called from any thread.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "engram/status.h"
#include "service/access.h"

namespace engram::service {

class Tokens {
 public:
  // Reads a token file. InvalidArgument naming the file and the entry for a
  // malformed one (unknown field, empty or repeated token, a token with
  // whitespace, no name); IOError when it cannot be read.
  static Result<Tokens> Load(const std::string& path);
  // The same from the file's text; `name` starts the error messages.
  static Result<Tokens> Parse(std::string_view text, std::string_view name);

  // What `token` may do, or nullopt for an unknown token. The comparison
  // takes the same time whatever prefix of a known token it shares.
  std::optional<Access> Find(std::string_view token) const;
  size_t size() const { return by_token_.size(); }

 private:
  std::map<std::string, Access> by_token_;
};

}  // namespace engram::service

// Checks of what users type (numeric ranges, tenants) and of what the tool
// prints (no raw control characters).
#include <cstdio>
#include <string>
#include <vector>

#include "cli.h"
#include "common/closest_names.h"
#include "store/turn_validation.h"

namespace engram::cli {

std::string Printable(std::string_view text, bool keep_lines) {
  std::string out;
  out.reserve(text.size());
  char escape[8];
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (keep_lines && (c == '\n' || c == '\t')) {
      out.push_back(static_cast<char>(c));
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c < 0x20 || c == 0x7F) {
      std::snprintf(escape, sizeof escape, "\\x%02X", c);
      out += escape;
    } else if (c == 0xC2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
               static_cast<unsigned char>(text[i + 1]) <= 0x9F) {
      // U+0080-U+009F (C1 controls, e.g. CSI) in UTF-8.
      std::snprintf(escape, sizeof escape, "\\u%04X", static_cast<unsigned char>(text[++i]));
      out += escape;
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

std::string TerminalSafeJson(std::string json_text) {
  // These bytes occur only inside JSON strings, so escaping them keeps the
  // document's meaning.
  std::string out;
  out.reserve(json_text.size());
  char escape[8];
  for (size_t i = 0; i < json_text.size(); ++i) {
    const auto c = static_cast<unsigned char>(json_text[i]);
    if (c == 0x7F) {
      out += "\\u007f";
    } else if (c == 0xC2 && i + 1 < json_text.size() && static_cast<unsigned char>(json_text[i + 1]) >= 0x80 &&
               static_cast<unsigned char>(json_text[i + 1]) <= 0x9F) {
      std::snprintf(escape, sizeof escape, "\\u%04x", static_cast<unsigned char>(json_text[++i]));
      out += escape;
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

CLI::Validator InRange(int64_t min, int64_t max) {
  const std::string range = std::to_string(min) + ".." + std::to_string(max);
  return CLI::Validator(
      [min, max, range](std::string& value) -> std::string {
        // Parsed here as signed, so "-1" cannot wrap into a huge unsigned.
        size_t used = 0;
        long long n = 0;
        try {
          n = std::stoll(value, &used, 10);
        } catch (...) {
          return "'" + value + "' is not a whole number (expected " + range + ")";
        }
        if (used != value.size()) return "'" + value + "' is not a whole number (expected " + range + ")";
        if (n < min || n > max) return value + " is outside " + range;
        return {};
      },
      range, "InRange");
}

Status RequireTenant(Store& store, const std::string& tenant) {
  // Not every read checks the tenant's form; a tenant that cannot exist gets
  // the rule it breaks, not "no tenant".
  ENGRAM_RETURN_IF_ERROR(ValidateTenant(tenant, Options()));  // OpenStore keeps the default limits
  TurnFilter first;
  first.limit = 1;
  auto turns = store.ScanTurns(tenant, first);
  if (!turns.ok()) return turns.status();
  if (!turns->empty()) return Status::OK();
  // No turns: a tenant with only explicit facts or core blocks is known too;
  // an unknown one is NotFound naming the closest known tenants.
  return store.GetTenantStats(tenant).status();
}

void WarnIfNoTenant(Store& store, const std::string& tenant) {
  Status s = RequireTenant(store, tenant);
  if (s.IsNotFound()) std::fprintf(stderr, "engram: warning: %s\n", Printable(s.message()).c_str());
}

}  // namespace engram::cli

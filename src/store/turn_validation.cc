#include "store/turn_validation.h"

#include <cstdio>
#include <map>
#include <string>

#include "common/utf8.h"

namespace engram {
namespace {

Status ValidateId(std::string_view value, std::string_view what, bool required, const Options& options) {
  if (required && value.empty()) return Status::InvalidArgument(std::string(what) + " is empty");
  if (value.size() > options.max_id_bytes) {
    return Status::InvalidArgument(std::string(what) + " is " + std::to_string(value.size()) +
                                   " bytes, over the limit of " + std::to_string(options.max_id_bytes));
  }
  return ValidateUtf8(value, what);
}

}  // namespace

Status ValidateTenant(std::string_view tenant, const Options& options) {
  if (tenant.size() > 0xFFFF) return Status::InvalidArgument("tenant is longer than 65535 bytes");
  ENGRAM_RETURN_IF_ERROR(ValidateId(tenant, "tenant", /*required=*/true, options));
  // A tenant is typed on command lines and printed in reports: one with a
  // control character could be written but never named again.
  for (size_t i = 0; i < tenant.size(); ++i) {
    const auto c = static_cast<unsigned char>(tenant[i]);
    if (c < 0x20 || c == 0x7F) {
      char code[8];
      std::snprintf(code, sizeof code, "U+%04X", c);
      return Status::InvalidArgument("tenant has control character " + std::string(code) + " at byte " +
                                     std::to_string(i) + "; tenants may not contain U+0000-U+001F or U+007F");
    }
  }
  return Status::OK();
}

Status ValidateTurn(const Turn& turn, const Options& options) {
  ENGRAM_RETURN_IF_ERROR(ValidateId(turn.speaker, "speaker", true, options));
  ENGRAM_RETURN_IF_ERROR(ValidateId(turn.session, "session", false, options));
  ENGRAM_RETURN_IF_ERROR(ValidateId(turn.source_id, "source id", false, options));
  if (turn.text.empty()) return Status::InvalidArgument("text is empty");
  if (turn.text.size() > options.max_text_bytes) {
    return Status::InvalidArgument("text is " + std::to_string(turn.text.size()) + " bytes, over the limit of " +
                                   std::to_string(options.max_text_bytes) + " (Options::max_text_bytes)");
  }
  ENGRAM_RETURN_IF_ERROR(ValidateUtf8(turn.text, "text"));
  return ValidateMetadata(turn.metadata, options);
}

Status ValidateMetadata(const std::map<std::string, std::string>& metadata, const Options& options) {
  if (metadata.size() > options.max_metadata_entries) {
    return Status::InvalidArgument("metadata has " + std::to_string(metadata.size()) + " entries, over the limit of " +
                                   std::to_string(options.max_metadata_entries) + " (Options::max_metadata_entries)");
  }
  for (const auto& [key, value] : metadata) {
    if (key.empty() || key.size() > kMaxMetadataKeyBytes) {
      return Status::InvalidArgument("metadata key '" + key.substr(0, 40) + "' is " + std::to_string(key.size()) +
                                     " bytes; keys are 1 to " + std::to_string(kMaxMetadataKeyBytes) + " bytes");
    }
    ENGRAM_RETURN_IF_ERROR(ValidateUtf8(key, "metadata key"));
    if (value.size() > kMaxMetadataValueBytes) {
      return Status::InvalidArgument("metadata value of key '" + key + "' is " + std::to_string(value.size()) +
                                     " bytes, over the limit of " + std::to_string(kMaxMetadataValueBytes));
    }
    ENGRAM_RETURN_IF_ERROR(ValidateUtf8(value, "metadata value of key '" + key + "'"));
  }
  return Status::OK();
}

}  // namespace engram

// Checks a turn before anything is written: bad input writes nothing.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "engram/options.h"
#include "engram/status.h"
#include "engram/types.h"

namespace engram {

// A tenant is 1 to Options::max_id_bytes bytes of valid UTF-8 without
// control characters (U+0000-U+001F, U+007F); anything else is
// InvalidArgument naming the problem.
Status ValidateTenant(std::string_view tenant, const Options& options);
// Checks speaker, session, source id, text and metadata.
Status ValidateTurn(const Turn& turn, const Options& options);

// Metadata limits (Turn::metadata): at most Options::max_metadata_entries
// entries, keys 1 to kMaxMetadataKeyBytes bytes, values at most
// kMaxMetadataValueBytes, both valid UTF-8.
inline constexpr size_t kMaxMetadataKeyBytes = 128;
inline constexpr size_t kMaxMetadataValueBytes = 1024;
Status ValidateMetadata(const std::map<std::string, std::string>& metadata, const Options& options);

}  // namespace engram

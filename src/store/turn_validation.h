// Checks a turn before anything is written: bad input writes nothing.
#pragma once

#include <string_view>

#include "engram/options.h"
#include "engram/status.h"
#include "engram/types.h"

namespace engram {

// A tenant is 1 to Options::max_id_bytes bytes of valid UTF-8 without
// control characters (U+0000-U+001F, U+007F); anything else is
// InvalidArgument naming the problem.
Status ValidateTenant(std::string_view tenant, const Options& options);
Status ValidateTurn(const Turn& turn, const Options& options);

}  // namespace engram

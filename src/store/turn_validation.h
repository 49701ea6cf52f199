// Checks a turn before anything is written: bad input writes nothing.
#pragma once

#include <string_view>

#include "engram/options.h"
#include "engram/status.h"
#include "engram/types.h"

namespace engram {

Status ValidateTenant(std::string_view tenant, const Options& options);
Status ValidateTurn(const Turn& turn, const Options& options);

}  // namespace engram

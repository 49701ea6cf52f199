// engram's internal logger (spdlog), routed to the host's handler.
#pragma once

#include <memory>

#include <spdlog/spdlog.h>

#include "engram/logging.h"

namespace engram {

// The library's logger; silent unless the host raised the level.
spdlog::logger& Log();

}  // namespace engram

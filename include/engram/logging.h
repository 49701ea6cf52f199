// Logging. engram is silent by default: the host decides what to show.
//
// Thread safety: SetLogLevel and SetLogHandler may be called from any thread;
// the handler is called from the thread that logs and must be thread-safe.
#pragma once

#include <functional>
#include <string_view>

namespace engram {

enum class LogLevel { kOff, kError, kWarn, kInfo, kDebug };

// Messages at or above `level` go to the handler (default kOff).
void SetLogLevel(LogLevel level);

// Where messages go. Default: standard error. An empty function restores it.
void SetLogHandler(std::function<void(LogLevel, std::string_view)> handler);

}  // namespace engram

#include "common/logging.h"

#include <cstdio>
#include <mutex>
#include <string>

#include <spdlog/sinks/base_sink.h>

namespace engram {
namespace {

class HandlerSink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  void SetHandler(std::function<void(LogLevel, std::string_view)> handler) {
    std::lock_guard<std::mutex> lock(mutex_);
    handler_ = std::move(handler);
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    std::string_view text(msg.payload.data(), msg.payload.size());
    LogLevel level = msg.level >= spdlog::level::err    ? LogLevel::kError
                     : msg.level == spdlog::level::warn ? LogLevel::kWarn
                     : msg.level == spdlog::level::info ? LogLevel::kInfo
                                                        : LogLevel::kDebug;
    if (handler_) {
      handler_(level, text);
    } else {
      std::fprintf(stderr, "engram: %.*s\n", static_cast<int>(text.size()), text.data());
    }
  }
  void flush_() override { std::fflush(stderr); }

 private:
  std::function<void(LogLevel, std::string_view)> handler_;
};

struct LoggerState {
  std::shared_ptr<HandlerSink> sink = std::make_shared<HandlerSink>();
  std::shared_ptr<spdlog::logger> logger;
  LoggerState() {
    logger = std::make_shared<spdlog::logger>("engram", sink);
    logger->set_level(spdlog::level::off);
  }
};

LoggerState& State() {
  static LoggerState* state = new LoggerState();  // never destroyed: usable during exit
  return *state;
}

}  // namespace

spdlog::logger& Log() { return *State().logger; }

void SetLogLevel(LogLevel level) {
  spdlog::level::level_enum l = spdlog::level::off;
  switch (level) {
    case LogLevel::kOff: l = spdlog::level::off; break;
    case LogLevel::kError: l = spdlog::level::err; break;
    case LogLevel::kWarn: l = spdlog::level::warn; break;
    case LogLevel::kInfo: l = spdlog::level::info; break;
    case LogLevel::kDebug: l = spdlog::level::debug; break;
  }
  State().logger->set_level(l);
}

void SetLogHandler(std::function<void(LogLevel, std::string_view)> handler) {
  State().sink->SetHandler(std::move(handler));
}

}  // namespace engram

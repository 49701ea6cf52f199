// Status and Result<T>: how every engram call reports success or failure.
//
// Thread safety: a Status or Result is a value; distinct objects may be used
// from different threads without synchronisation.
//
// No exception crosses engram's public API. Errors from RocksDB, FAISS, JSON
// parsing or the network are caught at the boundary and returned as a Status
// whose message names the thing and the value that was wrong.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

namespace engram {

class [[nodiscard]] Status {
 public:
  enum class Code : int {
    kOk = 0,
    kNotFound = 1,
    kInvalidArgument = 2,      // bad input from the caller
    kCorruption = 3,           // stored data is damaged
    kIOError = 4,              // the file system or the network failed
    kNotSupported = 5,         // e.g. a store of a newer format version
    kFailedPrecondition = 6,   // e.g. a store built by a different embedder
    kUnavailable = 7,          // a remote endpoint is down or overloaded
    kInternal = 8,             // a bug in engram
    kAlreadyExists = 9,        // e.g. a store where a new one was to be made
  };

  // An OK status holds no allocation.
  Status() noexcept = default;
  Status(const Status& other);
  Status& operator=(const Status& other);
  Status(Status&&) noexcept = default;
  Status& operator=(Status&&) noexcept = default;

  static Status OK() { return Status(); }
  static Status NotFound(std::string_view msg) { return Status(Code::kNotFound, msg); }
  static Status InvalidArgument(std::string_view msg) { return Status(Code::kInvalidArgument, msg); }
  static Status Corruption(std::string_view msg) { return Status(Code::kCorruption, msg); }
  static Status IOError(std::string_view msg) { return Status(Code::kIOError, msg); }
  static Status NotSupported(std::string_view msg) { return Status(Code::kNotSupported, msg); }
  static Status FailedPrecondition(std::string_view msg) { return Status(Code::kFailedPrecondition, msg); }
  static Status Unavailable(std::string_view msg) { return Status(Code::kUnavailable, msg); }
  static Status Internal(std::string_view msg) { return Status(Code::kInternal, msg); }
  static Status AlreadyExists(std::string_view msg) { return Status(Code::kAlreadyExists, msg); }

  bool ok() const { return state_ == nullptr; }
  explicit operator bool() const { return ok(); }
  Code code() const { return state_ ? state_->code : Code::kOk; }
  bool IsNotFound() const { return code() == Code::kNotFound; }
  bool IsInvalidArgument() const { return code() == Code::kInvalidArgument; }
  bool IsIOError() const { return code() == Code::kIOError; }

  // The prose message, without the code ("" for OK).
  const std::string& message() const;
  // "InvalidArgument: text is not valid UTF-8 at byte 12".
  std::string ToString() const;

  // Returns a copy whose message is prefixed with `context: `.
  Status WithContext(std::string_view context) const;

 private:
  Status(Code code, std::string_view msg);
  struct State {
    Code code;
    std::string message;
  };
  std::unique_ptr<State> state_;
};

// A value of type T, or the Status that explains why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Status status) : v_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    if (std::get<Status>(v_).ok()) v_ = Status::Internal("Result constructed from an OK Status without a value");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return ok(); }

  // The error; OK when a value is held.
  Status status() const { return ok() ? Status::OK() : std::get<Status>(v_); }

  // Precondition: ok().
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace engram

// Internal convenience for engram's own code and for callers who like it.
#define ENGRAM_RETURN_IF_ERROR(expr)          \
  do {                                        \
    ::engram::Status engram_status_ = (expr); \
    if (!engram_status_.ok()) return engram_status_; \
  } while (0)

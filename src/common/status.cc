#include "engram/status.h"

namespace engram {
namespace {

const char* CodeName(Status::Code code) {
  switch (code) {
    case Status::Code::kOk: return "OK";
    case Status::Code::kNotFound: return "NotFound";
    case Status::Code::kInvalidArgument: return "InvalidArgument";
    case Status::Code::kCorruption: return "Corruption";
    case Status::Code::kIOError: return "IOError";
    case Status::Code::kNotSupported: return "NotSupported";
    case Status::Code::kFailedPrecondition: return "FailedPrecondition";
    case Status::Code::kUnavailable: return "Unavailable";
    case Status::Code::kAlreadyExists: return "AlreadyExists";
    case Status::Code::kInternal: return "Internal";
  }
  return "Unknown";
}

}  // namespace

Status::Status(Code code, std::string_view msg)
    : state_(code == Code::kOk ? nullptr : new State{code, std::string(msg)}) {}

Status::Status(const Status& other)
    : state_(other.state_ ? new State(*other.state_) : nullptr) {}

Status& Status::operator=(const Status& other) {
  if (this != &other) state_.reset(other.state_ ? new State(*other.state_) : nullptr);
  return *this;
}

const std::string& Status::message() const {
  static const std::string kEmpty;
  return state_ ? state_->message : kEmpty;
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  return std::string(CodeName(state_->code)) + ": " + state_->message;
}

Status Status::WithContext(std::string_view context) const {
  if (ok()) return *this;
  return Status(state_->code, std::string(context) + ": " + state_->message);
}

}  // namespace engram

// The memory lifecycle: single memories deleted, corrected and written.
// Placeholder bodies; the lifecycle work replaces each one.
#include "store/store_impl.h"

namespace engram {
namespace {
Status NotYet(const char* what) { return Status::NotSupported(std::string(what) + " is not implemented yet"); }
}  // namespace

Result<ForgetReport> StoreImpl::Forget(std::string_view, std::string_view, const ForgetOptions&) {
  return NotYet("Forget");
}
Result<ForgetReport> StoreImpl::ForgetFact(std::string_view, std::string_view, const ForgetOptions&) {
  return NotYet("ForgetFact");
}
Result<ForgetReport> StoreImpl::ForgetRelation(std::string_view, std::string_view, const ForgetOptions&) {
  return NotYet("ForgetRelation");
}
Result<uint32_t> StoreImpl::Update(std::string_view, std::string_view, std::string_view, const WriteOptions&) {
  return NotYet("Update");
}
Result<std::vector<TurnVersion>> StoreImpl::History(std::string_view, std::string_view) { return NotYet("History"); }
}  // namespace engram

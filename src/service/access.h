// Access: which tenants a caller of engram's services (HTTP API, MCP) may
// read and write. Built from a bearer token (service/tokens.h) or, without
// a token file, the local caller, who may do everything.
//
// Thread safety: a plain value.
#pragma once

#include <set>
#include <string>
#include <string_view>

namespace engram::service {

struct Access {
  std::string principal;        // who it is, for logs ("token:ops", "local")
  bool admin = false;           // every tenant, and store-wide operations
  std::set<std::string> read;   // tenants it may read ("*" = any)
  std::set<std::string> write;  // tenants it may write (implies read)

  bool CanRead(std::string_view tenant) const {
    return admin || Has(read, tenant) || Has(write, tenant);
  }
  bool CanWrite(std::string_view tenant) const { return admin || Has(write, tenant); }

  // The caller of a server started without a token file.
  static Access Local() {
    Access a;
    a.principal = "local";
    a.admin = true;
    return a;
  }

 private:
  static bool Has(const std::set<std::string>& s, std::string_view tenant) {
    return s.count("*") > 0 || s.count(std::string(tenant)) > 0;
  }
};

}  // namespace engram::service

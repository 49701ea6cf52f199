// The one way engram includes cpp-httplib.
//
// Debian's libcpp-httplib.so (0.11.4) is compiled with
// -DCPPHTTPLIB_OPENSSL_SUPPORT -DCPPHTTPLIB_ZLIB_SUPPORT
// -DCPPHTTPLIB_BROTLI_SUPPORT (see the Cflags in cpp-httplib.pc). The header
// changes class layouts under CPPHTTPLIB_OPENSSL_SUPPORT (httplib::Client
// gains `is_ssl_`, ClientImpl gains certificate fields, Request gains `ssl`),
// so a translation unit that includes <httplib.h> without that macro
// disagrees with the compiled library about object sizes: constructing a
// Client on the stack would let the library write past it. (The zlib and
// brotli macros only touch internal compressor classes engram never names, so
// they are left off to avoid needing those headers.) Every engram file
// (tests included) includes this header instead of <httplib.h> so they all
// agree with the library.
//
// Build against a cpp-httplib compiled WITHOUT OpenSSL by defining
// ENGRAM_HTTPLIB_NO_OPENSSL; https URLs are then refused with NotSupported.
#pragma once

#if !defined(ENGRAM_HTTPLIB_NO_OPENSSL) && !defined(CPPHTTPLIB_OPENSSL_SUPPORT)
#define CPPHTTPLIB_OPENSSL_SUPPORT
#endif

#include <httplib.h>

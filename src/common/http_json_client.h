// HttpJsonClient: POSTs JSON to one OpenAI-compatible endpoint
// ("/v1/embeddings", "/v1/chat/completions") and returns the JSON reply.
//
// What it takes care of, so the embedder and the extractor do not:
//   - bearer-token auth and a per-request timeout;
//   - retries with exponential backoff and jitter on connection errors,
//     timeouts, 408, 429 and 5xx, honouring the server's Retry-After;
//   - turning every failure into a Status whose message names the endpoint
//     and what the server said (never the API key):
//       4xx (other than 408/429)  -> InvalidArgument with the server's message
//       retries exhausted         -> Unavailable with the last error
//       2xx with a non-JSON body  -> InvalidArgument quoting the parse error
//       https without OpenSSL     -> NotSupported
//   - no exception escapes (cpp-httplib and nlohmann::json both throw).
//
// Thread safety: Post() is const and safe to call from many threads at once;
// every call opens its own connection (no shared socket state). Post() blocks
// on the network, for up to (max_retries + 1) timeouts plus the backoff waits.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "engram/status.h"

namespace engram {

// The parts of an http(s) URL that cpp-httplib needs.
struct HttpUrl {
  std::string scheme;  // "http" or "https"
  std::string host;    // "127.0.0.1", "api.openai.com", "::1" (no brackets)
  int port = 0;        // explicit, or 80 / 443 from the scheme
  std::string path;    // "/v1/embeddings"; "/" when the URL has none
};

// Parses "http://host[:port][/path]" (IPv6 hosts in brackets). Credentials in
// the URL, query strings, fragments and other schemes are InvalidArgument.
Result<HttpUrl> ParseHttpUrl(std::string_view url);

// True when the linked cpp-httplib can speak https (built with OpenSSL).
bool HttpsSupported();

// `base` with trailing '/' removed and `suffix` ("/embeddings") appended,
// unless `base` already ends with `suffix`.
std::string JoinEndpoint(std::string_view base, std::string_view suffix);

// Up to `max_bytes` of `text` for quoting a server's words in a Status
// message: cut on a character boundary ("..." appended) and made valid UTF-8
// (each bad byte becomes U+FFFD), so the message itself is always printable.
std::string MessageSnippet(std::string_view text, size_t max_bytes = 300);

// Where an OpenAI-compatible client talks to: each setting from its option,
// else from $<env_prefix>_URL, $<env_prefix>_MODEL, $<env_prefix>_API_KEY.
struct EndpointSettings {
  std::string url;
  std::string model;
  std::string api_key;  // may be empty
};

// URL and model are required: a missing one is InvalidArgument naming the
// option (`options_name`::url) and the variable. `who` prefixes the message.
Result<EndpointSettings> ResolveEndpointSettings(std::string_view who, std::string_view options_name,
                                                 std::string_view env_prefix, const EndpointSettings& options);

struct HttpJsonClientOptions {
  // Bearer token sent as "Authorization: Bearer ...". Empty: no header.
  std::string api_key;
  // Limit for connecting and for each read or write on the socket, in ms.
  // A server silent for longer fails the attempt. Default 30 s.
  int timeout_ms = 30000;
  // Extra attempts after the first on connection errors, timeouts, 408, 429
  // and 5xx. 0 = no retry. Default 4.
  int max_retries = 4;
  // Wait before the first retry, in ms; doubles each retry, with jitter (each
  // wait is drawn from [d/2, d]). Default 200 ms.
  int initial_backoff_ms = 200;
  // Cap on any single wait, backoff or Retry-After, in ms. Default 30 s.
  int max_backoff_ms = 30000;
};

// Client options from a public options struct with timeout_ms, max_retries
// and initial_backoff_ms (HttpEmbedderOptions, LlmExtractorOptions).
template <typename PublicOptions>
HttpJsonClientOptions ClientOptionsFrom(const PublicOptions& options, std::string api_key) {
  HttpJsonClientOptions out;
  out.api_key = std::move(api_key);
  out.timeout_ms = options.timeout_ms;
  out.max_retries = options.max_retries;
  out.initial_backoff_ms = options.initial_backoff_ms;
  return out;
}

class HttpJsonClient {
 public:
  // `url` is the full endpoint, e.g. "http://127.0.0.1:8080/v1/embeddings".
  // Fails on a malformed URL, bad options, or https without OpenSSL.
  static Result<std::unique_ptr<HttpJsonClient>> Create(std::string_view url,
                                                        HttpJsonClientOptions options = {});

  // POSTs `request` as application/json and returns the parsed reply body of
  // the first 2xx answer. See the header comment for the error mapping.
  Result<nlohmann::json> Post(const nlohmann::json& request) const;

  // The endpoint as given to Create (for messages and identities).
  const std::string& url() const { return url_; }

 private:
  HttpJsonClient(std::string url, HttpUrl parsed, HttpJsonClientOptions options);

  // One attempt's outcome; `retryable` says whether another try may help.
  struct Attempt;
  Attempt PostOnce(const std::string& body) const;

  std::string url_;
  HttpUrl parsed_;
  HttpJsonClientOptions options_;
};

}  // namespace engram

#include "common/http_json_client.h"

#include <cstdlib>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <ctime>
#include <exception>
#include <random>
#include <thread>
#include <utility>

#include "common/httplib_config.h"
#include "common/logging.h"
#include "common/utf8.h"

namespace engram {

using nlohmann::json;

struct HttpJsonClient::Attempt {
  Status status;          // OK: `reply` holds the parsed body
  json reply;
  bool retryable = false;
  int retry_after_ms = -1;  // the server's Retry-After, if it sent one
};

namespace {

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The human-readable part of an error body. OpenAI and llama.cpp send
// {"error":{"message":...}}, Ollama {"error":"..."}, FastAPI {"detail":...}.
std::string ServerMessage(const std::string& body) {
  json parsed = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_discarded() && parsed.is_object()) {
    auto pick = [](const json& v) -> std::string {
      if (v.is_string()) return v.get<std::string>();
      if (v.is_object() && v.contains("message") && v["message"].is_string()) {
        return v["message"].get<std::string>();
      }
      return v.dump();
    };
    for (const char* key : {"error", "message", "detail"}) {
      if (parsed.contains(key)) return MessageSnippet(pick(parsed[key]));
    }
  }
  if (body.empty()) return "(empty body)";
  return MessageSnippet(body);
}

// Retry-After is either delta-seconds or an HTTP-date (RFC 9110 10.2.3).
// Returns -1 when absent or unreadable.
int ParseRetryAfterMs(const std::string& value) {
  std::string v = value;
  while (!v.empty() && std::isspace(static_cast<unsigned char>(v.back()))) v.pop_back();
  while (!v.empty() && std::isspace(static_cast<unsigned char>(v.front()))) v.erase(v.begin());
  if (v.empty()) return -1;
  if (AllDigits(v)) {
    if (v.size() > 7) return 1 << 30;  // absurdly long; the cap applies later
    return std::stoi(v) * 1000;
  }
  std::tm tm{};
  const char* end = strptime(v.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (end == nullptr || *end != '\0') return -1;
  const time_t when = timegm(&tm);
  const auto now = std::chrono::system_clock::now();
  const auto delta = std::chrono::system_clock::from_time_t(when) - now;
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(delta).count();
  return ms <= 0 ? 0 : static_cast<int>(std::min<int64_t>(ms, 1 << 30));
}

// Equal jitter: half the doubled delay is kept, the other half is random, so
// clients that failed together do not retry together.
int BackoffMs(const HttpJsonClientOptions& options, int retry_index) {
  double delay = options.initial_backoff_ms * std::pow(2.0, retry_index);
  delay = std::min<double>(delay, options.max_backoff_ms);
  if (delay <= 0) return 0;
  thread_local std::mt19937 rng{std::random_device{}()};
  std::uniform_real_distribution<double> half(0.0, delay / 2);
  return static_cast<int>(delay / 2 + half(rng));
}

std::string DescribeTransportError(httplib::Error error) {
  switch (error) {
    case httplib::Error::Connection:
      return "could not connect";
    case httplib::Error::ConnectionTimeout:
      return "connection timed out";
    case httplib::Error::Read:
      return "no complete reply (timed out or connection closed while reading)";
    case httplib::Error::Write:
      return "could not send the request (timed out or connection closed while writing)";
    case httplib::Error::SSLConnection:
      return "TLS handshake failed";
    case httplib::Error::SSLServerVerification:
      return "TLS server certificate verification failed";
    default:
      return "transport error " + httplib::to_string(error);
  }
}

}  // namespace

std::string MessageSnippet(std::string_view text, size_t max_bytes) {
  std::string out;
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t start = pos;
    const char32_t cp = NextCodePoint(text, &pos);
    // Long bodies (an HTML error page from a proxy) would drown the message.
    if (out.size() + (pos - start) > max_bytes) {
      out += "...";
      break;
    }
    AppendUtf8(cp, &out);
  }
  return out;
}

bool HttpsSupported() {
#ifdef CPPHTTPLIB_OPENSSL_SUPPORT
  return true;
#else
  return false;
#endif
}

Result<HttpUrl> ParseHttpUrl(std::string_view url) {
  auto bad = [&](std::string_view why) {
    return Status::InvalidArgument("URL \"" + MessageSnippet(url, 200) + "\": " + std::string(why));
  };
  HttpUrl out;
  const size_t sep = url.find("://");
  if (sep == std::string_view::npos) return bad("expected http://host[:port][/path]");
  std::string scheme(url.substr(0, sep));
  for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (scheme != "http" && scheme != "https") return bad("scheme must be http or https");
  out.scheme = scheme;
  std::string_view rest = url.substr(sep + 3);
  const size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  out.path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (out.path.find_first_of("?#") != std::string::npos) return bad("query strings and fragments are not supported");
  if (authority.find('@') != std::string_view::npos) {
    return bad("credentials in the URL are not supported; pass the key as api_key");
  }
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {  // [::1]:8080
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return bad("unterminated IPv6 address");
    out.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return bad("unexpected text after the IPv6 address");
      port_text = after.substr(1);
      if (port_text.empty()) return bad("empty port");
    }
  } else {
    const size_t colon = authority.rfind(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
      if (port_text.empty()) return bad("empty port");
    }
  }
  if (out.host.empty()) return bad("no host");
  if (!port_text.empty()) {
    if (!AllDigits(port_text) || port_text.size() > 5) return bad("port is not a number");
    out.port = std::stoi(std::string(port_text));
    if (out.port < 1 || out.port > 65535) return bad("port out of range");
  } else {
    out.port = out.scheme == "https" ? 443 : 80;
  }
  return out;
}

std::string JoinEndpoint(std::string_view base, std::string_view suffix) {
  std::string out(base);
  while (!out.empty() && out.back() == '/') out.pop_back();
  if (out.size() >= suffix.size() && out.compare(out.size() - suffix.size(), suffix.size(), suffix) == 0) {
    return out;
  }
  return out + std::string(suffix);
}

HttpJsonClient::HttpJsonClient(std::string url, HttpUrl parsed, HttpJsonClientOptions options)
    : url_(std::move(url)), parsed_(std::move(parsed)), options_(std::move(options)) {}

Result<std::unique_ptr<HttpJsonClient>> HttpJsonClient::Create(std::string_view url,
                                                               HttpJsonClientOptions options) {
  Result<HttpUrl> parsed = ParseHttpUrl(url);
  if (!parsed.ok()) return parsed.status();
  if (parsed->scheme == "https" && !HttpsSupported()) {
    return Status::NotSupported("URL \"" + MessageSnippet(url, 200) +
                                "\": https needs cpp-httplib built with OpenSSL (CPPHTTPLIB_OPENSSL_SUPPORT); "
                                "use http:// or rebuild");
  }
  if (options.timeout_ms <= 0) {
    return Status::InvalidArgument("timeout_ms must be positive, got " + std::to_string(options.timeout_ms));
  }
  if (options.max_retries < 0) {
    return Status::InvalidArgument("max_retries must be >= 0, got " + std::to_string(options.max_retries));
  }
  if (options.initial_backoff_ms < 0 || options.max_backoff_ms < 0) {
    return Status::InvalidArgument("backoff times must be >= 0");
  }
  return std::unique_ptr<HttpJsonClient>(
      new HttpJsonClient(std::string(url), std::move(parsed).value(), std::move(options)));
}

HttpJsonClient::Attempt HttpJsonClient::PostOnce(const std::string& body) const {
  Attempt attempt;
  std::unique_ptr<httplib::ClientImpl> client;
#ifdef CPPHTTPLIB_OPENSSL_SUPPORT
  if (parsed_.scheme == "https") {
    client = std::make_unique<httplib::SSLClient>(parsed_.host, parsed_.port);
  }
#endif
  if (!client) client = std::make_unique<httplib::ClientImpl>(parsed_.host, parsed_.port);

  const time_t sec = options_.timeout_ms / 1000;
  const time_t usec = static_cast<time_t>(options_.timeout_ms % 1000) * 1000;
  client->set_connection_timeout(sec, usec);
  client->set_read_timeout(sec, usec);
  client->set_write_timeout(sec, usec);
  client->set_keep_alive(false);
  client->set_follow_location(false);
  if (!options_.api_key.empty()) client->set_bearer_token_auth(options_.api_key);

  httplib::Headers headers = {{"Accept", "application/json"}};
  httplib::Result res = client->Post(parsed_.path, headers, body, "application/json");
  if (!res) {
    attempt.status = Status::Unavailable(DescribeTransportError(res.error()));
    // A bad certificate will not get better by retrying.
    attempt.retryable = res.error() != httplib::Error::SSLServerVerification &&
                        res.error() != httplib::Error::SSLLoadingCerts;
    return attempt;
  }
  const int code = res->status;
  if (code >= 200 && code < 300) {
    try {
      attempt.reply = json::parse(res->body);
    } catch (const json::exception& e) {
      attempt.status = Status::InvalidArgument("reply is not valid JSON (" + MessageSnippet(e.what()) +
                                               "): " + MessageSnippet(res->body, 200));
    }
    return attempt;
  }
  const std::string what = "HTTP " + std::to_string(code) + ": " + ServerMessage(res->body);
  if (code == 408 || code == 429 || code >= 500) {
    attempt.status = Status::Unavailable(what);
    attempt.retryable = true;
    if (res->has_header("Retry-After")) attempt.retry_after_ms = ParseRetryAfterMs(res->get_header_value("Retry-After"));
  } else {
    attempt.status = Status::InvalidArgument(what);
  }
  return attempt;
}

Result<json> HttpJsonClient::Post(const json& request) const {
  const std::string context = "POST " + url_;
  std::string body;
  try {
    body = request.dump();
  } catch (const json::exception& e) {  // invalid UTF-8 in a string
    return Status::InvalidArgument(context + ": cannot encode the request: " + MessageSnippet(e.what()));
  }
  const int attempts = options_.max_retries + 1;
  Status last;
  for (int i = 0; i < attempts; ++i) {
    Attempt attempt;
    try {
      attempt = PostOnce(body);
    } catch (const std::exception& e) {
      // cpp-httplib may throw (e.g. std::system_error from its socket code).
      attempt.status = Status::Unavailable("unexpected exception: " + MessageSnippet(e.what()));
      attempt.retryable = true;
    }
    if (attempt.status.ok()) return std::move(attempt.reply);
    if (!attempt.retryable) return attempt.status.WithContext(context);
    last = std::move(attempt.status);
    if (i + 1 == attempts) break;
    int wait_ms = attempt.retry_after_ms >= 0 ? std::min(attempt.retry_after_ms, options_.max_backoff_ms)
                                              : BackoffMs(options_, i);
    Log().debug("{}: attempt {} of {} failed ({}); retrying in {} ms", context, i + 1, attempts, last.message(),
                wait_ms);
    std::this_thread::sleep_for(std::chrono::milliseconds(wait_ms));
  }
  return Status::Unavailable(context + ": gave up after " + std::to_string(attempts) +
                             (attempts == 1 ? " attempt" : " attempts") + ", last error: " + last.message());
}

Result<EndpointSettings> ResolveEndpointSettings(std::string_view who, std::string_view options_name,
                                                 std::string_view env_prefix, const EndpointSettings& options) {
  auto from = [&](const std::string& value, const char* suffix) {
    if (!value.empty()) return value;
    const char* env = std::getenv((std::string(env_prefix) + suffix).c_str());
    return env != nullptr ? std::string(env) : std::string();
  };
  EndpointSettings out{from(options.url, "_URL"), from(options.model, "_MODEL"), from(options.api_key, "_API_KEY")};
  const std::string who_s(who), opts(options_name), env(env_prefix);
  if (out.url.empty()) {
    return Status::InvalidArgument(who_s + ": no endpoint URL; set " + opts + "::url or $" + env +
                                   "_URL (e.g. http://127.0.0.1:8080/v1)");
  }
  if (out.model.empty()) {
    return Status::InvalidArgument(who_s + ": no model name; set " + opts + "::model or $" + env + "_MODEL");
  }
  return out;
}

}  // namespace engram

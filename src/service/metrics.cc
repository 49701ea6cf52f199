#include "service/metrics.h"

#include <cstdio>

namespace engram::service {
namespace {

// Label values in the exposition format escape backslash, quote and newline.
std::string Label(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string Number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

}  // namespace

void Metrics::RecordRequest(const std::string& method, const std::string& route, int status, double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  const auto key = std::make_pair(method, route);
  ++requests_[key][status];
  Histogram& h = latency_[key];
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) {
      ++h.counts[i];
      break;
    }
  }
  ++h.count;
  h.sum += seconds;
}

void Metrics::AddTurnsObserved(uint64_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  turns_observed_ += n;
}

std::string Metrics::Render(const Gauges& gauges) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string out;
  out += "# HELP engram_http_requests_total HTTP requests served, by method, route and status.\n";
  out += "# TYPE engram_http_requests_total counter\n";
  for (const auto& [key, by_status] : requests_) {
    for (const auto& [status, n] : by_status) {
      out += "engram_http_requests_total{method=\"" + Label(key.first) + "\",route=\"" + Label(key.second) +
             "\",status=\"" + std::to_string(status) + "\"} " + std::to_string(n) + "\n";
    }
  }
  out += "# HELP engram_http_request_duration_seconds Time from routing to response, by method and route.\n";
  out += "# TYPE engram_http_request_duration_seconds histogram\n";
  for (const auto& [key, h] : latency_) {
    const std::string labels = "method=\"" + Label(key.first) + "\",route=\"" + Label(key.second) + "\"";
    uint64_t cumulative = 0;
    for (size_t i = 0; i < kBuckets.size(); ++i) {
      cumulative += h.counts[i];
      out += "engram_http_request_duration_seconds_bucket{" + labels + ",le=\"" + Number(kBuckets[i]) + "\"} " +
             std::to_string(cumulative) + "\n";
    }
    out += "engram_http_request_duration_seconds_bucket{" + labels + ",le=\"+Inf\"} " + std::to_string(h.count) + "\n";
    out += "engram_http_request_duration_seconds_sum{" + labels + "} " + Number(h.sum) + "\n";
    out += "engram_http_request_duration_seconds_count{" + labels + "} " + std::to_string(h.count) + "\n";
  }
  out += "# HELP engram_turns_observed_total Turns newly stored through the API since the server started.\n";
  out += "# TYPE engram_turns_observed_total counter\n";
  out += "engram_turns_observed_total " + std::to_string(turns_observed_) + "\n";
  out += "# HELP engram_tenants Tenants in the store.\n# TYPE engram_tenants gauge\n";
  out += "engram_tenants " + std::to_string(gauges.tenants) + "\n";
  out += "# HELP engram_enrichment_queue_depth Background enrichment jobs still queued.\n";
  out += "# TYPE engram_enrichment_queue_depth gauge\n";
  out += "engram_enrichment_queue_depth " + std::to_string(gauges.enrichment_queue) + "\n";
  out += "# HELP engram_http_requests_in_flight Requests being served now.\n";
  out += "# TYPE engram_http_requests_in_flight gauge\n";
  out += "engram_http_requests_in_flight " + std::to_string(gauges.in_flight) + "\n";
  return out;
}

}  // namespace engram::service

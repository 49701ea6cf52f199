// Metrics: what the HTTP service counts, rendered in the Prometheus text
// exposition format (GET /metrics): requests by route and status, a latency
// histogram per route, turns observed. Gauges read at scrape time (tenants,
// enrichment queue depth, requests in flight) are passed to Render.
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>

namespace engram::service {

class Metrics {
 public:
  // Upper bounds (seconds) of the latency histogram's buckets.
  static constexpr std::array<double, 12> kBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                      0.1,   0.25,   0.5,   1.0,  2.5,   10.0};

  // One finished request: `route` is the route's pattern
  // ("/v1/tenants/{tenant}/recall"), so tenants do not become label values.
  void RecordRequest(const std::string& method, const std::string& route, int status, double seconds);
  void AddTurnsObserved(uint64_t n);

  struct Gauges {
    uint64_t tenants = 0;
    uint64_t enrichment_queue = 0;
    uint64_t in_flight = 0;
  };
  std::string Render(const Gauges& gauges) const;

 private:
  struct Histogram {
    std::array<uint64_t, kBuckets.size()> counts{};  // not cumulative; Render sums
    uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mu_;
  std::map<std::pair<std::string, std::string>, std::map<int, uint64_t>> requests_;  // (method, route) -> status -> n
  std::map<std::pair<std::string, std::string>, Histogram> latency_;
  uint64_t turns_observed_ = 0;
};

}  // namespace engram::service

// Observe throughput of the event log against raw RocksDB writing the same
// bytes.
//
// BM_EngramObserve: Store::Observe (batch 1) or ObserveBatch, log_only (the
// log's write path; the tiers add derivation on top of it).
// BM_RawRocksDB: one rocksdb::WriteBatch per call holding exactly the keys
// and values engram writes for the same turns (turn record, source id entry,
// last_seq), in one default column family, WAL on, with the event log's
// DB-level settings (parallelism 2, LZ4) so the difference is engram's own
// work: validation, the idempotency lookup, encoding, the writer lock.
//
// Both sync off and on (fsync per call). items = turns, bytes = key + value
// bytes written. At the end a table gives engram/raw for each configuration,
// from medians when run with --benchmark_repetitions (goal: >= 0.7).
//
//   observe_bench --benchmark_repetitions=5 --benchmark_enable_random_interleaving=true
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include "engram/store.h"
#include "log/key_codec.h"
#include "../../tests/testing/temp_dir.h"

namespace engram {
namespace {

constexpr char kTenant[] = "bench-tenant";
constexpr size_t kTextBytes = 200;  // a typical conversation turn

Turn MakeTurn(uint64_t n) {
  Turn turn;
  turn.session = "session_" + std::to_string(n / 100);
  turn.speaker = n % 2 ? "Caroline" : "Melanie";
  turn.text = "turn " + std::to_string(n) + ": ";
  while (turn.text.size() < kTextBytes) turn.text += "we talked about painting and the support group. ";
  turn.text.resize(kTextBytes);
  turn.time_ms = 1683554160000LL + static_cast<int64_t>(n) * 1000;
  turn.source_id = "D" + std::to_string(n);
  return turn;
}

// Calls put(key, value) for every key/value pair engram's log writes for
// these turns (seqs from first_seq), so raw RocksDB can write the very same
// bytes.
template <typename Put>
void ForEachLogWrite(const std::vector<Turn>& turns, uint64_t first_seq, Put&& put) {
  uint64_t seq = first_seq;
  std::string seq_bytes;
  for (const Turn& t : turns) {
    seq_bytes.clear();
    log::PutFixed64BE(&seq_bytes, seq);
    put(log::TurnKey(kTenant, seq), log::EncodeTurn(t));
    put(log::SourceIdKey(kTenant, t.source_id), seq_bytes);
    ++seq;
  }
  seq_bytes.clear();
  log::PutFixed64BE(&seq_bytes, seq - 1);
  put(std::string("last_seq"), seq_bytes);
}

int64_t BytesOf(const std::vector<Turn>& turns) {
  int64_t bytes = 0;
  ForEachLogWrite(turns, 1, [&](const std::string& k, const std::string& v) {
    bytes += static_cast<int64_t>(k.size() + v.size());
  });
  return bytes;
}

void BM_EngramObserve(benchmark::State& state) {
  const size_t batch_size = static_cast<size_t>(state.range(0));
  WriteOptions wo;
  wo.sync = state.range(1) != 0;
  testing::TempDir dir;
  Options options;
  options.log_only = true;
  auto opened = Store::Open(options, dir.Sub("store"));
  if (!opened.ok()) {
    state.SkipWithError(opened.status().ToString().c_str());
    return;
  }
  std::unique_ptr<Store> store = std::move(*opened);
  uint64_t n = 0;
  std::vector<Turn> batch(batch_size);
  for (auto _ : state) {
    for (auto& t : batch) t = MakeTurn(n++);
    if (batch_size == 1) {
      auto seq = store->Observe(kTenant, batch[0], wo);
      if (!seq.ok()) state.SkipWithError(seq.status().ToString().c_str());
    } else {
      auto seqs = store->ObserveBatch(kTenant, batch, wo);
      if (!seqs.ok()) state.SkipWithError(seqs.status().ToString().c_str());
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(n));
  state.SetBytesProcessed(BytesOf(batch) * static_cast<int64_t>(state.iterations()));
}

void BM_RawRocksDB(benchmark::State& state) {
  const size_t batch_size = static_cast<size_t>(state.range(0));
  rocksdb::WriteOptions wo;
  wo.sync = state.range(1) != 0;
  testing::TempDir dir;
  rocksdb::Options options;
  options.create_if_missing = true;
  options.IncreaseParallelism(2);
  options.compression = rocksdb::kLZ4Compression;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(options, dir.Sub("raw"), &raw);
  if (!s.ok()) {
    state.SkipWithError(s.ToString().c_str());
    return;
  }
  std::unique_ptr<rocksdb::DB> db(raw);
  uint64_t n = 0;
  std::vector<Turn> batch(batch_size);
  for (auto _ : state) {
    // Making the turns and encoding them is timed on both sides: a program
    // storing turns in RocksDB by hand has to serialise them too.
    for (auto& t : batch) t = MakeTurn(n++);
    rocksdb::WriteBatch wb;
    ForEachLogWrite(batch, n - batch_size + 1, [&](const std::string& k, const std::string& v) { wb.Put(k, v); });
    s = db->Write(wo, &wb);
    if (!s.ok()) state.SkipWithError(s.ToString().c_str());
  }
  state.SetItemsProcessed(static_cast<int64_t>(n));
  state.SetBytesProcessed(BytesOf(batch) * static_cast<int64_t>(state.iterations()));
  db->Close();
}

void Configs(benchmark::internal::Benchmark* b) {
  b->ArgNames({"batch", "sync"});
  for (int sync : {0, 1}) {
    for (int batch : {1, 16, 256}) b->Args({batch, sync});
  }
  b->Unit(benchmark::kMicrosecond);
  // Wall time: with sync on, the time is spent waiting for fsync, not on a CPU.
  b->UseRealTime();
}

BENCHMARK(BM_EngramObserve)->Apply(Configs);
BENCHMARK(BM_RawRocksDB)->Apply(Configs);

// Console output plus, at the end, engram/raw items_per_second per
// configuration (medians when repetitions give them, else the last run).
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      if (run.error_occurred) continue;
      auto it = run.counters.find("items_per_second");
      if (it == run.counters.end()) continue;
      const bool median = run.run_type == Run::RT_Aggregate && run.aggregate_name == "median";
      const bool single = run.run_type == Run::RT_Iteration;
      if (!median && !single) continue;
      Entry& e = rates_[run.run_name.args][run.run_name.function_name];
      if (median || !e.median) e = Entry{it->second.value, median};
    }
  }
  void Finalize() override {
    ConsoleReporter::Finalize();
    std::printf("\n%-22s %14s %14s %8s\n", "config", "engram items/s", "raw items/s", "ratio");
    for (const auto& [config, by_fn] : rates_) {
      auto e = by_fn.find("BM_EngramObserve"), r = by_fn.find("BM_RawRocksDB");
      if (e == by_fn.end() || r == by_fn.end() || r->second.rate <= 0) continue;
      std::printf("%-22s %14.0f %14.0f %8.2f%s\n", config.c_str(), e->second.rate, r->second.rate,
                  e->second.rate / r->second.rate, e->second.median && r->second.median ? " (medians)" : "");
    }
  }

 private:
  struct Entry {
    double rate = 0;
    bool median = false;
  };
  std::map<std::string, std::map<std::string, Entry>> rates_;
};

}  // namespace
}  // namespace engram

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  engram::RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}

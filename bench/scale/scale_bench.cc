// Scale benchmark: engram at real sizes, through the public API.
//
// Phases (each with its own store folder):
//   turns      one tenant of N turns per --turns size: ingest CPU per turn
//              (with and without embedding), store bytes per turn, open
//              time, cold first Recall, steady Recall p50/p99 (with and
//              without the query embedding), vector recall@10 against an
//              exact scan, RSS and peak RSS, close time after 1000 new turns.
//   tenants    T tenants x 20 turns per --tenants count: ingest rate, RSS
//              against Options::memory_budget_bytes, first Recall of an
//              untouched tenant p50/p99 after reopening.
//   concurrency  one synced writer alone; the same writer with --readers
//              reader threads on its tenant and on others; the writes of a
//              small tenant while another, large tenant is loaded cold.
//
// Prints a table with the targets beside the figures; --json FILE writes
// the same figures as JSON. With --repetitions R every phase runs R times
// and medians are reported. Not a Google Benchmark program: the phases are
// long and ordered (ingest, close, reopen, recall), not loops.
//
//   scale_bench --turns 1000,10000,100000 --tenants 1000,10000
//   scripts/scale-bench.sh --turns 1000 --tenants 100      (Release build)
//
// Times are wall clock unless named CPU (process CPU time, every thread,
// RocksDB's background threads included). RSS figures are the whole
// process's (VmRSS, VmHWM from /proc/self/status; the peak is reset at the
// start of each measured step).
#include <malloc.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "engram/engram.h"
#include "testing/synthetic_conversation.h"

namespace engram::bench {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using Metrics = std::map<std::string, double>;

// --- Configuration -----------------------------------------------------------

struct Config {
  std::vector<size_t> turns = {1000, 10000, 100000};
  std::vector<size_t> tenants = {1000, 10000};
  std::string embedder = "hashing";
  std::optional<std::string> index;  // Options::vector_index; unset = Options' default
  size_t memory_budget_mb = 0;
  size_t readers = 8;
  size_t queries = 200;
  size_t repetitions = 1;
  std::string dir;  // empty: a temporary folder, removed afterwards
  std::string json;
  size_t cold_tenant_turns = 10000;  // the large tenant loaded cold in the concurrency phase
  size_t writes = 300;               // synced writes per concurrency measurement
  size_t tenants_turns = 20;         // turns per tenant in the tenants phase
  size_t tenants_sampled = 200;      // untouched tenants recalled after reopening
  bool skip_concurrency = false;
  bool verbose = false;
  // With dir: a single-tenant store ingested there by an earlier run is
  // reopened as it is (no ingest, no new turns), for measuring recall again.
  bool reuse = false;
  bool skip_vector_recall = false;  // leave out recall@10 against an exact scan (slow at 1M)
};

// --- Measuring tools -----------------------------------------------------------

double ProcessCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// A field of /proc/self/status in MiB ("VmRSS", "VmHWM"); 0 if unreadable.
double ProcStatusMb(const std::string& field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::strtod(line.c_str() + field.size() + 1, nullptr) / 1024.0;
  }
  return 0;
}

// Returns freed heap to the system (what an earlier phase left behind
// would otherwise count in this one's RSS), then resets VmHWM to the
// current RSS, so the next peak is that of one step.
void ResetPeakRss() {
  malloc_trim(0);
  std::ofstream out("/proc/self/clear_refs");
  out << "5";
}

uint64_t FolderBytes(const std::string& path) {
  uint64_t total = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(path, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (it->is_regular_file(ec)) total += it->file_size(ec);
  }
  return total;
}

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  size_t i = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(values.size())));
  return values[std::min(values.size() - 1, i == 0 ? 0 : i - 1)];
}

double Median(std::vector<double> values) { return Percentile(std::move(values), 50); }

// Progress on stderr, so a long run shows where it is.
void Progress(const std::string& what) {
  static const auto start = Clock::now();
  std::fprintf(stderr, "[%8.1f s] %s\n", SecondsSince(start), what.c_str());
}

[[noreturn]] void Fail(const std::string& what, const Status& status) {
  std::fprintf(stderr, "scale_bench: %s: %s\n", what.c_str(), status.ToString().c_str());
  std::exit(1);
}

template <typename T>
T Must(Result<T> result, const std::string& what) {
  if (!result.ok()) Fail(what, result.status());
  return std::move(result).value();
}

// --- Stores ------------------------------------------------------------------

class Bench {
 public:
  Bench(Config config, std::shared_ptr<Embedder> embedder, std::string root)
      : config_(std::move(config)), embedder_(std::move(embedder)), root_(std::move(root)) {}

  Metrics SingleTenant(size_t turns, size_t repetition);
  Metrics Tenants(size_t tenants, size_t repetition);
  Metrics Concurrency(size_t repetition);

 private:
  Options StoreOptions() const {
    Options options;
    options.embedder = embedder_;
    if (config_.index) options.vector_index = *config_.index;
    options.memory_budget_bytes = config_.memory_budget_mb << 20;
    return options;
  }
  std::unique_ptr<Store> Open(const std::string& path) const {
    return Must(Store::Open(StoreOptions(), path), "opening the store in " + path);
  }
  std::string FreshFolder(const std::string& name) const {
    std::string path = root_ + "/" + name;
    fs::remove_all(path);
    return path;
  }
  // "Skip nothing": the router and every tier.
  static RecallOptions FullRecall() {
    RecallOptions options;
    options.tiers = {Tier::kWorking, Tier::kEpisodic, Tier::kPersona, Tier::kGraph};
    return options;
  }
  static std::vector<std::string> Questions(const testing::SyntheticConversation& c, size_t n);
  void Ingest(const std::string& path, const testing::SyntheticConversation& conv, size_t turns, Metrics* metrics);
  double EmbedCpuSeconds(const std::vector<std::string>& texts) const;
  double VectorRecallAt10(Store& store, const std::string& tenant, const std::vector<std::string>& questions) const;

  Config config_;
  std::shared_ptr<Embedder> embedder_;
  std::string root_;
};

// Probe questions first (they have answers in the conversation), then
// generic ones, cycling until there are n.
std::vector<std::string> Bench::Questions(const testing::SyntheticConversation& c, size_t n) {
  static const char* const kGeneric[] = {
      "What did they cook for dinner?", "Where did they travel last year?", "How is the dog doing?",
      "What hobby did they pick up?", "Who is visiting this weekend?", "What happened at work?",
      "When is the concert?", "What food did they have in Lisbon?"};
  std::vector<std::string> out;
  for (const auto& p : c.probes) {
    if (out.size() >= n) break;
    out.push_back(p.question);
  }
  for (size_t i = 0; out.size() < n; ++i) {
    out.push_back(i < std::size(kGeneric) || c.speakers.empty()
                      ? kGeneric[i % std::size(kGeneric)]
                      : std::string(kGeneric[i % std::size(kGeneric)]) + " " + c.speakers[i % 2]);
  }
  return out;
}

// CPU time of embedding `texts` on this thread, in the batches the store
// uses: the part of the ingest cost the embedder accounts for.
double Bench::EmbedCpuSeconds(const std::vector<std::string>& texts) const {
  constexpr size_t kBatch = 64;
  double start = ThreadCpuSeconds();
  for (size_t i = 0; i < texts.size(); i += kBatch) {
    size_t n = std::min(kBatch, texts.size() - i);
    (void)Must(embedder_->Embed(std::span<const std::string>(texts.data() + i, n)), "embedding");
  }
  return ThreadCpuSeconds() - start;
}

// Vector recall@10 of the store's index: the share of route="vector" hits
// (one per turn: the best of the turn and its event units) that an exact
// scan over the same documents ranks in its top 10. A hit scoring within
// 1e-5 of the exact 10th score counts (ties between equal texts are
// arbitrary). Documents are embedded with the text the store indexes them
// with ("speaker: text" for a turn, the text for an event unit).
double Bench::VectorRecallAt10(Store& store, const std::string& tenant,
                               const std::vector<std::string>& questions) const {
  constexpr size_t kK = 10;
  RecallOptions vector_only;
  vector_only.route = "vector";
  vector_only.k = kK;
  const size_t dim = embedder_->dim();
  std::vector<float> qv = Must(embedder_->Embed(questions), "embedding the questions");
  // Each query's hits, and for each hit turn, the queries it was returned for.
  std::vector<std::vector<std::string>> hits(questions.size());
  std::unordered_map<std::string, std::vector<size_t>> hit_queries;
  for (size_t q = 0; q < questions.size(); ++q) {
    auto r = Must(store.Recall(tenant, questions[q], vector_only), "vector recall");
    for (const auto& h : r.hits) {
      if (h.source_ids.empty()) continue;
      hits[q].push_back(h.source_ids.front());
      hit_queries[h.source_ids.front()].push_back(q);
    }
  }
  // The documents, with the turn (an index into `turn_ids`) each stands for.
  std::vector<std::string> texts, turn_ids;
  std::unordered_map<std::string, uint32_t> turn_index;
  std::vector<uint32_t> doc_turn;
  for (const auto& t : Must(store.ScanTurns(tenant), "scanning turns")) {
    texts.push_back(t.turn.speaker + ": " + t.turn.text);
    turn_index.emplace(t.turn.source_id, static_cast<uint32_t>(turn_ids.size()));
    doc_turn.push_back(static_cast<uint32_t>(turn_ids.size()));
    turn_ids.push_back(t.turn.source_id);
  }
  const size_t turn_count = texts.size();
  for (const auto& u : Must(store.EventUnits(tenant), "reading event units")) {
    if (u.source_ids.empty()) continue;
    auto it = turn_index.find(u.source_ids.front());
    if (it == turn_index.end()) continue;
    texts.push_back(u.text);
    doc_turn.push_back(it->second);
  }
  // Per turn, the queries that returned it.
  std::vector<std::vector<size_t>> queries_of_turn(turn_count);
  for (const auto& [id, qs] : hit_queries) {
    if (auto it = turn_index.find(id); it != turn_index.end()) queries_of_turn[it->second] = qs;
  }
  // Exact top-10 turns per query (a turn scores its best document), and
  // the exact score of every hit.
  struct Top {
    std::vector<std::pair<float, uint32_t>> best;  // at most kK (score, turn)
    float floor = -1e30f;                           // the lowest score in `best` once it is full
  };
  std::vector<Top> top(questions.size());
  std::vector<std::unordered_map<uint32_t, float>> hit_score(questions.size());
  constexpr size_t kChunk = 2048;
  for (size_t start = 0; start < texts.size(); start += kChunk) {
    size_t n = std::min(kChunk, texts.size() - start);
    std::vector<float> dv =
        Must(embedder_->Embed(std::span<const std::string>(texts.data() + start, n)), "embedding documents");
    for (size_t d = 0; d < n; ++d) {
      const float* v = dv.data() + d * dim;
      const uint32_t turn = doc_turn[start + d];
      const auto& hq = queries_of_turn[turn];
      for (size_t q = 0; q < questions.size(); ++q) {
        const float* query = qv.data() + q * dim;
        float s = 0;
        for (size_t i = 0; i < dim; ++i) s += query[i] * v[i];
        if (!hq.empty() && std::find(hq.begin(), hq.end(), q) != hq.end()) {
          auto [it, fresh] = hit_score[q].try_emplace(turn, s);
          if (!fresh) it->second = std::max(it->second, s);
        }
        Top& t = top[q];
        // Below the floor of a full list: neither a new entry nor a better
        // score for a listed turn (whose score is at least the floor).
        if (t.best.size() == kK && s <= t.floor) continue;
        auto same = std::find_if(t.best.begin(), t.best.end(), [&](const auto& e) { return e.second == turn; });
        if (same != t.best.end()) {
          same->first = std::max(same->first, s);
        } else if (t.best.size() < kK) {
          t.best.emplace_back(s, turn);
        } else {
          *std::min_element(t.best.begin(), t.best.end()) = {s, turn};
        }
        if (t.best.size() == kK) t.floor = std::min_element(t.best.begin(), t.best.end())->first;
      }
    }
  }
  const size_t expected = std::min(kK, turn_count);
  if (expected == 0) return 1.0;
  double total = 0;
  for (size_t q = 0; q < questions.size(); ++q) {
    const auto& best = top[q].best;
    float tenth = best.empty() ? 0 : std::min_element(best.begin(), best.end())->first;
    size_t good = 0;
    for (const auto& id : hits[q]) {
      auto it = turn_index.find(id);
      if (it == turn_index.end()) continue;
      auto score = hit_score[q].find(it->second);
      good += score != hit_score[q].end() && score->second >= tenth - 1e-5f;
    }
    total += static_cast<double>(std::min(good, expected)) / static_cast<double>(expected);
  }
  return total / static_cast<double>(questions.size());
}

// Writes the first `turns` turns of `conv` to a new store at `path`, one
// Observe per turn (what an agent does), and closes it.
void Bench::Ingest(const std::string& path, const testing::SyntheticConversation& conv, size_t turns,
                   Metrics* metrics) {
  Metrics& m = *metrics;
  const std::string tenant = "tenant";
  Progress("turns=" + std::to_string(turns) + ": ingest");
  ResetPeakRss();
  auto store = Open(path);
  double cpu0 = ProcessCpuSeconds();
  auto wall0 = Clock::now();
  for (size_t i = 0; i < turns; ++i) (void)Must(store->Observe(tenant, conv.turns[i]), "observing");
  double ingest_cpu = ProcessCpuSeconds() - cpu0;
  m["ingest_wall_s"] = SecondsSince(wall0);
  m["ingest_turns_per_s"] = static_cast<double>(turns) / m["ingest_wall_s"];
  m["ingest_cpu_us_per_turn"] = ingest_cpu * 1e6 / static_cast<double>(turns);
  m["rss_after_ingest_mb"] = ProcStatusMb("VmRSS");
  m["peak_rss_ingest_mb"] = ProcStatusMb("VmHWM");

  // The embedder's share: the same texts the store embedded.
  std::vector<std::string> texts;
  for (size_t i = 0; i < turns; ++i) texts.push_back(conv.turns[i].speaker + ": " + conv.turns[i].text);
  for (const auto& u : Must(store->EventUnits(tenant), "reading event units")) texts.push_back(u.text);
  m["units_per_turn"] = static_cast<double>(texts.size() - turns) / static_cast<double>(turns);
  m["distinct_document_share"] =
      static_cast<double>(std::set<std::string>(texts.begin(), texts.end()).size()) / static_cast<double>(texts.size());
  double embed_cpu = EmbedCpuSeconds(texts);
  m["embed_cpu_us_per_turn"] = embed_cpu * 1e6 / static_cast<double>(turns);
  m["ingest_cpu_us_per_turn_excl_embed"] = (ingest_cpu - embed_cpu) * 1e6 / static_cast<double>(turns);

  auto close0 = Clock::now();
  store.reset();
  m["close_after_ingest_ms"] = SecondsSince(close0) * 1e3;
}

Metrics Bench::SingleTenant(size_t turns, size_t repetition) {
  Metrics m;
  const std::string tenant = "tenant";
  testing::GeneratorOptions gen;
  gen.seed = 1000 + turns;
  gen.turns = turns + 1000;  // the last 1000 are written after reopening
  const testing::SyntheticConversation conv = testing::GenerateConversation(gen);
  const std::string name = "turns_" + std::to_string(turns) + "_" + std::to_string(repetition);
  const std::string done_marker = root_ + "/" + name + ".ingested";
  const bool reuse = config_.reuse && fs::exists(done_marker);
  const std::string path = reuse ? root_ + "/" + name : FreshFolder(name);
  if (reuse) {
    Progress("turns=" + std::to_string(turns) + ": reusing the store ingested before");
  } else {
    fs::remove(done_marker);
    Ingest(path, conv, turns, &m);
    std::ofstream(done_marker) << turns << "\n";
  }
  m["store_bytes_per_turn"] = static_cast<double>(FolderBytes(path)) / static_cast<double>(turns);

  // Reopen: open time, the cold first Recall (loads the tenant), then steady.
  Progress("turns=" + std::to_string(turns) + ": reopen and recall");
  const std::vector<std::string> questions = Questions(conv, config_.queries);
  const RecallOptions full = FullRecall();
  ResetPeakRss();
  auto open0 = Clock::now();
  auto store = Open(path);
  m["open_ms"] = SecondsSince(open0) * 1e3;
  double cpu0 = ProcessCpuSeconds();
  auto cold0 = Clock::now();
  (void)Must(store->Recall(tenant, questions.front(), full), "cold recall");
  m["cold_recall_ms"] = SecondsSince(cold0) * 1e3;
  m["cold_recall_cpu_ms"] = (ProcessCpuSeconds() - cpu0) * 1e3;
  std::vector<double> wall_ms, search_ms;
  for (const auto& q : questions) {
    auto t0 = Clock::now();
    auto r = Must(store->Recall(tenant, q, full), "recall");
    wall_ms.push_back(SecondsSince(t0) * 1e3);
    search_ms.push_back(static_cast<double>(r.search_us) / 1e3);
  }
  m["recall_p50_ms"] = Percentile(wall_ms, 50);
  m["recall_p99_ms"] = Percentile(wall_ms, 99);
  m["recall_search_p50_ms"] = Percentile(search_ms, 50);
  m["recall_search_p99_ms"] = Percentile(search_ms, 99);
  m["rss_steady_mb"] = ProcStatusMb("VmRSS");
  m["peak_rss_reopen_mb"] = ProcStatusMb("VmHWM");
  m["peak_over_steady"] = m["peak_rss_reopen_mb"] / std::max(1.0, m["rss_steady_mb"]);
  if (!config_.skip_vector_recall) {
    Progress("turns=" + std::to_string(turns) + ": recall@10 against an exact scan");
    m["vector_recall_at_10"] = VectorRecallAt10(*store, tenant, questions);
  }
  Progress("turns=" + std::to_string(turns) + ": 1000 more turns and close");

  // 1000 new turns, then close: what a restart after a busy hour costs.
  // A reused store is left as it was.
  if (!reuse) {
    for (size_t i = turns; i < conv.turns.size(); ++i) {
      (void)Must(store->Observe(tenant, conv.turns[i]), "observing");
    }
  }
  auto close0 = Clock::now();
  store.reset();
  m[reuse ? "close_ms" : "close_after_1000_new_ms"] = SecondsSince(close0) * 1e3;
  if (config_.dir.empty()) fs::remove_all(path);
  return m;
}

Metrics Bench::Tenants(size_t tenants, size_t repetition) {
  Metrics m;
  const std::string path = FreshFolder("tenants_" + std::to_string(tenants) + "_" + std::to_string(repetition));
  auto name = [](size_t t) { return "tenant-" + std::to_string(t); };
  ResetPeakRss();
  const double rss_before = ProcStatusMb("VmRSS");
  auto store = Open(path);
  Progress("tenants=" + std::to_string(tenants) + ": ingest");
  double cpu0 = ProcessCpuSeconds();
  auto wall0 = Clock::now();
  size_t written = 0;
  for (size_t t = 0; t < tenants; ++t) {
    testing::GeneratorOptions gen;
    gen.seed = t + 1;
    gen.turns = config_.tenants_turns;
    for (const Turn& turn : testing::GenerateConversation(gen).turns) {
      (void)Must(store->Observe(name(t), turn), "observing");
      ++written;
    }
  }
  m["ingest_turns_per_s"] = static_cast<double>(written) / SecondsSince(wall0);
  m["ingest_cpu_us_per_turn"] = (ProcessCpuSeconds() - cpu0) * 1e6 / static_cast<double>(written);
  m["rss_after_ingest_mb"] = ProcStatusMb("VmRSS");
  m["peak_rss_ingest_mb"] = ProcStatusMb("VmHWM");
  m["rss_growth_mb"] = m["rss_after_ingest_mb"] - rss_before;
  m["memory_budget_mb"] = static_cast<double>(config_.memory_budget_mb);
  store.reset();
  m["store_bytes_per_turn"] = static_cast<double>(FolderBytes(path)) / static_cast<double>(written);

  // Reopen; the first Recall of tenants nobody touched since.
  Progress("tenants=" + std::to_string(tenants) + ": reopen and first recalls");
  store = Open(path);
  const size_t sampled = std::min(tenants, config_.tenants_sampled);
  const RecallOptions full = FullRecall();
  std::vector<double> first_ms;
  for (size_t s = 0; s < sampled; ++s) {
    size_t t = s * tenants / sampled;  // spread over the key space
    auto t0 = Clock::now();
    (void)Must(store->Recall(name(t), "Where did they move to?", full), "recall");
    first_ms.push_back(SecondsSince(t0) * 1e3);
  }
  m["untouched_first_recall_p50_ms"] = Percentile(first_ms, 50);
  m["untouched_first_recall_p99_ms"] = Percentile(first_ms, 99);
  m["rss_after_recalls_mb"] = ProcStatusMb("VmRSS");
  store.reset();
  if (config_.dir.empty()) fs::remove_all(path);
  return m;
}

// Latencies of synced writes to `tenant`, in ms, and when each started (s
// since `epoch`).
struct WriteLog {
  std::vector<double> latency_ms;
  std::vector<double> start_s;
  double seconds = 0;
};

// Writes turn(0), turn(1), ... synced: `count` of them, or until `stop`,
// or for at most `max_seconds` (a starved writer does not hang the run).
WriteLog SyncedWrites(Store& store, const std::string& tenant, const std::function<Turn(size_t)>& turn, size_t count,
                      const std::atomic<bool>* stop, Clock::time_point epoch, double max_seconds = 60) {
  WriteOptions sync;
  sync.sync = true;
  WriteLog log;
  auto start = Clock::now();
  for (size_t i = 0; i < count; ++i) {
    if ((stop != nullptr && stop->load()) || SecondsSince(start) > max_seconds) break;
    Turn t = turn(i);
    auto t0 = Clock::now();
    (void)Must(store.Observe(tenant, t, sync), "synced write");
    log.latency_ms.push_back(SecondsSince(t0) * 1e3);
    log.start_s.push_back(std::chrono::duration<double>(t0 - epoch).count());
  }
  log.seconds = SecondsSince(start);
  return log;
}

Metrics Bench::Concurrency(size_t repetition) {
  Metrics m;
  const std::string path = FreshFolder("concurrency_" + std::to_string(repetition));
  auto store = Open(path);
  // Setup (not measured): a large tenant, one small tenant per reader, and
  // the writer's tenant, each with its own conversation.
  auto conversation = [](uint64_t seed, size_t turns) {
    testing::GeneratorOptions gen;
    gen.seed = seed;
    gen.turns = turns;
    return testing::GenerateConversation(gen);
  };
  auto load = [&](const std::string& tenant, const std::vector<Turn>& turns) {
    constexpr size_t kBatch = 200;
    for (size_t i = 0; i < turns.size(); i += kBatch) {
      size_t n = std::min(kBatch, turns.size() - i);
      (void)Must(store->ObserveBatch(tenant, std::span<const Turn>(turns.data() + i, n)), "loading " + tenant);
    }
  };
  Progress("concurrency: setup");
  const auto large = conversation(77, config_.cold_tenant_turns);
  load("large", large.turns);
  std::vector<std::string> others;
  for (size_t r = 0; r < std::max<size_t>(1, config_.readers); ++r) {
    others.push_back("small-" + std::to_string(r));
    load(others.back(), conversation(200 + r, 200).turns);
  }
  const size_t writes = config_.writes;
  const auto writer_conv = conversation(99, 1000);
  load("writer", std::vector<Turn>(writer_conv.turns.begin(), writer_conv.turns.begin() + 200));
  // New turns for the writer, as many as needed: the conversation again
  // under fresh source ids.
  size_t next_write = 0;
  auto next_turn = [&](size_t) {
    size_t i = next_write++;
    Turn t = writer_conv.turns[200 + i % (writer_conv.turns.size() - 200)];
    t.source_id += "/w" + std::to_string(i);
    return t;
  };
  const std::vector<std::string> questions = Questions(writer_conv, 50);
  const RecallOptions full = FullRecall();

  // Readers: half on the writer's tenant, half on other tenants.
  auto run_readers = [&](size_t per_reader, const std::atomic<bool>* stop) {
    std::vector<std::vector<double>> lat(config_.readers);
    std::vector<std::thread> threads;
    for (size_t r = 0; r < config_.readers; ++r) {
      threads.emplace_back([&, r] {
        const std::string tenant = r % 2 == 0 ? std::string("writer") : others[r % others.size()];
        // With `stop`: until it is set, or 60 s (a writer the readers starve
        // gets the lock then, and the run ends).
        const auto begin = Clock::now();
        for (size_t i = 0; stop != nullptr ? !stop->load() && SecondsSince(begin) < 60 : i < per_reader; ++i) {
          auto t0 = Clock::now();
          (void)Must(store->Recall(tenant, questions[(i + r) % questions.size()], full), "reader recall");
          lat[r].push_back(SecondsSince(t0) * 1e3);
        }
      });
    }
    for (auto& t : threads) t.join();
    std::vector<double> all;
    for (auto& l : lat) all.insert(all.end(), l.begin(), l.end());
    return all;
  };
  for (const auto& t : others) (void)Must(store->Recall(t, "hello", full), "warming up");
  (void)Must(store->Recall("writer", "hello", full), "warming up");

  Progress("concurrency: writer alone, readers alone");
  const auto epoch = Clock::now();
  WriteLog solo = SyncedWrites(*store, "writer", next_turn, writes, nullptr, epoch);
  m["writer_solo_turns_per_s"] = static_cast<double>(solo.latency_ms.size()) / solo.seconds;
  m["writer_solo_p99_ms"] = Percentile(solo.latency_ms, 99);
  std::vector<double> readers_solo = run_readers(std::max<size_t>(20, writes / 4), nullptr);
  m["reader_solo_p50_ms"] = Percentile(readers_solo, 50);
  m["reader_solo_p99_ms"] = Percentile(readers_solo, 99);

  Progress("concurrency: writer with readers");
  std::atomic<bool> stop{false};
  std::vector<double> readers_busy;
  std::thread reader_group([&] { readers_busy = run_readers(0, &stop); });
  WriteLog busy = SyncedWrites(*store, "writer", next_turn, writes, nullptr, epoch);
  stop = true;
  reader_group.join();
  m["writer_with_readers_turns_per_s"] = static_cast<double>(busy.latency_ms.size()) / busy.seconds;
  m["writer_with_readers_p99_ms"] = Percentile(busy.latency_ms, 99);
  m["writer_throughput_ratio"] = m["writer_with_readers_turns_per_s"] / m["writer_solo_turns_per_s"];
  m["reader_with_writer_p50_ms"] = Percentile(readers_busy, 50);
  m["reader_with_writer_p99_ms"] = Percentile(readers_busy, 99);
  m["reader_p99_ratio"] = m["reader_with_writer_p99_ms"] / std::max(1e-3, m["reader_solo_p99_ms"]);

  // A cold load of the large tenant while another tenant writes.
  Progress("concurrency: cold load during writes");
  store.reset();
  store = Open(path);
  (void)Must(store->Observe("writer", next_turn(0)), "loading the writer's tenant");
  stop = false;
  const auto cold_epoch = Clock::now();
  WriteLog during;
  std::thread writer([&] {
    during = SyncedWrites(*store, "writer", next_turn, std::numeric_limits<size_t>::max(), &stop, cold_epoch, 3600);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const double load_from = SecondsSince(cold_epoch);
  (void)Must(store->Recall("large", "Where did they move to?", full), "cold recall of the large tenant");
  const double load_to = SecondsSince(cold_epoch);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  stop = true;
  writer.join();
  std::vector<double> in_load, outside;
  for (size_t i = 0; i < during.latency_ms.size(); ++i) {
    double begin = during.start_s[i], end = begin + during.latency_ms[i] / 1e3;
    (begin < load_to && end > load_from ? in_load : outside).push_back(during.latency_ms[i]);
  }
  m["cold_load_ms"] = (load_to - load_from) * 1e3;
  m["write_during_cold_load_max_ms"] = in_load.empty() ? 0 : *std::max_element(in_load.begin(), in_load.end());
  m["write_during_cold_load_p99_ms"] = Percentile(in_load, 99);
  m["write_outside_cold_load_p50_ms"] = Percentile(outside, 50);
  m["write_outside_cold_load_p99_ms"] = Percentile(outside, 99);
  m["cold_load_adds_to_writes_ms"] = m["write_during_cold_load_max_ms"] - m["write_outside_cold_load_p50_ms"];
  store.reset();
  if (config_.dir.empty()) fs::remove_all(path);
  return m;
}

// --- Report ------------------------------------------------------------------

struct Target {
  std::string text;
  std::function<bool(const Metrics&, double)> met;  // empty: informational
};

// The figures the store is held to (at 1M turns / 100k tenants; printed
// beside every size so the trend is visible).
const std::map<std::string, Target>& Targets() {
  static const auto* targets = new std::map<std::string, Target>{
      {"cold_recall_ms", {"<= 2000 ms at 1M", [](const Metrics&, double v) { return v <= 2000; }}},
      {"recall_search_p99_ms", {"<= 5 ms at 1M", [](const Metrics&, double v) { return v <= 5; }}},
      {"vector_recall_at_10", {">= 0.95", [](const Metrics&, double v) { return v >= 0.95; }}},
      {"ingest_cpu_vs_10k", {"<= 1.2 (1M vs 10k)", [](const Metrics&, double v) { return v <= 1.2; }}},
      {"close_after_1000_new_ms", {"<= 1000 ms", [](const Metrics&, double v) { return v <= 1000; }}},
      {"peak_over_steady", {"<= 1.3", [](const Metrics&, double v) { return v <= 1.3; }}},
      {"store_bytes_per_turn", {"<= 3072 B (512-d)", [](const Metrics&, double v) { return v <= 3072; }}},
      {"untouched_first_recall_p99_ms", {"<= 20 ms at 100k tenants", [](const Metrics&, double v) { return v <= 20; }}},
      {"rss_growth_mb",
       {"<= budget",
        [](const Metrics& m, double v) {
          double budget = m.count("memory_budget_mb") ? m.at("memory_budget_mb") : 0;
          return budget == 0 || v <= budget;
        }}},
      {"writer_throughput_ratio", {">= 0.5", [](const Metrics&, double v) { return v >= 0.5; }}},
      {"reader_p99_ratio", {"<= 2.0", [](const Metrics&, double v) { return v <= 2.0; }}},
      {"cold_load_adds_to_writes_ms", {"<= 10 ms", [](const Metrics&, double v) { return v <= 10; }}},
  };
  return *targets;
}

Metrics MedianOf(const std::vector<Metrics>& runs) {
  Metrics out;
  if (runs.empty()) return out;
  for (const auto& [name, unused] : runs.front()) {
    std::vector<double> values;
    for (const auto& r : runs) values.push_back(r.at(name));
    out[name] = Median(values);
  }
  return out;
}

struct Section {
  std::string name;  // "turns=10000", "tenants=1000", "concurrency"
  Metrics metrics;
};

void PrintSection(const Section& s) {
  std::printf("\n== %s\n", s.name.c_str());
  std::printf("  %-38s %14s   %s\n", "figure", "value", "target");
  for (const auto& [name, value] : s.metrics) {
    std::string target;
    if (auto it = Targets().find(name); it != Targets().end()) {
      target = it->second.text + (it->second.met(s.metrics, value) ? "  ok" : "  MISS");
    }
    std::printf("  %-38s %14.3f   %s\n", name.c_str(), value, target.c_str());
  }
  std::fflush(stdout);
}

nlohmann::json ToJson(const Config& config, const std::string& identity, const std::vector<Section>& sections) {
  nlohmann::json j;
  j["config"] = {{"turns", config.turns},
                 {"tenants", config.tenants},
                 {"embedder", identity},
                 {"index", config.index.value_or(Options{}.vector_index)},
                 {"memory_budget_mb", config.memory_budget_mb},
                 {"readers", config.readers},
                 {"queries", config.queries},
                 {"repetitions", config.repetitions},
                 {"cold_tenant_turns", config.cold_tenant_turns},
                 {"writes", config.writes}};
  for (const auto& s : sections) {
    nlohmann::json fig;
    for (const auto& [name, value] : s.metrics) {
      fig[name]["value"] = value;
      if (auto it = Targets().find(name); it != Targets().end()) {
        fig[name]["target"] = it->second.text;
        fig[name]["met"] = it->second.met(s.metrics, value);
      }
    }
    j["sections"][s.name] = fig;
  }
  return j;
}

int Run(int argc, char** argv) {
  Config config;
  CLI::App app{"engram scale benchmark: ingest, recall, memory and concurrency at real sizes"};
  app.add_option("--turns", config.turns, "single-tenant sizes, comma-separated (a store each)")->delimiter(',');
  app.add_option("--tenants", config.tenants, "tenant counts, comma-separated (x --tenant-turns turns each)")
      ->delimiter(',');
  app.add_option("--embedder", config.embedder, "hashing (default) or use-lite")
      ->check(CLI::IsMember({"hashing", "use-lite"}));
  app.add_option("--index", config.index, "Options::vector_index (default: Options' default)");
  app.add_option("--memory-budget-mb", config.memory_budget_mb, "Options::memory_budget_bytes in MiB (0 = unlimited)");
  app.add_option("--readers", config.readers, "reader threads in the concurrency phase (default 8)");
  app.add_option("--queries", config.queries, "Recall calls per steady measurement (default 200)");
  app.add_option("--repetitions", config.repetitions, "runs of each phase; medians reported (default 1)")
      ->check(CLI::PositiveNumber);
  app.add_option("--dir", config.dir, "where the stores go (kept); default a temporary folder, removed");
  app.add_option("--json", config.json, "also write the figures as JSON to this file");
  app.add_option("--cold-tenant-turns", config.cold_tenant_turns,
                 "turns of the tenant loaded cold in the concurrency phase (default 10000)");
  app.add_option("--writes", config.writes, "synced writes per concurrency measurement (default 300)")
      ->check(CLI::PositiveNumber);
  app.add_option("--tenant-turns", config.tenants_turns, "turns per tenant in the tenants phase (default 20)");
  app.add_option("--tenants-sampled", config.tenants_sampled,
                 "untouched tenants recalled after reopening (default 200)");
  app.add_flag("--reuse", config.reuse,
               "with --dir: reopen a single-tenant store an earlier run ingested there, as it is (recall figures "
               "only; no new turns are written)");
  app.add_flag("--skip-vector-recall", config.skip_vector_recall,
               "leave out the vector recall@10 against an exact scan (minutes at 1M turns)");
  app.add_flag("--skip-concurrency", config.skip_concurrency, "leave the concurrency phase out");
  app.add_flag("--verbose", config.verbose, "log what the store does (tenant loads with their phases) to stderr");
  CLI11_PARSE(app, argc, argv);
  if (config.verbose) SetLogLevel(LogLevel::kDebug);
  if (config.queries == 0) config.queries = 1;

  std::shared_ptr<Embedder> embedder =
      config.embedder == "hashing" ? Must(NewHashingEmbedder(), "hashing embedder")
                                   : Must(NewUseLiteEmbedder(), "use-lite embedder");
  std::string root = config.dir;
  bool temporary = root.empty();
  if (temporary) {
    std::string tmpl = (fs::temp_directory_path() / "engram_scale_XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) {
      std::fprintf(stderr, "scale_bench: cannot create a folder from %s\n", tmpl.c_str());
      return 1;
    }
    root = tmpl;
  }
  fs::create_directories(root);
  std::printf("engram scale benchmark: embedder %s, index %s, memory budget %zu MiB, %zu repetition(s)\n",
              embedder->identity().c_str(), config.index.value_or(Options{}.vector_index).c_str(),
              config.memory_budget_mb, config.repetitions);
  Bench bench(config, embedder, root);
  std::vector<Section> sections;
  auto measure = [&](const std::string& name, auto&& phase) {
    std::vector<Metrics> runs;
    for (size_t r = 0; r < config.repetitions; ++r) runs.push_back(phase(r));
    sections.push_back({name, MedianOf(runs)});
    PrintSection(sections.back());
  };
  std::optional<double> cpu_at_10k;
  for (size_t n : config.turns) {
    if (n == 0) continue;
    measure("turns=" + std::to_string(n), [&](size_t r) { return bench.SingleTenant(n, r); });
    Metrics& m = sections.back().metrics;
    if (n == 10000) cpu_at_10k = m["ingest_cpu_us_per_turn"];
  }
  if (cpu_at_10k) {
    for (auto& s : sections) {
      if (s.name.rfind("turns=", 0) == 0 && s.name != "turns=10000") {
        s.metrics["ingest_cpu_vs_10k"] = s.metrics["ingest_cpu_us_per_turn"] / *cpu_at_10k;
        std::printf("  %s ingest_cpu_vs_10k = %.3f (target %s)\n", s.name.c_str(), s.metrics["ingest_cpu_vs_10k"],
                    Targets().at("ingest_cpu_vs_10k").text.c_str());
      }
    }
  }
  for (size_t t : config.tenants) {
    if (t == 0) continue;
    measure("tenants=" + std::to_string(t), [&](size_t r) { return bench.Tenants(t, r); });
  }
  if (!config.skip_concurrency) measure("concurrency", [&](size_t r) { return bench.Concurrency(r); });
  if (!config.json.empty()) {
    std::ofstream out(config.json);
    out << ToJson(config, embedder->identity(), sections).dump(2) << "\n";
    if (!out) {
      std::fprintf(stderr, "scale_bench: cannot write %s\n", config.json.c_str());
      return 1;
    }
  }
  if (temporary) fs::remove_all(root);
  return 0;
}

}  // namespace
}  // namespace engram::bench

int main(int argc, char** argv) { return engram::bench::Run(argc, argv); }

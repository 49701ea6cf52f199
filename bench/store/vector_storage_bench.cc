// What a tenant's vectors cost on disk and at close and reopen.
//
// Writes N turns (LoCoMo turns cycled, new source ids; the built-in
// rule-based extractor) with a cheap deterministic 512-d embedder whose
// vectors are dense like a real model's (a hash-seeded pseudo-random unit
// vector per text), then measures:
//   close        closing the store after writing the N turns
//   reopen       opening it and loading the tenant (the first Recall)
//   close+1000   closing after 1,000 more turns
//   reopen+1000  opening and loading again
//   bytes/turn   the store's table files after a full compaction, per turn,
//                and per column family
//
//   vector_storage_bench [N=10000] [index=Flat] [locomo.json]
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <rocksdb/db.h>
#include <rocksdb/options.h>

#include "engram/engram.h"
#include "store/conversation_io.h"
#include "../../tests/testing/temp_dir.h"

namespace engram {
namespace {

class DenseHashEmbedder final : public Embedder {
 public:
  size_t dim() const override { return 512; }
  std::string identity() const override { return "bench-dense-hash/512"; }
  Result<std::vector<float>> Embed(std::span<const std::string> texts) override {
    std::vector<float> out(texts.size() * 512);
    for (size_t i = 0; i < texts.size(); ++i) {
      uint64_t h = 1469598103934665603ull;
      for (unsigned char c : texts[i]) h = (h ^ c) * 1099511628211ull;
      float* v = out.data() + i * 512;
      double norm = 0;
      for (size_t d = 0; d < 512; ++d) {
        h ^= h << 13;
        h ^= h >> 7;
        h ^= h << 17;
        v[d] = static_cast<float>(static_cast<int64_t>(h % 2001) - 1000) / 1000.0f;
        norm += double(v[d]) * v[d];
      }
      for (size_t d = 0; d < 512; ++d) v[d] = static_cast<float>(v[d] / std::sqrt(norm));
    }
    return out;
  }
};

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

// Compacts every column family and prints the table bytes of each.
uint64_t TableBytes(const std::string& path, uint64_t turns) {
  rocksdb::Options options;
  std::vector<std::string> names;
  if (!rocksdb::DB::ListColumnFamilies(options, path, &names).ok()) return 0;
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const auto& n : names) descriptors.emplace_back(n, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  if (!rocksdb::DB::Open(options, path, descriptors, &handles, &raw).ok()) return 0;
  std::unique_ptr<rocksdb::DB> db(raw);
  uint64_t total = 0;
  for (auto* h : handles) {
    (void)db->Flush(rocksdb::FlushOptions(), h);
    (void)db->CompactRange(rocksdb::CompactRangeOptions(), h, nullptr, nullptr);
    uint64_t bytes = 0;
    db->GetIntProperty(h, "rocksdb.total-sst-files-size", &bytes);
    if (bytes > 0) std::printf("  %-11s %8.0f bytes/turn\n", h->GetName().c_str(), double(bytes) / double(turns));
    total += bytes;
  }
  for (auto* h : handles) (void)db->DestroyColumnFamilyHandle(h);
  return total;
}

int Run(size_t n, const std::string& index, const std::string& locomo) {
  auto conversations = ReadLocomo(locomo);
  if (!conversations.ok()) {
    std::fprintf(stderr, "%s\n", conversations.status().ToString().c_str());
    return 1;
  }
  std::vector<Turn> source;
  for (const auto& c : *conversations) source.insert(source.end(), c.turns.begin(), c.turns.end());
  auto turn = [&](size_t i) {
    Turn t = source[i % source.size()];
    t.source_id = "b" + std::to_string(i);
    t.session = "s" + std::to_string(i / 200);
    return t;
  };
  testing::TempDir dir;
  // VECTOR_STORAGE_BENCH_KEEP=DIR keeps a copy of the store written in DIR;
  // VECTOR_STORAGE_BENCH_REOPEN=DIR then only opens it and loads the tenant
  // (to profile a load).
  const char* reopen_only = std::getenv("VECTOR_STORAGE_BENCH_REOPEN");
  Options options;
  options.embedder = std::make_shared<DenseHashEmbedder>();
  options.vector_index = index;
  auto write = [&](Store& store, size_t from, size_t to) {
    std::vector<Turn> batch;
    for (size_t i = from; i < to; ++i) {
      batch.push_back(turn(i));
      if (batch.size() == 256 || i + 1 == to) {
        if (!store.ObserveBatch("bench", batch).ok()) std::abort();
        batch.clear();
      }
    }
  };
  auto open = [&] {
    auto store = Store::Open(options, dir.path());
    if (!store.ok()) {
      std::fprintf(stderr, "%s\n", store.status().ToString().c_str());
      std::abort();
    }
    return std::move(*store);
  };
  auto load = [&](Store& store) {
    if (!store.Recall("bench", "painting a sunrise").ok()) std::abort();
  };
  if (reopen_only != nullptr) {
    auto store = Store::Open(options, reopen_only);
    if (!store.ok()) return 1;
    auto start = std::chrono::steady_clock::now();
    load(**store);
    std::printf("tenant load %.3f s\n", Seconds(start));
    return 0;
  }
  std::unique_ptr<Store> store = open();
  auto start = std::chrono::steady_clock::now();
  write(*store, 0, n);
  std::printf("%zu turns, index %s: written in %.1f s\n", n, index.c_str(), Seconds(start));
  start = std::chrono::steady_clock::now();
  store.reset();
  std::printf("close          %.3f s\n", Seconds(start));
  start = std::chrono::steady_clock::now();
  store = open();
  const double opened = Seconds(start);
  load(*store);
  std::printf("reopen         %.3f s (open %.3f s, tenant load %.3f s)\n", Seconds(start), opened,
              Seconds(start) - opened);
  write(*store, n, n + 1000);
  start = std::chrono::steady_clock::now();
  store.reset();
  std::printf("close+1000     %.3f s\n", Seconds(start));
  start = std::chrono::steady_clock::now();
  store = open();
  const double reopened = Seconds(start);
  load(*store);
  std::printf("reopen+1000    %.3f s (open %.3f s, tenant load %.3f s)\n", Seconds(start), reopened,
              Seconds(start) - reopened);
  auto units = store->EventUnits("bench");
  if (units.ok() && std::getenv("SHOW_UNITS")) {
    for (size_t i = 0; i < 12 && i < units->size(); ++i) {
      auto t = store->GetTurnBySourceId("bench", (*units)[i].source_ids.front());
      std::printf("TURN %s\n  UNIT %s\n", t.ok() ? t->turn.text.c_str() : "?", (*units)[i].text.c_str());
    }
  }
  if (units.ok()) {
    std::printf("documents      %.2f per turn (the turn and its event units)\n",
                1.0 + double(units->size()) / double(n + 1000));
  }
  store.reset();
  if (const char* keep = std::getenv("VECTOR_STORAGE_BENCH_KEEP")) {
    std::filesystem::copy(dir.path(), keep, std::filesystem::copy_options::recursive);
  }
  uint64_t bytes = TableBytes(dir.path(), n + 1000);
  std::printf("bytes/turn     %.0f (all table files after compaction)\n", double(bytes) / double(n + 1000));
  return 0;
}

}  // namespace
}  // namespace engram

int main(int argc, char** argv) {
  size_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 10000;
  std::string index = argc > 2 ? argv[2] : "Flat";
  std::string locomo =
      argc > 3 ? argv[3] : std::string(ENGRAM_SOURCE_DIR_FOR_BENCH) + "/../shared/data/locomo/locomo-dev5.json";
  return engram::Run(n, index, locomo);
}

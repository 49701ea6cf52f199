// Writes queued on a tenant's memory and applied by whoever takes its lock
// next: a writer does not wait for the recalls in flight, every acknowledged
// turn is visible to every read that starts after its Observe returned,
// queued writes are applied in sequence order (the memory ends equal to one
// loaded from the log), and a failed apply is reported and loses nothing.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "engram/store.h"
#include "log/event_log.h"
#include "store/store_impl.h"
#include "testing/synthetic_conversation.h"
#include "testing/temp_dir.h"
#include "testing/test_embedder.h"
#include "testing/under_sanitizer.h"

namespace engram {
namespace {

using namespace std::chrono_literals;

#ifdef ENGRAM_TEST_UNDER_SANITIZER
constexpr int kTurnsPerWriter = 40;
#else
constexpr int kTurnsPerWriter = 150;
#endif
constexpr int kWriters = 2;
constexpr int kReaders = 4;
const char* const kTenant = "shared";

Options TestOptions() {
  Options o;
  o.embedder = std::make_shared<testing::TestEmbedder>();
  return o;
}

// A word made of letters only (the analyzer keeps it whole), unique to
// (writer, index).
std::string Marker(int writer, int index) {
  std::string word = "zq";
  word += static_cast<char>('a' + writer);
  for (int n = index + 1; n > 0; n /= 26) word += static_cast<char>('a' + n % 26);
  word += "vk";
  return word;
}

Turn TurnOf(int writer, int index) {
  Turn t;
  t.session = "writer-";
  t.session += std::to_string(writer);
  t.speaker = writer % 2 == 0 ? "Ana" : "Ben";
  t.text = "Note ";
  t.text += Marker(writer, index);
  t.text += ": I watered the garden and called my sister.";
  t.time_ms = 1700000000000LL + index * 60000LL + writer;
  t.source_id = "w";
  t.source_id += std::to_string(writer);
  t.source_id += ':';
  t.source_id += std::to_string(index);
  return t;
}

// "w<writer>:<index>" back to its numbers; false for any other id.
bool ParseId(const std::string& id, int* writer, int* index) {
  return std::sscanf(id.c_str(), "w%d:%d", writer, index) == 2 && id == TurnOf(*writer, *index).source_id;
}

// True when a BM25 recall of the turn's marker in `tenant` finds the turn.
bool RecallFindsIn(Store& store, const std::string& tenant, int writer, int index) {
  RecallOptions ro;
  ro.route = "bm25";
  ro.k = 3;
  auto r = store.Recall(tenant, Marker(writer, index), ro);
  if (!r.ok()) {
    ADD_FAILURE() << r.status().ToString();
    return false;
  }
  for (const auto& hit : r->hits) {
    for (const auto& id : hit.source_ids) {
      if (id == TurnOf(writer, index).source_id) return true;
    }
  }
  return false;
}

bool RecallFinds(Store& store, int writer, int index) { return RecallFindsIn(store, kTenant, writer, index); }

std::unique_ptr<Store> OpenImpl(const Options& options, const std::string& path) {
  auto store = StoreImpl::Open(options, path, log::LogOptions{});
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return store.ok() ? std::move(*store) : nullptr;
}

TEST(ApplyQueueTest, WriterDoesNotWaitForARecallInFlight) {
  testing::TempDir dir;
  auto store = OpenImpl(TestOptions(), dir.Sub("store"));
  ASSERT_NE(store, nullptr);
  auto* impl = static_cast<StoreImpl*>(store.get());
  ASSERT_TRUE(store->Observe(kTenant, TurnOf(0, 0)).ok());

  // A recall that stays inside the tenant's shared lock until released.
  std::mutex mu;
  std::condition_variable cv;
  bool inside = false, release = false, hold = true;
  impl->SetRecallHookForTesting([&] {
    std::unique_lock<std::mutex> lock(mu);
    if (!hold) return;
    hold = false;
    inside = true;
    cv.notify_all();
    cv.wait(lock, [&] { return release; });
  });
  std::thread reader([&] { EXPECT_TRUE(RecallFinds(*store, 0, 0)); });
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return inside; });
  }
  // With the recall still inside, synced writes are acknowledged. (Were the
  // writer waiting for the reader, this thread would block here for good:
  // the reader is released only below.)
  bool written = false;
  std::thread writer([&] {
    for (int i = 1; i <= 3; ++i) {
      WriteOptions wo;
      wo.sync = true;
      auto seq = store->Observe(kTenant, TurnOf(0, i), wo);
      EXPECT_TRUE(seq.ok()) << seq.status().ToString();
    }
    std::lock_guard<std::mutex> lock(mu);
    written = true;
    cv.notify_all();
  });
  bool written_while_inside;
  {
    std::unique_lock<std::mutex> lock(mu);
    // Not a speed check: a minute only turns a hang into a failure.
    written_while_inside = cv.wait_for(lock, 60s, [&] { return written; });
    release = true;
    cv.notify_all();
  }
  writer.join();
  reader.join();
  EXPECT_TRUE(written_while_inside) << "Observe waited for the recall in flight";
  // The recall that started before them did not see to them; the next does.
  for (int i = 0; i <= 3; ++i) EXPECT_TRUE(RecallFinds(*store, 0, i)) << "turn " << i;
}

TEST(ApplyQueueTest, ReadersAndWritersKeepEveryAcknowledgedTurnInOrder) {
  testing::TempDir dir;
  const std::string path = dir.Sub("store");
  auto store = OpenImpl(TestOptions(), path);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Observe(kTenant, TurnOf(0, 0)).ok());
  // acknowledged[w]: the highest index of writer w whose Observe returned.
  std::atomic<int> acknowledged[kWriters];
  for (auto& a : acknowledged) a = -1;
  acknowledged[0] = 0;
  std::atomic<int> writers_done{0};
  std::vector<std::vector<uint64_t>> seqs(kWriters);

  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      for (int i = w == 0 ? 1 : 0; i < kTurnsPerWriter; ++i) {
        WriteOptions wo;
        wo.sync = i % 4 == 0;
        auto seq = store->Observe(kTenant, TurnOf(w, i), wo);
        ASSERT_TRUE(seq.ok()) << seq.status().ToString();
        seqs[w].push_back(*seq);
        acknowledged[w] = i;
        // Read-your-writes: this thread's next read sees the turn, in the
        // index and as the newest turn of its session's working memory.
        EXPECT_TRUE(RecallFinds(*store, w, i)) << "writer " << w << " turn " << i;
        auto wm = store->WorkingMemory(kTenant, TurnOf(w, i).session);
        ASSERT_TRUE(wm.ok()) << wm.status().ToString();
        ASSERT_FALSE(wm->empty());
        EXPECT_EQ(wm->back().turn.source_id, TurnOf(w, i).source_id);
        EXPECT_EQ(wm->back().seq, *seq);
      }
      ++writers_done;
    });
  }
  std::atomic<int> checks{0};
  for (int r = 0; r < kReaders; ++r) {
    threads.emplace_back([&, r] {
      std::vector<int> last_seen(kWriters, -1);
      while (writers_done.load() < kWriters) {
        const int w = r % kWriters;
        // Everything acknowledged before this read starts is visible to it.
        const int before = acknowledged[w].load();
        auto wm = store->WorkingMemory(kTenant, TurnOf(w, 0).session);
        ASSERT_TRUE(wm.ok()) << wm.status().ToString();
        int previous = -1;
        uint64_t previous_seq = 0;
        for (const auto& st : *wm) {
          int writer = -1, index = -1;
          ASSERT_TRUE(ParseId(st.turn.source_id, &writer, &index)) << st.turn.source_id;
          EXPECT_EQ(writer, w);
          // In order and without gaps: the queue applied turns in seq order.
          if (previous >= 0) EXPECT_EQ(index, previous + 1);
          EXPECT_GT(st.seq, previous_seq);
          previous = index;
          previous_seq = st.seq;
        }
        if (before >= 0) {
          EXPECT_GE(previous, before) << "reader " << r << " missed an acknowledged turn";
          if (before > 0) EXPECT_TRUE(RecallFinds(*store, w, before)) << "reader " << r << " turn " << before;
        }
        // Nothing seen disappears.
        EXPECT_GE(previous, last_seen[w]);
        last_seen[w] = previous;
        ++checks;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_GT(checks.load(), 0);

  // Sequence numbers of each writer increase; none was given twice.
  std::vector<uint64_t> all;
  for (const auto& s : seqs) {
    for (size_t i = 1; i < s.size(); ++i) EXPECT_LT(s[i - 1], s[i]);
    all.insert(all.end(), s.begin(), s.end());
  }
  std::sort(all.begin(), all.end());
  EXPECT_EQ(std::adjacent_find(all.begin(), all.end()), all.end());
  // Every acknowledged turn is in the memory and, after a reopen, in the log.
  for (int w = 0; w < kWriters; ++w) {
    for (int i = 0; i < kTurnsPerWriter; ++i) EXPECT_TRUE(RecallFinds(*store, w, i)) << w << ":" << i;
  }
  store.reset();
  store = OpenImpl(TestOptions(), path);
  ASSERT_NE(store, nullptr);
  for (int w = 0; w < kWriters; ++w) {
    for (int i = 0; i < kTurnsPerWriter; ++i) {
      auto t = store->GetTurnBySourceId(kTenant, TurnOf(w, i).source_id);
      ASSERT_TRUE(t.ok()) << t.status().ToString();
      EXPECT_EQ(t->turn.text, TurnOf(w, i).text);
    }
  }
}

// The tiers as the store shows them, comparable between two stores.
std::string Render(Store& store, const std::string& tenant) {
  std::string out;
  auto profile = store.Profile(tenant, {}, 0, /*include_history=*/true);
  EXPECT_TRUE(profile.ok()) << profile.status().ToString();
  if (profile.ok()) {
    for (const auto& f : *profile) {
      for (const std::string& part : {std::string("fact"), f.id, f.subject, f.attribute, f.value,
                                      std::to_string(f.valid_from_ms), std::to_string(f.valid_to_ms)}) {
        out += part;
        out += ' ';
      }
      out += '\n';
    }
  }
  auto units = store.EventUnits(tenant);
  EXPECT_TRUE(units.ok()) << units.status().ToString();
  if (units.ok()) {
    for (const auto& u : *units) {
      for (const std::string& part : {std::string("unit"), u.id, u.subject, u.text}) {
        out += part;
        out += ' ';
      }
      out += '\n';
    }
  }
  auto graph = store.Graph(tenant);
  EXPECT_TRUE(graph.ok()) << graph.status().ToString();
  if (graph.ok()) {
    for (const auto& r : graph->relations) {
      for (const std::string& part :
           {std::string("rel"), r.id, r.subject, r.relation, r.object, std::to_string(r.valid_to_ms)}) {
        out += part;
        out += ' ';
      }
      out += '\n';
    }
  }
  RecallOptions ro;
  ro.k = 20;
  auto hits = store.Recall(tenant, "Where does she live and work now?", ro);
  EXPECT_TRUE(hits.ok()) << hits.status().ToString();
  if (hits.ok()) {
    for (const auto& h : hits->hits) {
      out += "hit ";
      out += h.text;
      out += '\n';
    }
  }
  return out;
}

TEST(ApplyQueueTest, QueueAppliesInOrderUnderContention) {
  testing::TempDir dir;
  const std::string path = dir.Sub("store");
  testing::GeneratorOptions gen;
  gen.seed = 7;
  gen.turns = static_cast<size_t>(kTurnsPerWriter) * 2;
  const auto conversation = testing::GenerateConversation(gen);
  std::string live;
  {
    auto store = OpenImpl(TestOptions(), path);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->Observe("conv", conversation.turns.front()).ok());
    std::atomic<bool> stop{false};
    std::vector<std::thread> readers;
    for (int r = 0; r < kReaders; ++r) {
      readers.emplace_back([&, r] {
        for (int i = 0; !stop.load(); ++i) {
          auto hits = store->Recall("conv", conversation.probes[(i + r) % conversation.probes.size()].question);
          ASSERT_TRUE(hits.ok()) << hits.status().ToString();
        }
      });
    }
    // Singles and batches; facts change over the conversation, so applying
    // out of order would close the wrong ones.
    uint64_t last = 0;
    for (size_t i = 1; i < conversation.turns.size();) {
      const size_t n = i % 5 == 0 ? std::min<size_t>(3, conversation.turns.size() - i) : 1;
      auto seqs = store->ObserveBatch("conv", std::span<const Turn>(conversation.turns.data() + i, n));
      ASSERT_TRUE(seqs.ok()) << seqs.status().ToString();
      for (uint64_t s : *seqs) {
        EXPECT_GT(s, last);
        last = s;
      }
      i += n;
    }
    stop = true;
    for (auto& t : readers) t.join();
    live = Render(*store, "conv");
  }
  // The same memory loaded from the log alone.
  auto reopened = OpenImpl(TestOptions(), path);
  ASSERT_NE(reopened, nullptr);
  EXPECT_EQ(live, Render(*reopened, "conv"));
  EXPECT_NE(live.find("fact "), std::string::npos);
}

TEST(ApplyQueueTest, FailedApplyIsReportedAndLosesNothing) {
  testing::TempDir dir;
  const std::string path = dir.Sub("store");
  auto store = OpenImpl(TestOptions(), path);
  ASSERT_NE(store, nullptr);
  auto* impl = static_cast<StoreImpl*>(store.get());
  ASSERT_TRUE(store->Observe(kTenant, TurnOf(0, 0)).ok());
  const uint64_t loads_before = store->GetMemoryUsage().loads;
  // Applying the turn with this seq fails once.
  std::atomic<uint64_t> failing_seq{0};
  std::atomic<int> failures{0};
  impl->SetApplyFaultForTesting([&](std::string_view, uint64_t seq) {
    uint64_t expected = seq;
    if (failing_seq.compare_exchange_strong(expected, 0)) {
      ++failures;
      return Status::Internal("injected derivation failure");
    }
    return Status::OK();
  });
  std::atomic<bool> stop{false};
  std::vector<std::thread> readers;
  for (int r = 0; r < kReaders; ++r) {
    readers.emplace_back([&] {
      while (!stop.load()) {
        auto wm = store->WorkingMemory(kTenant, TurnOf(0, 0).session);
        ASSERT_TRUE(wm.ok()) << wm.status().ToString();
      }
    });
  }
  for (int i = 1; i < kTurnsPerWriter; ++i) {
    // The seq the next turn gets: the first write after a failure is armed.
    if (i == kTurnsPerWriter / 2) {
      auto latest = store->GetTurnBySourceId(kTenant, TurnOf(0, i - 1).source_id);
      ASSERT_TRUE(latest.ok());
      failing_seq = latest->seq + 1;
    }
    auto seq = store->Observe(kTenant, TurnOf(0, i));
    ASSERT_TRUE(seq.ok()) << "an apply failure fails no write: " << seq.status().ToString();
    // Read-your-writes holds across the failure.
    EXPECT_TRUE(RecallFinds(*store, 0, i)) << "turn " << i;
  }
  stop = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(failures.load(), 1);
  const MemoryUsage usage = store->GetMemoryUsage();
  EXPECT_EQ(usage.failed_applies, 1u);
  EXPECT_GT(usage.loads, loads_before);  // loaded again from the log
  for (int i = 0; i < kTurnsPerWriter; ++i) EXPECT_TRUE(RecallFinds(*store, 0, i)) << "turn " << i;
  auto wm = store->WorkingMemory(kTenant, TurnOf(0, 0).session);
  ASSERT_TRUE(wm.ok());
  ASSERT_FALSE(wm->empty());
  EXPECT_EQ(wm->back().turn.source_id, TurnOf(0, kTurnsPerWriter - 1).source_id);
}

TEST(ApplyQueueTest, TenantsUnloadedWithQueuedTurnsKeepThem) {
  // A budget far below the tenants' footprint: the cache unloads tenants
  // all the time, some with writes still queued, while readers read them.
  testing::TempDir dir;
  Options options = TestOptions();
  options.memory_budget_bytes = 64 * 1024;
  auto store = OpenImpl(options, dir.Sub("store"));
  ASSERT_NE(store, nullptr);
  constexpr int kTenants = 3;
  auto tenant_of = [](int w) {
    std::string name = "tenant-";
    name += std::to_string(w);
    return name;
  };
  std::atomic<int> writers_done{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < kTenants; ++w) {
    threads.emplace_back([&, w] {
      for (int i = 0; i < kTurnsPerWriter / 2; ++i) {
        auto seq = store->Observe(tenant_of(w), TurnOf(w, i));
        ASSERT_TRUE(seq.ok()) << seq.status().ToString();
        EXPECT_TRUE(RecallFindsIn(*store, tenant_of(w), w, i)) << "tenant " << w << " turn " << i;
      }
      ++writers_done;
    });
  }
  for (int r = 0; r < kReaders; ++r) {
    threads.emplace_back([&, r] {
      for (int i = 0; writers_done.load() < kTenants; ++i) {
        auto wm = store->WorkingMemory(tenant_of((r + i) % kTenants), TurnOf((r + i) % kTenants, 0).session);
        EXPECT_TRUE(wm.ok() || wm.status().IsNotFound()) << wm.status().ToString();
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_GT(store->GetMemoryUsage().unloads, 0u);
  for (int w = 0; w < kTenants; ++w) {
    for (int i = 0; i < kTurnsPerWriter / 2; ++i) {
      EXPECT_TRUE(RecallFindsIn(*store, tenant_of(w), w, i)) << "tenant " << w << " turn " << i;
    }
  }
}

}  // namespace
}  // namespace engram

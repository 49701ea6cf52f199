// Store under concurrent writers and readers: what readers see is always a
// consistent, growing prefix of the log, and readers never wait for a
// writer's fsync.
#include <atomic>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "engram/store.h"
#include "testing/temp_dir.h"

namespace engram {
namespace {

constexpr int kWriters = 4;
constexpr int kReaders = 4;
constexpr int kTurnsPerWriter = 300;

std::string TenantOf(int writer) { return writer % 2 == 0 ? "tenant-even" : "tenant-odd"; }

Turn TurnOf(int writer, int index) {
  Turn turn;
  turn.session = "w" + std::to_string(writer);
  turn.speaker = "writer " + std::to_string(writer);
  turn.text = "turn " + std::to_string(index) + " of writer " + std::to_string(writer) + " — " +
              std::string(static_cast<size_t>(index % 37), 'x');
  turn.time_ms = 1000LL * index + writer;
  turn.source_id = "w" + std::to_string(writer) + ":" + std::to_string(index);
  return turn;
}

// Parses "w<writer>:<index>".
bool ParseId(const std::string& id, int* writer, int* index) {
  return std::sscanf(id.c_str(), "w%d:%d", writer, index) == 2 && id == TurnOf(*writer, *index).source_id;
}

bool SameTurn(const Turn& a, const Turn& b) {
  return a.session == b.session && a.speaker == b.speaker && a.text == b.text && a.time_ms == b.time_ms &&
         a.source_id == b.source_id;
}

std::unique_ptr<Store> OpenLogOnly(const std::string& path) {
  Options options;
  options.log_only = true;
  auto store = Store::Open(options, path);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return store.ok() ? std::move(*store) : nullptr;
}

TEST(ConcurrencyTest, ReadersSeeAConsistentGrowingPrefixWhileWritersWrite) {
  testing::TempDir dir;
  std::unique_ptr<Store> store = OpenLogOnly(dir.Sub("store"));
  ASSERT_NE(store, nullptr);

  std::atomic<int> writers_done{0};
  std::atomic<int> failures{0};
  // Handshakes (no timing): writers start once every reader has scanned,
  // and halfway through wait until readers have scanned while they write,
  // so reads and writes really overlap however the threads are scheduled.
  std::atomic<int> readers_ready{0};
  std::atomic<bool> writing{false};
  std::atomic<uint64_t> scans_while_writing{0};
  std::vector<std::vector<uint64_t>> written(kWriters);  // each writer's seqs, filled by that writer
  std::vector<std::thread> threads;

  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w]() {
      while (readers_ready < kReaders && failures == 0) std::this_thread::yield();
      writing = true;
      bool waited = false;
      // Single Observes and small batches, alternating.
      for (int i = 0; i < kTurnsPerWriter;) {
        if (!waited && i >= kTurnsPerWriter / 2) {
          while (scans_while_writing < static_cast<uint64_t>(kReaders) && failures == 0) std::this_thread::yield();
          waited = true;
        }
        int n = (i % 3 == 0) ? std::min(4, kTurnsPerWriter - i) : 1;
        std::vector<Turn> batch;
        for (int k = 0; k < n; ++k) batch.push_back(TurnOf(w, i + k));
        auto seqs = store->ObserveBatch(TenantOf(w), batch);
        if (!seqs.ok() || seqs->size() != batch.size()) {
          ++failures;
          ADD_FAILURE() << "writer " << w << ": " << seqs.status().ToString();
          break;
        }
        for (uint64_t s : *seqs) written[w].push_back(s);
        i += n;
      }
      ++writers_done;
    });
  }

  std::atomic<uint64_t> scans{0};
  for (int r = 0; r < kReaders; ++r) {
    threads.emplace_back([&, r]() {
      const std::string tenant = r % 2 == 0 ? "tenant-even" : "tenant-odd";
      std::vector<StoredTurn> previous;
      bool last_pass = false, ready = false;
      while (!last_pass && failures == 0) {
        last_pass = writers_done == kWriters;  // one more full scan after the writers finish
        const bool during_writes = writing && !last_pass;
        auto turns = store->ScanTurns(tenant);
        if (!turns.ok()) {
          ADD_FAILURE() << "reader " << r << ": " << turns.status().ToString();
          ++failures;
          return;
        }
        ++scans;
        if (during_writes) ++scans_while_writing;
        if (!ready) {
          ready = true;
          ++readers_ready;
        }
        // Well-formed: every turn is one a writer of this tenant wrote, byte-exact.
        // Monotone: seqs increase; each writer's turns appear in its order,
        // without gaps (a snapshot never shows a later turn without an
        // earlier one of the same writer).
        std::map<int, int> next_index;
        for (size_t i = 0; i < turns->size(); ++i) {
          const StoredTurn& st = (*turns)[i];
          int writer = -1, index = -1;
          if (!ParseId(st.turn.source_id, &writer, &index) || TenantOf(writer) != tenant ||
              !SameTurn(st.turn, TurnOf(writer, index)) || st.tenant != tenant) {
            ADD_FAILURE() << "reader " << r << " read a malformed or foreign turn '" << st.turn.source_id << "'";
            ++failures;
            return;
          }
          if (i > 0 && st.seq <= (*turns)[i - 1].seq) {
            ADD_FAILURE() << "reader " << r << ": seqs not increasing at " << st.turn.source_id;
            ++failures;
            return;
          }
          if (index != next_index[writer]) {
            ADD_FAILURE() << "reader " << r << ": writer " << writer << "'s turn " << index << " seen before turn "
                          << next_index[writer];
            ++failures;
            return;
          }
          next_index[writer] = index + 1;
        }
        // What a reader saw never disappears: the previous scan is a prefix of this one.
        if (turns->size() < previous.size()) {
          ADD_FAILURE() << "reader " << r << ": " << previous.size() << " turns shrank to " << turns->size();
          ++failures;
          return;
        }
        for (size_t i = 0; i < previous.size(); ++i) {
          if ((*turns)[i].seq != previous[i].seq) {
            ADD_FAILURE() << "reader " << r << ": the log changed under an earlier read at position " << i;
            ++failures;
            return;
          }
        }
        // Point reads of something seen agree with the scan.
        if (!turns->empty()) {
          const StoredTurn& pick = (*turns)[turns->size() / 2];
          auto by_seq = store->GetTurn(tenant, pick.seq);
          auto by_id = store->GetTurnBySourceId(tenant, pick.turn.source_id);
          if (!by_seq.ok() || !by_id.ok() || by_id->seq != pick.seq || !SameTurn(by_seq->turn, pick.turn)) {
            ADD_FAILURE() << "reader " << r << ": point read of " << pick.turn.source_id << " disagrees";
            ++failures;
            return;
          }
        }
        previous = std::move(*turns);
      }
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_EQ(failures, 0);
  EXPECT_GE(scans_while_writing, static_cast<uint64_t>(kReaders)) << "reads did not overlap the writes";

  // Every written turn is readable afterwards, and all seqs are distinct.
  std::map<uint64_t, std::string> seq_owner;
  for (int w = 0; w < kWriters; ++w) {
    ASSERT_EQ(written[w].size(), static_cast<size_t>(kTurnsPerWriter));
    for (int i = 0; i < kTurnsPerWriter; ++i) {
      uint64_t seq = written[w][i];
      EXPECT_TRUE(seq_owner.emplace(seq, TurnOf(w, i).source_id).second) << "seq " << seq << " given twice";
      auto got = store->GetTurn(TenantOf(w), seq);
      ASSERT_TRUE(got.ok()) << got.status().ToString();
      EXPECT_TRUE(SameTurn(got->turn, TurnOf(w, i))) << TurnOf(w, i).source_id;
    }
  }
  for (const char* tenant : {"tenant-even", "tenant-odd"}) {
    auto turns = store->ScanTurns(tenant);
    ASSERT_TRUE(turns.ok());
    EXPECT_EQ(turns->size(), static_cast<size_t>(2 * kTurnsPerWriter));
  }
}

// A reader's GetTurn completes while a writer is inside a sync = true
// Observe (which waits for fsync): reads do not queue behind the fsync.
// No timing threshold: a read counts only if the writer's Observe started
// before the read began and had not returned when the read ended.
TEST(ConcurrencyTest, ReadersDoNotWaitForAWritersFsync) {
  testing::TempDir dir;
  std::unique_ptr<Store> store = OpenLogOnly(dir.Sub("store"));
  ASSERT_NE(store, nullptr);
  Turn first;
  first.speaker = "s";
  first.text = "the turn readers read";
  first.source_id = "first";
  auto first_seq = store->Observe("t", first);
  ASSERT_TRUE(first_seq.ok());

  // Odd while the writer is inside Observe; each Observe has its own pair.
  std::atomic<uint64_t> write_epoch{0};
  std::atomic<uint64_t> reads_inside_a_write{0};
  std::atomic<uint64_t> reads{0};
  std::atomic<bool> stop{false};
  std::atomic<int> writes{0};
  std::atomic<bool> failed{false};

  std::thread writer([&]() {
    WriteOptions sync;
    sync.sync = true;
    // Until readers have clearly overlapped with fsyncs, at most 2000 writes.
    for (int i = 0; i < 2000 && reads_inside_a_write < 20; ++i) {
      Turn turn;
      turn.speaker = "s";
      turn.text = "synced turn " + std::to_string(i);
      turn.source_id = "sync:" + std::to_string(i);
      write_epoch.fetch_add(1);  // odd: inside
      auto seq = store->Observe("t", turn, sync);
      write_epoch.fetch_add(1);  // even: outside
      if (!seq.ok()) {
        failed = true;
        break;
      }
      ++writes;
    }
    stop = true;
  });
  std::thread reader([&]() {
    while (!stop) {
      uint64_t before = write_epoch.load();
      auto turn = store->GetTurn("t", *first_seq);
      uint64_t after = write_epoch.load();
      if (!turn.ok() || turn->turn.text != first.text) {
        failed = true;
        return;
      }
      ++reads;
      if (before == after && before % 2 == 1) ++reads_inside_a_write;
    }
  });
  writer.join();
  reader.join();
  ASSERT_FALSE(failed);
  std::printf("[          ] %d synced writes, %llu reads, %llu of them inside a write\n", writes.load(),
              static_cast<unsigned long long>(reads.load()),
              static_cast<unsigned long long>(reads_inside_a_write.load()));
  EXPECT_GT(reads_inside_a_write, 0u) << "no read completed while a synced write was in progress";
}

}  // namespace
}  // namespace engram

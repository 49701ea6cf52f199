// The sync = true contract against power loss, not only process death:
// rounds of open -> writes (single Observe and ObserveBatch, mostly synced,
// some not) -> power lost at a random file-system operation -> the surviving
// bytes only (FaultInjectionFs) -> reopen. Every acknowledged synced turn is
// there byte-exact with its seq; a batch is all there or not at all; an
// unsynced write may be lost but never torn, and the writes that survive are
// a prefix of the writes made (nothing after a hole).
//
// ENGRAM_POWER_LOSS_ROUNDS sets the number of rounds (default 40).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engram/store.h"
#include "store/store_impl.h"
#include "testing/fault_injection_fs.h"
#include "testing/temp_dir.h"

namespace engram {
namespace {

using testing::FaultInjectionFs;
using testing::PowerLossModel;

constexpr char kTenant[] = "power";

int RoundsFromEnv(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::max(1, std::atoi(v)) : fallback;
}

// Texts mixing 1- to 4-byte UTF-8, some long enough to span WAL blocks.
std::string RandomText(std::mt19937_64& rng) {
  static const char* const kPieces[] = {"a", "b", " ", "0", "\"", "\n", "é", "中", "€", "😀", "𝄞"};
  size_t n = rng() % 10 == 0 ? 2000 + rng() % 30000 : 1 + rng() % 200;
  std::string text;
  while (text.size() < n) text += kPieces[rng() % (sizeof(kPieces) / sizeof(kPieces[0]))];
  return text;
}

// One Observe or ObserveBatch call, in the order they were made.
struct Write {
  std::vector<Turn> turns;
  std::vector<uint64_t> seqs;  // when acknowledged
  bool synced = false;
  bool acknowledged = false;
};

TEST(PowerLossTest, AcknowledgedSyncedTurnsSurviveAndNothingIsTorn) {
  const int rounds = RoundsFromEnv("ENGRAM_POWER_LOSS_ROUNDS", 40);
  testing::TempDir dir;
  const std::string path = dir.Sub("store");
  auto fs = std::make_shared<FaultInjectionFs>();
  log::LogOptions lo;
  lo.file_system = fs;
  Options options;
  options.log_only = true;
  std::mt19937_64 rng(20240601);

  std::vector<Write> history;  // every write of every round, in order
  // Writes a reopen has shown to be stored (from then on they must stay).
  std::map<std::string, size_t> durable;  // source id -> index into history
  size_t synced_acks = 0, lost_unsynced = 0, lost_synced = 0, torn_batches = 0;
  uint64_t ops_at_power_loss = 0;

  for (int round = 0; round < rounds; ++round) {
    // Power goes at a random operation of this round, opening included.
    const uint64_t k = 1 + rng() % 120;
    fs->PowerLossAt(k);
    const uint64_t ops_before = fs->mutating_ops();
    {
      auto store = StoreImpl::Open(options, path, lo);
      for (int w = 0; store.ok() && w < 30 && !fs->power_lost(); ++w) {
        Write write;
        write.synced = rng() % 4 != 0;
        size_t n = rng() % 3 == 0 ? 2 + rng() % 4 : 1;
        for (size_t i = 0; i < n; ++i) {
          Turn t;
          t.session = "round-" + std::to_string(round);
          t.speaker = rng() % 2 ? "Ann" : "Bob";
          t.text = RandomText(rng);
          t.time_ms = 1700000000000 + static_cast<int64_t>(rng() % 1000000);
          t.source_id = "r" + std::to_string(round) + "-w" + std::to_string(w) + "-" + std::to_string(i);
          write.turns.push_back(std::move(t));
        }
        WriteOptions wo;
        wo.sync = write.synced;
        if (n == 1) {
          auto seq = (*store)->Observe(kTenant, write.turns[0], wo);
          if (seq.ok()) write.seqs = {*seq};
          write.acknowledged = seq.ok();
        } else {
          auto seqs = (*store)->ObserveBatch(kTenant, write.turns, wo);
          if (seqs.ok()) write.seqs = *seqs;
          write.acknowledged = seqs.ok();
        }
        if (write.acknowledged && write.synced) synced_acks += n;
        history.push_back(std::move(write));
      }
      fs->LosePowerNow();  // if the writes ended first: power goes right after them
    }  // the dying store closes; the file system refuses its writes
    ops_at_power_loss += fs->mutating_ops() - ops_before;
    ASSERT_TRUE(fs->ApplyPowerLoss(round % 2 ? PowerLossModel::kKeepRandomUnsyncedPrefix
                                             : PowerLossModel::kDropUnsynced,
                                   rng())
                    .ok());

    auto store = StoreImpl::Open(options, path, lo);
    ASSERT_TRUE(store.ok()) << "round " << round << ": reopening after power loss: " << store.status().ToString();
    auto stored = (*store)->ScanTurns(kTenant, {});
    ASSERT_TRUE(stored.ok()) << stored.status().ToString();
    std::map<std::string, const StoredTurn*> by_id;
    for (const auto& st : *stored) by_id[st.turn.source_id] = &st;

    size_t expected_present = 0;
    bool hole = false;  // a write before this one is missing
    for (size_t h = 0; h < history.size(); ++h) {
      const Write& write = history[h];
      size_t present = 0;
      for (size_t i = 0; i < write.turns.size(); ++i) {
        auto it = by_id.find(write.turns[i].source_id);
        if (it == by_id.end()) continue;
        ++present;
        const Turn& got = it->second->turn;
        EXPECT_EQ(got.text, write.turns[i].text) << write.turns[i].source_id << " is torn";
        EXPECT_EQ(got.speaker, write.turns[i].speaker);
        EXPECT_EQ(got.session, write.turns[i].session);
        EXPECT_EQ(got.time_ms, write.turns[i].time_ms);
        if (write.acknowledged) EXPECT_EQ(it->second->seq, write.seqs[i]) << write.turns[i].source_id;
      }
      expected_present += present;
      if (present != 0 && present != write.turns.size()) {
        ++torn_batches;
        ADD_FAILURE() << "batch " << write.turns[0].source_id << " is half there: " << present << " of "
                      << write.turns.size();
      }
      const std::string& first = write.turns[0].source_id;
      if (present == 0) {
        if (durable.count(first)) ADD_FAILURE() << first << " was stored after an earlier power loss and is gone";
        if (write.acknowledged && write.synced) {
          ++lost_synced;
          ADD_FAILURE() << "acknowledged synced write " << first << " is lost (round " << round << ")";
        } else if (write.acknowledged && !durable.count(first)) {
          ++lost_unsynced;
        }
        hole = true;
      } else {
        if (hole) ADD_FAILURE() << first << " survived although an earlier write did not";
        durable[first] = h;
      }
    }
    EXPECT_EQ(expected_present, stored->size()) << "the store holds turns nobody wrote";
    // Lost writes are gone for good: forget them so the next round starts
    // from what is stored.
    std::vector<Write> kept;
    for (auto& write : history) {
      if (durable.count(write.turns[0].source_id)) kept.push_back(std::move(write));
    }
    history = std::move(kept);
  }
  std::printf("power loss: %d rounds, %zu acknowledged synced turns, %zu lost (must be 0); %zu unsynced writes "
              "lost; %zu torn batches; %.1f file-system operations per round\n",
              rounds, synced_acks, lost_synced, lost_unsynced, torn_batches,
              static_cast<double>(ops_at_power_loss) / rounds);
  EXPECT_EQ(lost_synced, 0u);
  EXPECT_GT(synced_acks, 0u);
}

}  // namespace
}  // namespace engram

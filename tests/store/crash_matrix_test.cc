// The crash matrix: for each write path of the store (observe, batch,
// forget, rebuild, reindex, snapshot saving on close, background enrichment)
// an I/O error (EIO once, EIO from then on, ENOSPC from then on) or a power
// loss is injected at the k-th file-system operation of the operation; then
// the store is reopened on what the disk holds and checked:
//   - every acknowledged turn is there, byte-exact, with its seq;
//   - a write that failed is all there or not at all;
//   - nothing is there that nobody wrote;
//   - a forget that returned OK is complete; a forget that failed left the
//     tenant whole or gone, never half (both are counted);
//   - the derived state (event units, stats, recall hits) equals what a
//     Rebuild() derives from the log;
//   - every queued enrichment job completes exactly once.
//
// ENGRAM_CRASH_ROUNDS sets the rounds per operation (default 3); each test
// prints one line of figures: rounds, rounds the fault hit, turns the
// operation had acknowledged, acknowledged turns found intact after reopening
// (summed over rounds), lost turns (must be 0), and how failed forgets ended.
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "engram/store.h"
#include "store/store_impl.h"
#include "testing/fault_injection_fs.h"
#include "testing/temp_dir.h"
#include "testing/test_embedder.h"

namespace engram {
namespace {

using testing::FaultInjectionFs;
using testing::FaultKind;
using testing::FaultRule;

enum class Op { kObserve, kBatch, kForget, kRebuild, kReindex, kSnapshot, kEnrichment };
enum class Fault { kIoErrorOnce, kIoErrorFromThenOn, kNoSpaceFromThenOn, kPowerLoss };

const char* OpName(Op op) {
  switch (op) {
    case Op::kObserve: return "observe";
    case Op::kBatch: return "batch";
    case Op::kForget: return "forget";
    case Op::kRebuild: return "rebuild";
    case Op::kReindex: return "reindex";
    case Op::kSnapshot: return "snapshot";
    case Op::kEnrichment: return "enrichment";
  }
  return "?";
}

const char* const kTenants[] = {"alice", "bob", "carol"};
constexpr int kRoundsPerStore = 25;  // then a fresh store, so rounds stay fast

// One unit per turn, recognisable, so each job's result can be counted.
class EchoExtractor final : public Extractor {
 public:
  std::string identity() const override { return "echo/1"; }
  Result<Extraction> Extract(const ExtractionInput& input) override {
    Extraction x;
    EventUnit u;
    u.text = "enriched: " + input.turn.text;
    u.subject = input.turn.speaker;
    u.source_ids = {input.turn.source_id};
    x.units.push_back(u);
    return x;
  }
};

struct ExpectedTurn {
  Turn turn;
  uint64_t seq = 0;       // when acknowledged
  bool certain = false;   // acknowledged, or seen stored after a reopen
  int group = 0;          // turns of one failed write share a group (all or nothing)
  bool enriched = false;  // written while an enrichment extractor was set
};

struct Figures {
  int rounds = 0;     // the first one, which measures the operation, injects nothing
  int fault_hit = 0;
  uint64_t acknowledged = 0;  // turns acknowledged by the operation under fault
  uint64_t checked = 0;       // acknowledged turns found intact after a reopen (all rounds)
  uint64_t lost = 0;
  int forget_ok = 0, forget_failed_whole = 0, forget_failed_gone = 0;
};

class CrashMatrixTest : public ::testing::TestWithParam<Op> {
 protected:
  CrashMatrixTest() : rng_(0xC0FFEEull + static_cast<uint64_t>(GetParam()) * 7919) {}

  Options MakeOptions(bool enrichment) const {
    Options o;
    o.embedder = std::make_shared<testing::TestEmbedder>(salt_);
    o.reembed = true;  // after a reindex that failed half-way either embedder may be recorded
    if (enrichment) o.enrichment_extractor = std::make_shared<EchoExtractor>();
    return o;
  }

  Result<std::unique_ptr<Store>> Open(bool enrichment) {
    log::LogOptions lo;
    lo.file_system = fs_;
    return StoreImpl::Open(MakeOptions(enrichment), path_, lo);
  }

  Turn NewTurn(const std::string& tenant) {
    static const char* const kNames[] = {"Maya", "Tom", "Lena", "Omar"};
    static const char* const kThings[] = {"a grey cat named Miso", "a red bike", "tickets to Lisbon",
                                          "a book about whales", "a new guitar"};
    static const char* const kVerbs[] = {"bought", "adopted", "found", "wanted", "sold"};
    Turn t;
    t.session = "session-" + std::to_string(rng_() % 3);
    t.speaker = rng_() % 2 ? "Ann" : "Bob";
    t.text = std::string("hello world number ") + std::to_string(next_id_) + ". " + kNames[rng_() % 4] + " " +
             kVerbs[rng_() % 5] + " " + kThings[rng_() % 5] + " on 3 May 2023.";
    if (rng_() % 8 == 0) t.text += " " + std::string(1000 + rng_() % 4000, 'x');
    t.time_ms = 1683000000000 + static_cast<int64_t>(next_id_) * 60000;
    t.source_id = tenant + "-" + std::to_string(next_id_++);
    return t;
  }

  void Record(const std::string& tenant, const std::vector<Turn>& turns, const Result<std::vector<uint64_t>>& seqs,
              bool enrichment, bool during_op) {
    const int group = ++next_group_;
    for (size_t i = 0; i < turns.size(); ++i) {
      ExpectedTurn e;
      e.turn = turns[i];
      e.certain = seqs.ok();
      e.seq = seqs.ok() ? (*seqs)[i] : 0;
      e.group = group;
      e.enriched = enrichment;
      model_[tenant][turns[i].source_id] = e;
    }
    if (seqs.ok() && during_op) figures_.acknowledged += turns.size();
  }

  Result<std::vector<uint64_t>> Write(Store& store, const std::string& tenant, const std::vector<Turn>& turns) {
    WriteOptions wo;
    wo.sync = true;
    if (turns.size() == 1) {
      auto seq = store.Observe(tenant, turns[0], wo);
      if (!seq.ok()) return seq.status();
      return std::vector<uint64_t>{*seq};
    }
    return store.ObserveBatch(tenant, turns, wo);
  }

  // What the derived state of a tenant looks like from outside.
  std::string Fingerprint(Store& store, const std::string& tenant) {
    std::string out;
    auto stats = store.GetTenantStats(tenant);
    if (!stats.ok()) return "stats: " + stats.status().ToString();
    out += "turns=" + std::to_string(stats->turns) + " units=" + std::to_string(stats->units) +
           " facts=" + std::to_string(stats->facts) + "\n";
    auto units = store.EventUnits(tenant);
    if (!units.ok()) return "units: " + units.status().ToString();
    std::multiset<std::string> unit_texts;
    for (const auto& u : *units) unit_texts.insert(u.text);
    for (const auto& t : unit_texts) out += "unit: " + t + "\n";
    RecallOptions ro;
    ro.k = 1000;
    auto recall = store.Recall(tenant, "hello world cat Lisbon", ro);
    if (!recall.ok()) return "recall: " + recall.status().ToString();
    std::multiset<std::string> hits;
    for (const auto& h : recall->hits) hits.insert(h.kind + ": " + h.text);
    for (const auto& h : hits) out += "hit: " + h + "\n";
    return out;
  }

  void ArmFault(Fault fault, uint64_t k) {
    switch (fault) {
      case Fault::kIoErrorOnce: fs_->InjectFault(FaultRule::Once(testing::kAllWrites, FaultKind::kIoError, k)); break;
      case Fault::kIoErrorFromThenOn:
        fs_->InjectFault(FaultRule::From(testing::kAllWrites, FaultKind::kIoError, k));
        break;
      case Fault::kNoSpaceFromThenOn:
        fs_->InjectFault(FaultRule::From(testing::kAllWrites, FaultKind::kNoSpace, k));
        break;
      case Fault::kPowerLoss: fs_->PowerLossAt(k); break;
    }
  }

  void RunRound(int round);
  void Verify(Store& store, int round, const std::string& forget_failed_for);

  testing::TempDir dir_;
  std::string path_ = dir_.Sub("store");
  std::shared_ptr<FaultInjectionFs> fs_ = std::make_shared<FaultInjectionFs>();
  std::mt19937_64 rng_;
  uint64_t salt_ = 1;
  uint64_t next_id_ = 0;
  int next_group_ = 0;
  uint64_t max_ops_ = 1;  // operations the operation takes, learnt from rounds without a hit
  std::map<std::string, std::map<std::string, ExpectedTurn>> model_;
  Figures figures_;
};

void CrashMatrixTest::RunRound(int round) {
  const Op op = GetParam();
  const bool enrichment = op == Op::kEnrichment;
  if (round % kRoundsPerStore == 0) {
    std::filesystem::remove_all(path_);
    model_.clear();
  }
  auto opened = Open(enrichment);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  std::unique_ptr<Store> store = std::move(*opened);

  // Every tenant has a few turns to lose.
  for (const char* tenant : kTenants) {
    while (model_[tenant].size() < 2) {
      std::vector<Turn> turns = {NewTurn(tenant)};
      auto seqs = Write(*store, tenant, turns);
      ASSERT_TRUE(seqs.ok()) << seqs.status().ToString();
      Record(tenant, turns, seqs, enrichment, false);
    }
  }
  if (op == Op::kSnapshot) {
    // Load every tenant, then add a turn: closing must save a new snapshot.
    for (const char* tenant : kTenants) {
      ASSERT_TRUE(store->Recall(tenant, "hello", {}).ok());
      std::vector<Turn> turns = {NewTurn(tenant)};
      auto seqs = Write(*store, tenant, turns);
      ASSERT_TRUE(seqs.ok()) << seqs.status().ToString();
      Record(tenant, turns, seqs, enrichment, false);
    }
  }
  if (op == Op::kReindex) store.reset();  // the reindex is the next open

  // The first round runs without a fault and measures how many operations
  // the operation takes; k is drawn from that range (widened whenever a
  // later round's fault came too late to hit).
  const bool calibrating = round == 0;
  const Fault fault = static_cast<Fault>(rng_() % 4);
  const uint64_t k = 1 + rng_() % max_ops_;
  const uint64_t ops_before = fs_->mutating_ops();
  if (!calibrating) ArmFault(fault, k);

  std::string forget_failed_for;
  const std::string tenant = kTenants[rng_() % 3];
  switch (op) {
    case Op::kObserve:
    case Op::kEnrichment:
      for (int i = 0; i < 3; ++i) {
        std::vector<Turn> turns = {NewTurn(tenant)};
        Record(tenant, turns, Write(*store, tenant, turns), enrichment, true);
      }
      if (enrichment) (void)store->WaitForEnrichment(300);
      break;
    case Op::kBatch:
      for (int b = 0; b < 2; ++b) {
        std::vector<Turn> turns;
        for (size_t i = 0, n = 2 + rng_() % 3; i < n; ++i) turns.push_back(NewTurn(tenant));
        Record(tenant, turns, Write(*store, tenant, turns), enrichment, true);
      }
      break;
    case Op::kForget: {
      WriteOptions wo;
      wo.sync = true;
      auto report = store->ForgetTenant(tenant, wo);
      if (report.ok()) {
        ++figures_.forget_ok;
        model_[tenant].clear();
      } else {
        forget_failed_for = tenant;
      }
      break;
    }
    case Op::kRebuild: (void)store->Rebuild(); break;
    case Op::kReindex: {
      salt_ = 1 + rng_() % 1000000;  // another embedder
      auto reindexed = Open(enrichment);
      if (reindexed.ok()) store = std::move(*reindexed);
      break;
    }
    case Op::kSnapshot: store.reset(); break;  // closing saves the snapshots
  }
  const bool hit = fs_->faults_injected() > 0 || fs_->power_lost();
  if (hit) {
    ++figures_.fault_hit;
  } else {
    max_ops_ = std::max(max_ops_, fs_->mutating_ops() - ops_before + 1);
  }

  // Power goes now if it has not yet; an armed I/O error lasts through close.
  const bool power_loss = !calibrating && fault == Fault::kPowerLoss;
  if (power_loss) fs_->LosePowerNow();
  store.reset();
  if (power_loss) {
    ASSERT_TRUE(fs_->ApplyPowerLoss(rng_() % 2 ? testing::PowerLossModel::kKeepRandomUnsyncedPrefix
                                               : testing::PowerLossModel::kDropUnsynced,
                                    rng_())
                    .ok());
  } else {
    fs_->ClearFaults();
  }

  auto reopened = Open(enrichment);
  ASSERT_TRUE(reopened.ok()) << OpName(op) << " round " << round << ": reopening failed: "
                             << reopened.status().ToString();
  Verify(**reopened, round, forget_failed_for);
}

void CrashMatrixTest::Verify(Store& store, int round, const std::string& forget_failed_for) {
  const std::string where = std::string(OpName(GetParam())) + " round " + std::to_string(round);
  for (const char* tenant : kTenants) {
    auto scanned = store.ScanTurns(tenant, {});
    ASSERT_TRUE(scanned.ok()) << scanned.status().ToString();
    std::map<std::string, const StoredTurn*> present;
    for (const auto& st : *scanned) present[st.turn.source_id] = &st;
    auto& expected = model_[tenant];

    if (tenant == forget_failed_for) {
      size_t certain = 0, certain_present = 0;
      for (const auto& [id, e] : expected) {
        certain += e.certain;
        certain_present += e.certain && present.count(id);
      }
      if (present.empty()) {
        ++figures_.forget_failed_gone;
        expected.clear();
      } else if (certain_present == certain) {
        ++figures_.forget_failed_whole;
      } else {
        ADD_FAILURE() << where << ": a failed forget left tenant " << tenant << " half there: " << certain_present
                      << " of " << certain << " turns";
      }
    }

    std::map<int, std::pair<size_t, size_t>> groups;  // failed write -> (turns, present)
    for (auto it = expected.begin(); it != expected.end();) {
      ExpectedTurn& e = it->second;
      auto p = present.find(it->first);
      if (p != present.end()) {
        const Turn& got = p->second->turn;
        EXPECT_EQ(got.text, e.turn.text) << where << ": " << it->first << " is torn";
        EXPECT_EQ(got.speaker, e.turn.speaker) << where;
        EXPECT_EQ(got.session, e.turn.session) << where;
        EXPECT_EQ(got.time_ms, e.turn.time_ms) << where;
        if (e.certain && e.seq != 0) EXPECT_EQ(p->second->seq, e.seq) << where << ": " << it->first;
        figures_.checked += e.certain;
      }
      if (!e.certain) {
        auto& g = groups[e.group];
        ++g.first;
        g.second += p != present.end();
      }
      if (e.certain && p == present.end()) {
        ++figures_.lost;
        ADD_FAILURE() << where << ": acknowledged turn " << it->first << " of " << tenant << " is lost";
      }
      if (p != present.end()) {
        e.certain = true;
        e.seq = p->second->seq;
        present.erase(p);
        ++it;
      } else if (!e.certain) {
        it = expected.erase(it);
      } else {
        ++it;
      }
    }
    for (const auto& [group, counts] : groups) {
      EXPECT_TRUE(counts.second == 0 || counts.second == counts.first)
          << where << ": a failed write of " << counts.first << " turns left " << counts.second;
    }
    for (const auto& [id, st] : present) ADD_FAILURE() << where << ": " << id << " was never written";
    if (expected.empty()) {
      // A forgotten tenant is gone completely, derived records included.
      auto units = store.EventUnits(tenant);
      ASSERT_TRUE(units.ok()) << units.status().ToString();
      EXPECT_TRUE(units->empty()) << where << ": " << units->size() << " units of a forgotten tenant remain";
    }
  }

  if (GetParam() == Op::kEnrichment) {
    Status waited = store.WaitForEnrichment(20000);
    ASSERT_TRUE(waited.ok()) << where << ": " << waited.ToString();
    for (const char* tenant : kTenants) {
      auto units = store.EventUnits(tenant);
      ASSERT_TRUE(units.ok()) << units.status().ToString();
      std::map<std::string, int> enriched;  // source id -> enrichment units
      for (const auto& u : *units) {
        if (u.text.rfind("enriched: ", 0) == 0 && !u.source_ids.empty()) ++enriched[u.source_ids[0]];
      }
      for (const auto& [id, e] : model_[tenant]) {
        EXPECT_EQ(enriched[id], e.enriched ? 1 : 0) << where << ": enrichment of " << id;
      }
    }
  }

  // What was loaded from snapshots and the log equals a rebuild from the log.
  std::map<std::string, std::string> before;
  for (const char* tenant : kTenants) before[tenant] = Fingerprint(store, tenant);
  ASSERT_TRUE(store.Rebuild().ok()) << where;
  for (const char* tenant : kTenants) {
    EXPECT_EQ(before[tenant], Fingerprint(store, tenant)) << where << ": derived state of " << tenant;
  }
}

TEST_P(CrashMatrixTest, AcknowledgedWritesSurviveFaultsAtEveryOperation) {
  const char* env = std::getenv("ENGRAM_CRASH_ROUNDS");
  const int rounds = env != nullptr && *env != '\0' ? std::max(1, std::atoi(env)) : 3;
  for (int round = 0; round < rounds && !HasFatalFailure(); ++round) {
    RunRound(round);
    ++figures_.rounds;
  }
  std::printf("crash matrix | %-10s | rounds %d | fault hit %d | acknowledged turns %llu | checked %llu | lost %llu | "
              "forget ok %d, failed+whole %d, failed+gone %d\n",
              OpName(GetParam()), figures_.rounds, figures_.fault_hit,
              static_cast<unsigned long long>(figures_.acknowledged), static_cast<unsigned long long>(figures_.checked),
              static_cast<unsigned long long>(figures_.lost),
              figures_.forget_ok, figures_.forget_failed_whole, figures_.forget_failed_gone);
  EXPECT_EQ(figures_.lost, 0u);
}

INSTANTIATE_TEST_SUITE_P(Operations, CrashMatrixTest,
                         ::testing::Values(Op::kObserve, Op::kBatch, Op::kForget, Op::kRebuild, Op::kReindex,
                                           Op::kSnapshot, Op::kEnrichment),
                         [](const ::testing::TestParamInfo<Op>& info) {
                           std::string name = OpName(info.param);
                           name[0] = static_cast<char>(std::toupper(name[0]));
                           return name;
                         });

}  // namespace
}  // namespace engram

// Store: the event log's behaviour as a user sees it through the public API
// (sequence numbers, idempotency, reads, tenancy, bad input, versioning).
#include "engram/store.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include "testing/raw_store.h"
#include "testing/temp_dir.h"

namespace engram {
namespace {

using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

Options LogOnly() {
  Options options;
  options.log_only = true;
  return options;
}

std::unique_ptr<Store> OpenOrDie(const std::string& path, const Options& options = LogOnly()) {
  auto store = Store::Open(options, path);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  if (!store.ok()) return nullptr;
  return std::move(*store);
}

Turn MakeTurn(std::string source_id, std::string text, std::string session = "s1", TimeMs time_ms = 0,
              std::string speaker = "Caroline") {
  Turn turn;
  turn.session = std::move(session);
  turn.speaker = std::move(speaker);
  turn.text = std::move(text);
  turn.time_ms = time_ms;
  turn.source_id = std::move(source_id);
  return turn;
}

void ExpectSameTurn(const Turn& want, const Turn& got) {
  EXPECT_EQ(want.session, got.session);
  EXPECT_EQ(want.speaker, got.speaker);
  EXPECT_EQ(want.text, got.text);
  EXPECT_EQ(want.time_ms, got.time_ms);
  EXPECT_EQ(want.source_id, got.source_id);
}

size_t CountTurns(Store& store, std::string_view tenant) {
  auto turns = store.ScanTurns(tenant);
  EXPECT_TRUE(turns.ok()) << turns.status().ToString();
  return turns.ok() ? turns->size() : 0;
}

std::vector<std::string> SourceIds(const std::vector<StoredTurn>& turns) {
  std::vector<std::string> ids;
  for (const auto& t : turns) ids.push_back(t.turn.source_id);
  return ids;
}

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = OpenOrDie(path());
    ASSERT_NE(store_, nullptr);
  }
  std::string path() const { return dir_.Sub("store"); }
  void Reopen(const Options& options = LogOnly()) {
    store_.reset();
    store_ = OpenOrDie(path(), options);
    ASSERT_NE(store_, nullptr);
  }

  testing::TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(StoreTest, ObserveReturnsIncreasingSequenceNumbers) {
  uint64_t last = 0;
  for (int i = 0; i < 5; ++i) {
    auto seq = store_->Observe("u", MakeTurn("id" + std::to_string(i), "turn " + std::to_string(i)));
    ASSERT_TRUE(seq.ok()) << seq.status().ToString();
    EXPECT_GT(*seq, last);
    last = *seq;
  }
  std::vector<Turn> batch = {MakeTurn("b0", "x"), MakeTurn("b1", "y"), MakeTurn("", "z")};
  auto seqs = store_->ObserveBatch("other", batch);
  ASSERT_TRUE(seqs.ok()) << seqs.status().ToString();
  ASSERT_EQ(seqs->size(), 3u);
  for (uint64_t s : *seqs) {
    EXPECT_GT(s, last) << "sequence numbers are global and increase across tenants";
    last = s;
  }
  // Sequence numbers keep increasing after a reopen: nothing is reused.
  Reopen();
  auto after = store_->Observe("u", MakeTurn("after", "after reopen"));
  ASSERT_TRUE(after.ok());
  EXPECT_GT(*after, last);
}

TEST_F(StoreTest, ObserveIsIdempotentOnTenantAndSourceId) {
  auto first = store_->Observe("u", MakeTurn("D1:3", "I went to a support group yesterday."));
  ASSERT_TRUE(first.ok());
  auto again = store_->Observe("u", MakeTurn("D1:3", "I went to a support group yesterday."));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *first);
  EXPECT_EQ(CountTurns(*store_, "u"), 1u);
  // Other content under the same id is a correction, which only Update makes.
  auto different = store_->Observe("u", MakeTurn("D1:3", "a different text under the same id"));
  EXPECT_TRUE(different.status().code() == Status::Code::kAlreadyExists) << different.status().ToString();
  auto stored = store_->GetTurnBySourceId("u", "D1:3");
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->turn.text, "I went to a support group yesterday.") << "the stored turn is never overwritten";

  // In a batch: the known id gets its old seq back, the new one a new seq.
  std::vector<Turn> batch = {MakeTurn("D1:3", "I went to a support group yesterday."), MakeTurn("D1:4", "new")};
  auto seqs = store_->ObserveBatch("u", batch);
  ASSERT_TRUE(seqs.ok());
  ASSERT_EQ(seqs->size(), 2u);
  EXPECT_EQ((*seqs)[0], *first);
  EXPECT_GT((*seqs)[1], *first);
  EXPECT_EQ(CountTurns(*store_, "u"), 2u);

  // A batch of only known ids writes nothing and returns the stored seqs.
  auto known = store_->ObserveBatch("u", batch);
  ASSERT_TRUE(known.ok());
  EXPECT_EQ(*known, *seqs);
  EXPECT_EQ(CountTurns(*store_, "u"), 2u);

  // Across a reopen (a re-import of the same history).
  Reopen();
  auto reimport = store_->ObserveBatch("u", batch);
  ASSERT_TRUE(reimport.ok());
  EXPECT_EQ(*reimport, *seqs);
  auto single = store_->Observe("u", MakeTurn("D1:3", "I went to a support group yesterday."));
  ASSERT_TRUE(single.ok());
  EXPECT_EQ(*single, *first);
  EXPECT_EQ(CountTurns(*store_, "u"), 2u);
}

TEST_F(StoreTest, BatchWithRepeatedIdsStoresTheFirstOccurrenceOnce) {
  std::vector<Turn> batch = {MakeTurn("a", "first a"), MakeTurn("b", "b"), MakeTurn("a", "first a"),
                             MakeTurn("a", "first a")};
  auto seqs = store_->ObserveBatch("u", batch);
  ASSERT_TRUE(seqs.ok()) << seqs.status().ToString();
  ASSERT_EQ(seqs->size(), 4u);
  EXPECT_EQ((*seqs)[0], (*seqs)[2]);
  EXPECT_EQ((*seqs)[0], (*seqs)[3]);
  EXPECT_NE((*seqs)[0], (*seqs)[1]);
  auto turns = store_->ScanTurns("u");
  ASSERT_TRUE(turns.ok());
  EXPECT_EQ(SourceIds(*turns), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ((*turns)[0].turn.text, "first a");
  EXPECT_EQ((*turns)[0].seq, (*seqs)[0]);
  EXPECT_EQ((*turns)[1].seq, (*seqs)[1]);
}

TEST_F(StoreTest, GetTurnReturnsEveryFieldByteExact) {
  Turn turn = MakeTurn("D2:7", "Ünïcödé, 中文, emoji 😀, \"quotes\", a\nnewline, a\ttab and a NUL-free end",
                       "session_2", 1683554160123, "Mélanie");
  auto seq = store_->Observe("conv-26", turn);
  ASSERT_TRUE(seq.ok());
  auto got = store_->GetTurn("conv-26", *seq);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->seq, *seq);
  EXPECT_EQ(got->tenant, "conv-26");
  ExpectSameTurn(turn, got->turn);
  auto by_id = store_->GetTurnBySourceId("conv-26", "D2:7");
  ASSERT_TRUE(by_id.ok());
  EXPECT_EQ(by_id->seq, *seq);
  ExpectSameTurn(turn, by_id->turn);

  // Negative times (before 1970) round-trip too.
  Turn old = MakeTurn("old", "long ago", "s", -86400000LL * 365 * 30);
  auto old_seq = store_->Observe("conv-26", old);
  ASSERT_TRUE(old_seq.ok());
  Reopen();
  auto old_got = store_->GetTurn("conv-26", *old_seq);
  ASSERT_TRUE(old_got.ok());
  ExpectSameTurn(old, old_got->turn);
  auto after_reopen = store_->GetTurn("conv-26", *seq);
  ASSERT_TRUE(after_reopen.ok());
  ExpectSameTurn(turn, after_reopen->turn);
}

TEST_F(StoreTest, MissingTurnsAreNotFound) {
  auto seq = store_->Observe("u", MakeTurn("x", "text"));
  ASSERT_TRUE(seq.ok());
  auto missing = store_->GetTurn("u", *seq + 100);
  EXPECT_TRUE(missing.status().IsNotFound()) << missing.status().ToString();
  auto missing_id = store_->GetTurnBySourceId("u", "nope");
  EXPECT_TRUE(missing_id.status().IsNotFound()) << missing_id.status().ToString();
  EXPECT_THAT(missing_id.status().message(), HasSubstr("nope"));
  auto other_tenant = store_->GetTurn("v", *seq);
  EXPECT_TRUE(other_tenant.status().IsNotFound());
  auto empty_scan = store_->ScanTurns("never-written");
  ASSERT_TRUE(empty_scan.ok());
  EXPECT_TRUE(empty_scan->empty());
}

TEST_F(StoreTest, GeneratedSourceIdsAreUniqueAndFindable) {
  std::vector<Turn> batch = {MakeTurn("", "one"), MakeTurn("", "two")};
  auto seqs = store_->ObserveBatch("u", batch);
  ASSERT_TRUE(seqs.ok());
  ASSERT_NE((*seqs)[0], (*seqs)[1]) << "turns without an id are never merged";
  auto turns = store_->ScanTurns("u");
  ASSERT_TRUE(turns.ok());
  ASSERT_EQ(turns->size(), 2u);
  EXPECT_FALSE((*turns)[0].turn.source_id.empty());
  EXPECT_NE((*turns)[0].turn.source_id, (*turns)[1].turn.source_id);
  for (const auto& t : *turns) {
    auto by_id = store_->GetTurnBySourceId("u", t.turn.source_id);
    ASSERT_TRUE(by_id.ok());
    EXPECT_EQ(by_id->seq, t.seq);
  }
}

TEST_F(StoreTest, GeneratedSourceIdsNeverTakeACallersId) {
  // The caller uses the id the store would generate for the next turn.
  auto first = store_->Observe("u", MakeTurn("auto:2", "caller's turn"));
  ASSERT_TRUE(first.ok());
  auto second = store_->Observe("u", MakeTurn("", "generated id"));
  ASSERT_TRUE(second.ok());
  ASSERT_NE(*first, *second);
  auto callers = store_->GetTurnBySourceId("u", "auto:2");
  ASSERT_TRUE(callers.ok());
  EXPECT_EQ(callers->turn.text, "caller's turn");
  auto generated = store_->GetTurn("u", *second);
  ASSERT_TRUE(generated.ok());
  EXPECT_NE(generated->turn.source_id, "auto:2");
  auto by_id = store_->GetTurnBySourceId("u", generated->turn.source_id);
  ASSERT_TRUE(by_id.ok());
  EXPECT_EQ(by_id->turn.text, "generated id");
}

TEST_F(StoreTest, EmptyTextIsInvalidArgument) {
  auto seq = store_->Observe("u", MakeTurn("e1", ""));
  ASSERT_FALSE(seq.ok());
  EXPECT_TRUE(seq.status().IsInvalidArgument());
  EXPECT_THAT(seq.status().message(), HasSubstr("text is empty"));
  auto turns = store_->ScanTurns("u");
  ASSERT_TRUE(turns.ok());
  EXPECT_TRUE(turns->empty());
}

TEST_F(StoreTest, ScanTurnsFiltersBySessionTimeAndLimitInObservedOrder) {
  // Observed out of time order on purpose: a scan returns observe order.
  const std::vector<Turn> turns = {
      MakeTurn("t1", "a", "s1", 5000), MakeTurn("t2", "b", "s2", 1000), MakeTurn("t3", "c", "s1", 3000),
      MakeTurn("t4", "d", "s2", 7000), MakeTurn("t5", "e", "s1", 2000), MakeTurn("t6", "f", "", 0),
  };
  for (const auto& t : turns) ASSERT_TRUE(store_->Observe("u", t).ok());
  ASSERT_TRUE(store_->Observe("noise", MakeTurn("n1", "other tenant", "s1", 3000)).ok());

  auto all = store_->ScanTurns("u");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(SourceIds(*all), (std::vector<std::string>{"t1", "t2", "t3", "t4", "t5", "t6"}));
  for (size_t i = 1; i < all->size(); ++i) EXPECT_LT((*all)[i - 1].seq, (*all)[i].seq);
  for (const auto& st : *all) EXPECT_EQ(st.tenant, "u");

  TurnFilter session;
  session.session = "s1";
  auto s1 = store_->ScanTurns("u", session);
  ASSERT_TRUE(s1.ok());
  EXPECT_EQ(SourceIds(*s1), (std::vector<std::string>{"t1", "t3", "t5"}));

  TurnFilter range;  // [2000, 5000): from inclusive, to exclusive
  range.from_ms = 2000;
  range.to_ms = 5000;
  auto r = store_->ScanTurns("u", range);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(SourceIds(*r), (std::vector<std::string>{"t3", "t5"}));

  TurnFilter limited;
  limited.limit = 2;
  auto l = store_->ScanTurns("u", limited);
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(SourceIds(*l), (std::vector<std::string>{"t1", "t2"}));

  TurnFilter combined;  // the limit counts matching turns only
  combined.session = "s2";
  combined.from_ms = 1000;
  combined.limit = 1;
  auto c = store_->ScanTurns("u", combined);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(SourceIds(*c), (std::vector<std::string>{"t2"}));
}

TEST_F(StoreTest, ListTenantsNamesEveryTenantOnce) {
  for (const char* tenant : {"b", "a", "abc", "ab", "ünï"}) {
    ASSERT_TRUE(store_->Observe(tenant, MakeTurn("1", "x")).ok());
    ASSERT_TRUE(store_->Observe(tenant, MakeTurn("2", "y")).ok());
  }
  auto tenants = store_->ListTenants();
  ASSERT_TRUE(tenants.ok());
  EXPECT_THAT(*tenants, UnorderedElementsAre("a", "b", "ab", "abc", "ünï"));
}

TEST_F(StoreTest, TenantsAreIsolated) {
  auto a = store_->Observe("A", MakeTurn("D1:1", "A's secret"));
  auto b = store_->Observe("B", MakeTurn("D1:1", "B's secret"));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, *b) << "the same source id in two tenants is two turns";
  auto from_a = store_->GetTurnBySourceId("A", "D1:1");
  auto from_b = store_->GetTurnBySourceId("B", "D1:1");
  ASSERT_TRUE(from_a.ok() && from_b.ok());
  EXPECT_EQ(from_a->turn.text, "A's secret");
  EXPECT_EQ(from_b->turn.text, "B's secret");
  EXPECT_TRUE(store_->GetTurn("A", *b).status().IsNotFound()) << "A cannot read B's turn by seq";
  EXPECT_TRUE(store_->GetTurn("B", *a).status().IsNotFound());
  auto scan_a = store_->ScanTurns("A");
  ASSERT_TRUE(scan_a.ok());
  ASSERT_EQ(scan_a->size(), 1u);
  EXPECT_EQ((*scan_a)[0].turn.text, "A's secret");
}

TEST_F(StoreTest, ForgetTenantRemovesOnlyThatTenantAndReportsCounts) {
  std::vector<Turn> a_turns, b_turns;
  for (int i = 0; i < 7; ++i) a_turns.push_back(MakeTurn("id" + std::to_string(i), "A turn " + std::to_string(i)));
  for (int i = 0; i < 4; ++i) b_turns.push_back(MakeTurn("id" + std::to_string(i), "B turn " + std::to_string(i)));
  ASSERT_TRUE(store_->ObserveBatch("A", a_turns).ok());
  auto b_seqs = store_->ObserveBatch("B", b_turns);
  ASSERT_TRUE(b_seqs.ok());
  auto b_before = store_->ScanTurns("B");
  ASSERT_TRUE(b_before.ok());

  WriteOptions sync;
  sync.sync = true;
  auto report = store_->ForgetTenant("A", sync);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->removed.at("turns"), 7u);
  EXPECT_EQ(report->removed.at("source_ids"), 7u);
  EXPECT_GE(report->Total(), 14u);
  EXPECT_TRUE(report->disk_checked) << "with sync, the folder is searched after the purge";
  EXPECT_GT(report->files_checked, 0u);

  EXPECT_EQ(CountTurns(*store_, "A"), 0u);
  EXPECT_TRUE(store_->GetTurnBySourceId("A", "id0").status().IsNotFound());
  auto tenants = store_->ListTenants();
  ASSERT_TRUE(tenants.ok());
  EXPECT_THAT(*tenants, UnorderedElementsAre("B"));

  auto b_after = store_->ScanTurns("B");
  ASSERT_TRUE(b_after.ok());
  ASSERT_EQ(b_after->size(), b_before->size());
  for (size_t i = 0; i < b_after->size(); ++i) {
    EXPECT_EQ((*b_after)[i].seq, (*b_before)[i].seq);
    ExpectSameTurn((*b_before)[i].turn, (*b_after)[i].turn);
  }

  // Forgotten is forgotten after a reopen too, and A can start again: the old
  // ids are new turns now.
  Reopen();
  EXPECT_EQ(CountTurns(*store_, "A"), 0u);
  EXPECT_EQ(CountTurns(*store_, "B"), 4u);
  auto again = store_->Observe("A", MakeTurn("id0", "A again"));
  ASSERT_TRUE(again.ok());
  EXPECT_GT(*again, b_seqs->back());
  auto got = store_->GetTurnBySourceId("A", "id0");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->turn.text, "A again");

  // Forgetting a tenant that has nothing is NotFound (a typo'd name?) and
  // names the closest known tenant.
  auto nothing = store_->ForgetTenant("C");
  ASSERT_TRUE(nothing.status().IsNotFound()) << nothing.status().ToString();
  EXPECT_NE(nothing.status().message().find("'B'"), std::string::npos) << nothing.status().ToString();
  EXPECT_EQ(CountTurns(*store_, "B"), 4u);
}

TEST_F(StoreTest, TenantsThatArePrefixesOfEachOtherStaySeparate) {
  for (const char* tenant : {"a", "ab", "abc"}) {
    for (int i = 0; i < 3; ++i) {
      ASSERT_TRUE(store_->Observe(tenant, MakeTurn("t" + std::to_string(i), std::string(tenant) + " text")).ok());
    }
  }
  auto ab = store_->ScanTurns("ab");
  ASSERT_TRUE(ab.ok());
  ASSERT_EQ(ab->size(), 3u);
  for (const auto& t : *ab) EXPECT_EQ(t.turn.text, "ab text");

  auto report = store_->ForgetTenant("ab");
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->removed.at("turns"), 3u);
  EXPECT_EQ(CountTurns(*store_, "ab"), 0u);
  EXPECT_EQ(CountTurns(*store_, "a"), 3u);
  EXPECT_EQ(CountTurns(*store_, "abc"), 3u);
  auto abc = store_->GetTurnBySourceId("abc", "t1");
  ASSERT_TRUE(abc.ok());
  EXPECT_EQ(abc->turn.text, "abc text");
}

// Each bad turn is InvalidArgument with a message naming the field; the store
// stays usable and keeps what it had.
TEST_F(StoreTest, BadInputIsInvalidArgumentAndLosesNothing) {
  Options options = LogOnly();
  options.max_text_bytes = 1000;
  Reopen(options);
  ASSERT_TRUE(store_->Observe("u", MakeTurn("keep1", "kept")).ok());
  ASSERT_TRUE(store_->Observe("u", MakeTurn("keep2", std::string(1000, 'x'))).ok()) << "exactly the limit is fine";

  struct Case {
    std::string name;
    std::string tenant;
    Turn turn;
    std::string field;  // the message must name it
  };
  const std::vector<Case> cases = {
      {"invalid UTF-8 text", "u", MakeTurn("bad1", "ok then \xff\xfe"), "text"},
      {"truncated UTF-8 text", "u", MakeTurn("bad2", "caf\xc3"), "text"},
      {"overlong UTF-8 text", "u", MakeTurn("bad3", "\xc0\xaf"), "text"},
      {"invalid UTF-8 speaker", "u", MakeTurn("bad4", "fine", "s1", 0, "Mel\xe9nie"), "speaker"},
      {"invalid UTF-8 tenant", "u\xe2\x82", MakeTurn("bad5", "fine"), "tenant"},
      {"empty tenant", "", MakeTurn("bad6", "fine"), "tenant"},
      {"empty speaker", "u", MakeTurn("bad7", "fine", "s1", 0, ""), "speaker"},
      {"text over the limit", "u", MakeTurn("bad8", std::string(1001, 'x')), "1001"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto seq = store_->Observe(c.tenant, c.turn);
    ASSERT_FALSE(seq.ok());
    EXPECT_TRUE(seq.status().IsInvalidArgument()) << seq.status().ToString();
    EXPECT_THAT(seq.status().message(), HasSubstr(c.field));
    EXPECT_TRUE(store_->GetTurnBySourceId(c.tenant.empty() ? "u" : c.tenant, c.turn.source_id).status().IsNotFound());
  }
  auto over = store_->Observe("u", MakeTurn("bad9", std::string(1001, 'x')));
  EXPECT_THAT(over.status().message(), HasSubstr("1000")) << "the message names the limit";

  // A batch with one bad turn writes none of it and says which turn.
  std::vector<Turn> batch = {MakeTurn("good", "good"), MakeTurn("bad", "\xff"), MakeTurn("good2", "good")};
  auto batch_seqs = store_->ObserveBatch("u", batch);
  ASSERT_FALSE(batch_seqs.ok());
  EXPECT_TRUE(batch_seqs.status().IsInvalidArgument());
  EXPECT_THAT(batch_seqs.status().message(), HasSubstr("turn 1"));
  EXPECT_TRUE(store_->GetTurnBySourceId("u", "good").status().IsNotFound());

  // Still usable; nothing already written was lost, before or after a reopen.
  ASSERT_TRUE(store_->Observe("u", MakeTurn("keep3", "after the errors")).ok());
  EXPECT_EQ(SourceIds(*store_->ScanTurns("u")), (std::vector<std::string>{"keep1", "keep2", "keep3"}));
  Reopen(options);
  EXPECT_EQ(SourceIds(*store_->ScanTurns("u")), (std::vector<std::string>{"keep1", "keep2", "keep3"}));
  auto forget = store_->ForgetTenant("");
  EXPECT_TRUE(forget.status().IsInvalidArgument());
}

TEST_F(StoreTest, DefaultTextLimitIs64KiB) {
  EXPECT_EQ(Options().max_text_bytes, 64u * 1024);
  ASSERT_TRUE(store_->Observe("u", MakeTurn("max", std::string(64 * 1024, 'y'))).ok());
  auto over = store_->Observe("u", MakeTurn("over", std::string(64 * 1024 + 1, 'y')));
  EXPECT_TRUE(over.status().IsInvalidArgument()) << over.status().ToString();
  EXPECT_THAT(over.status().message(), HasSubstr("65537"));
}

// A store written by a newer engram (format_version in the meta column
// family, which is RocksDB's "default") is refused, not misread.
TEST(StoreOpenTest, NewerFormatVersionIsNotSupported) {
  testing::TempDir dir;
  const std::string path = dir.Sub("store");
  {
    auto store = OpenOrDie(path);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->Observe("u", MakeTurn("x", "kept")).ok());
  }
  {
    std::string error, version;
    auto raw = testing::RawStore::Open(path, /*read_only=*/false, &error);
    ASSERT_NE(raw, nullptr) << error;
    EXPECT_THAT(raw->names(), ::testing::Contains("default"));
    ASSERT_TRUE(raw->db().Get(rocksdb::ReadOptions(), "format_version", &version).ok());
    EXPECT_EQ(version, "2");
    ASSERT_TRUE(raw->db().Put(rocksdb::WriteOptions(), "format_version", "99").ok());
  }
  auto store = Store::Open(LogOnly(), path);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), Status::Code::kNotSupported) << store.status().ToString();
  EXPECT_THAT(store.status().message(), HasSubstr("99"));
  EXPECT_THAT(store.status().message(), HasSubstr("newer"));
}

// The log's memtables stay within Options::write_buffer_bytes (the largest
// is flushed past it); without that bound they grow with the writes.
TEST(StoreOpenTest, TheLogsMemtablesStayWithinTheirBudget) {
  auto memtables_after_writes = [](size_t write_buffer_bytes) {
    testing::TempDir dir;
    Options options = LogOnly();
    options.write_buffer_bytes = write_buffer_bytes;
    auto store = OpenOrDie(dir.Sub("store"), options);
    if (store == nullptr) return uint64_t{0};
    std::vector<Turn> turns;
    for (int i = 0; i < 3000; ++i) {
      turns.push_back(MakeTurn("t" + std::to_string(i), std::string(2000, static_cast<char>('a' + i % 26))));
    }
    for (size_t at = 0; at < turns.size(); at += 100) {
      EXPECT_TRUE(store->ObserveBatch("u", std::span<const Turn>(turns.data() + at, 100)).ok());
    }
    auto back = store->GetTurnBySourceId("u", "t2999");
    EXPECT_TRUE(back.ok()) << back.status().ToString();
    // Flushes run in the background and, on a busy machine, late: wait
    // (up to a generous deadline) for the memtables to settle under 5 MiB.
    MemoryUsage usage = store->GetMemoryUsage();
    EXPECT_GT(usage.log_block_cache_bytes + usage.log_memtable_bytes, 0u);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (write_buffer_bytes != 0 && usage.log_memtable_bytes > (uint64_t{5} << 20) &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      usage = store->GetMemoryUsage();
    }
    return usage.log_memtable_bytes;
  };
  const uint64_t bounded = memtables_after_writes(size_t{1} << 20);
  const uint64_t unbounded = memtables_after_writes(0);
  // About 6 MB written. A memtable past the budget is flushed in the
  // background, so a budget's worth may wait for its flush beside the
  // active ones (and every column family keeps a small arena); once the
  // flushes are done the total is back near the budget.
  EXPECT_LE(bounded, uint64_t{5} << 20) << "under a 1 MiB budget; unbounded: " << unbounded;
  EXPECT_GT(unbounded, uint64_t{6} << 20) << "without a budget the memtables hold what was written";
}

TEST(StoreOpenTest, MissingStoreWithoutCreateIsNotFound) {
  testing::TempDir dir;
  const std::string path = dir.Sub("absent");
  Options options = LogOnly();
  options.create_if_missing = false;
  auto store = Store::Open(options, path);
  ASSERT_FALSE(store.ok());
  EXPECT_TRUE(store.status().IsNotFound()) << store.status().ToString();
  EXPECT_THAT(store.status().message(), HasSubstr(path));
  EXPECT_FALSE(std::filesystem::exists(path)) << "a failed open creates nothing";
}

TEST(StoreOpenTest, AnEmptyFolderWithoutCreateIsNotFoundAndStaysEmpty) {
  testing::TempDir dir;
  const std::string path = dir.Sub("empty");
  std::filesystem::create_directories(path);
  Options options = LogOnly();
  options.create_if_missing = false;
  auto store = Store::Open(options, path);
  ASSERT_FALSE(store.ok());
  EXPECT_TRUE(store.status().IsNotFound()) << store.status().ToString();
  EXPECT_TRUE(std::filesystem::is_empty(path));
}

TEST(StoreOpenTest, AFileWhereTheFolderShouldBeIsRefused) {
  testing::TempDir dir;
  const std::string path = dir.Sub("file");
  std::ofstream(path) << "not a store";
  auto store = Store::Open(LogOnly(), path);
  ASSERT_FALSE(store.ok());
  EXPECT_TRUE(store.status().IsInvalidArgument()) << store.status().ToString();
  std::ifstream in(path);
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(content, "not a store") << "the file is left alone";
}

TEST(StoreOpenTest, ASecondOpenOfAnOpenStoreFailsCleanly) {
  testing::TempDir dir;
  auto first = OpenOrDie(dir.Sub("store"));
  ASSERT_NE(first, nullptr);
  ASSERT_TRUE(first->Observe("u", MakeTurn("x", "y")).ok());
  auto second = Store::Open(LogOnly(), dir.Sub("store"));
  EXPECT_FALSE(second.ok()) << "RocksDB's lock keeps two writers apart";
  auto still = first->GetTurnBySourceId("u", "x");
  EXPECT_TRUE(still.ok());
}

}  // namespace
}  // namespace engram

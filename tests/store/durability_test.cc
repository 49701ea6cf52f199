// The crash test: a writer process is SIGKILLed at random moments, again and
// again on the same store, and every turn it had been told was stored must
// still be there, byte-exact, with nothing half-written beside it.
//
// The writer is a fork() of this test (no exec), so parent and child share
// the deterministic turn generator: the parent can recompute every turn the
// child could have submitted. The child opens the store only after the fork,
// and the parent never touches RocksDB until every child is gone (a fork of a
// process with RocksDB's background threads running would inherit their
// locks but not the threads).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include "engram/store.h"
#include "testing/temp_dir.h"

namespace engram {
namespace {

constexpr char kTenant[] = "crash-tenant";
constexpr uint32_t kMaxTurnsPerRound = 1u << 20;

uint64_t SplitMix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

std::string SourceId(uint32_t round, uint32_t index) {
  return "r" + std::to_string(round) + "-i" + std::to_string(index);
}

// The turn the writer submits as number `index` of round `round`: text of
// 1..3000 code points mixing ASCII with 2-, 3- and 4-byte UTF-8.
Turn GenerateTurn(uint64_t seed, uint32_t round, uint32_t index) {
  std::mt19937_64 rng(SplitMix64(seed ^ SplitMix64((uint64_t{round} << 32) | index)));
  static const char* const kPieces[] = {"a", "b", "z", " ", "0", "\"", "\\", "\n", "é", "ß", "Ω",
                                        "中", "文", "€", "😀", "🎨", "𝄞"};
  constexpr size_t kNumPieces = sizeof(kPieces) / sizeof(kPieces[0]);
  // Mostly short turns, some long ones.
  size_t length = std::uniform_int_distribution<int>(0, 9)(rng) == 0
                      ? std::uniform_int_distribution<size_t>(500, 3000)(rng)
                      : std::uniform_int_distribution<size_t>(1, 200)(rng);
  Turn turn;
  std::uniform_int_distribution<size_t> piece(0, kNumPieces - 1);
  for (size_t i = 0; i < length; ++i) turn.text += kPieces[piece(rng)];
  turn.speaker = std::uniform_int_distribution<int>(0, 1)(rng) ? "Caroline" : "Mélanie";
  turn.session = "session_" + std::to_string(round);
  turn.time_ms = 1683554160000LL + static_cast<int64_t>(rng() % 1000000000);
  turn.source_id = SourceId(round, index);
  return turn;
}

// Sizes of the batches the writer submits in a round, in order, covering
// turn indexes 0, 1, 2, ...: mostly single Observe calls, some ObserveBatch
// calls of up to 5 turns (which must land all or nothing).
std::vector<uint32_t> BatchSizes(uint64_t seed, uint32_t round, uint32_t max_turns) {
  std::mt19937_64 rng(SplitMix64(seed + 7919 * (round + 1)));
  std::vector<uint32_t> sizes;
  uint32_t total = 0;
  while (total < max_turns) {
    uint32_t n = std::uniform_int_distribution<int>(0, 3)(rng) == 0
                     ? std::uniform_int_distribution<uint32_t>(2, 5)(rng)
                     : 1;
    sizes.push_back(n);
    total += n;
  }
  return sizes;
}

// What the child tells the parent: "turn `index` of `round` is stored with
// this seq". 16 bytes, so each write to the pipe is atomic.
struct Ack {
  uint64_t seq;
  uint32_t round;
  uint32_t index;
};
static_assert(sizeof(Ack) == 16);
constexpr uint32_t kOpenedMarker = 0xFFFFFFFFu;  // Ack.index when the store is open

void WriteAll(int fd, const void* data, size_t n) {
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) _exit(11);
    p += w;
    n -= static_cast<size_t>(w);
  }
}

// The writer process: never returns.
[[noreturn]] void RunWriter(const std::string& path, uint64_t seed, uint32_t round, bool sync, int fd) {
  Options options;
  options.log_only = true;
  auto store = Store::Open(options, path);
  if (!store.ok()) {
    std::fprintf(stderr, "writer: open failed: %s\n", store.status().ToString().c_str());
    _exit(12);
  }
  Ack opened{0, round, kOpenedMarker};
  WriteAll(fd, &opened, sizeof(opened));
  WriteOptions wo;
  wo.sync = sync;
  uint32_t index = 0;
  for (uint32_t size : BatchSizes(seed, round, kMaxTurnsPerRound)) {
    std::vector<Turn> batch;
    for (uint32_t k = 0; k < size; ++k) batch.push_back(GenerateTurn(seed, round, index + k));
    std::vector<uint64_t> seqs;
    if (size == 1) {
      auto seq = (*store)->Observe(kTenant, batch[0], wo);
      if (!seq.ok()) _exit(13);
      seqs.push_back(*seq);
    } else {
      auto s = (*store)->ObserveBatch(kTenant, batch, wo);
      if (!s.ok()) _exit(14);
      seqs = std::move(*s);
    }
    for (uint32_t k = 0; k < size; ++k) {
      Ack ack{seqs[k], round, index + k};
      WriteAll(fd, &ack, sizeof(ack));
    }
    index += size;
  }
  _exit(0);
}

struct RoundResult {
  std::vector<Ack> acks;
  bool opened = false;
};

// Reads whole Acks from `fd` until `deadline` or EOF (time_point::max():
// until EOF only).
void ReadAcks(int fd, std::chrono::steady_clock::time_point deadline, std::string* pending, RoundResult* out) {
  char buf[4096];
  for (;;) {
    auto now = std::chrono::steady_clock::now();
    int timeout_ms = -1;
    if (deadline != std::chrono::steady_clock::time_point::max()) {
      if (now >= deadline) return;
      timeout_ms = static_cast<int>(
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count() + 1);
    }
    pollfd pfd{fd, POLLIN, 0};
    int r = poll(&pfd, 1, timeout_ms);
    if (r < 0 && errno == EINTR) continue;
    if (r == 0) continue;  // timed out: the loop re-checks the deadline
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // EOF: the child is gone
    pending->append(buf, static_cast<size_t>(n));
    size_t whole = pending->size() / sizeof(Ack) * sizeof(Ack);
    for (size_t off = 0; off < whole; off += sizeof(Ack)) {
      Ack ack;
      std::memcpy(&ack, pending->data() + off, sizeof(Ack));
      if (ack.index == kOpenedMarker) {
        out->opened = true;
      } else {
        out->acks.push_back(ack);
      }
    }
    pending->erase(0, whole);
  }
}

// Forks a writer, lets it run for a random while, SIGKILLs it and returns
// what it acknowledged. Every fifth round the kill comes 0-20 ms after the
// fork, likely while the store is still opening (recovering the last crash);
// the others 5-150 ms after the store is open.
RoundResult RunRound(const std::string& path, uint64_t seed, uint32_t round, bool sync, std::mt19937_64& rng) {
  RoundResult result;
  int fds[2];
  if (pipe(fds) != 0) {
    ADD_FAILURE() << "pipe: " << std::strerror(errno);
    return result;
  }
  pid_t pid = fork();
  if (pid < 0) {
    ADD_FAILURE() << "fork: " << std::strerror(errno);
    return result;
  }
  if (pid == 0) {
    close(fds[0]);
    RunWriter(path, seed, round, sync, fds[1]);
  }
  close(fds[1]);
  std::string pending;
  using Clock = std::chrono::steady_clock;
  const bool kill_during_open = round % 5 == 4;
  if (kill_during_open) {
    auto delay = std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 20)(rng));
    ReadAcks(fds[0], Clock::now() + delay, &pending, &result);
  } else {
    // Wait (up to 10 s) for the store to be open, then give the writer 5-150 ms.
    auto open_deadline = Clock::now() + std::chrono::seconds(10);
    while (!result.opened && Clock::now() < open_deadline) {
      ReadAcks(fds[0], std::min(open_deadline, Clock::now() + std::chrono::milliseconds(1)), &pending, &result);
    }
    EXPECT_TRUE(result.opened) << "round " << round << ": the writer did not open the store";
    auto delay = std::chrono::milliseconds(std::uniform_int_distribution<int>(5, 150)(rng));
    ReadAcks(fds[0], Clock::now() + delay, &pending, &result);
  }
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  // Whatever the child wrote before dying is still in the pipe.
  ReadAcks(fds[0], Clock::time_point::max(), &pending, &result);
  close(fds[0]);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
      << "round " << round << ": the writer ended on its own (exit code "
      << (WIFEXITED(status) ? WEXITSTATUS(status) : -1) << ") before it was killed";
  EXPECT_TRUE(pending.empty()) << "a torn acknowledgement in the pipe";
  return result;
}

void ExpectSameTurn(const Turn& want, const Turn& got, const std::string& what) {
  EXPECT_EQ(want.text, got.text) << what;
  EXPECT_EQ(want.speaker, got.speaker) << what;
  EXPECT_EQ(want.session, got.session) << what;
  EXPECT_EQ(want.time_ms, got.time_ms) << what;
  EXPECT_EQ(want.source_id, got.source_id) << what;
}

bool ParseSourceId(const std::string& id, uint32_t* round, uint32_t* index) {
  unsigned r = 0, i = 0;
  char tail = 0;
  if (std::sscanf(id.c_str(), "r%u-i%u%c", &r, &i, &tail) != 2) return false;
  *round = r;
  *index = i;
  return SourceId(r, i) == id;
}

// What the store holds after the crashes, as read by a verifier process.
struct StoreDump {
  std::string error;                        // why the verifier could not read it; "" = fine
  std::vector<StoredTurn> scanned;          // ScanTurns(kTenant)
  std::vector<uint64_t> scanned_by_id;      // GetTurnBySourceId(scanned[i]).seq, 0 = not found
  std::vector<StoredTurn> acked_by_seq;     // GetTurn(ack.seq) per acknowledged turn (seq 0 = not found)
  std::vector<uint64_t> acked_by_id;        // GetTurnBySourceId(ack's id).seq, 0 = not found
  std::vector<std::pair<std::string, uint64_t>> index;  // raw source_ids entries of kTenant: (id, seq)
  size_t index_foreign = 0;                 // source_ids entries of another tenant
  std::vector<std::string> tenants;         // ListTenants()
};

class DumpWriter {
 public:
  void U64(uint64_t v) { out_.append(reinterpret_cast<const char*>(&v), sizeof(v)); }
  void Str(const std::string& s) {
    U64(s.size());
    out_ += s;
  }
  void Turn(const StoredTurn& t) {
    U64(t.seq);
    Str(t.turn.session);
    Str(t.turn.speaker);
    Str(t.turn.text);
    U64(static_cast<uint64_t>(t.turn.time_ms));
    Str(t.turn.source_id);
  }
  const std::string& bytes() const { return out_; }

 private:
  std::string out_;
};

class DumpReader {
 public:
  explicit DumpReader(std::string in) : in_(std::move(in)) {}
  uint64_t U64() {
    uint64_t v = 0;
    if (pos_ + sizeof(v) > in_.size()) {
      bad_ = true;
      return 0;
    }
    std::memcpy(&v, in_.data() + pos_, sizeof(v));
    pos_ += sizeof(v);
    return v;
  }
  std::string Str() {
    uint64_t n = U64();
    if (bad_ || pos_ + n > in_.size()) {
      bad_ = true;
      return {};
    }
    std::string s = in_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  StoredTurn Turn() {
    StoredTurn t;
    t.seq = U64();
    t.turn.session = Str();
    t.turn.speaker = Str();
    t.turn.text = Str();
    t.turn.time_ms = static_cast<TimeMs>(U64());
    t.turn.source_id = Str();
    return t;
  }
  bool ok() const { return !bad_ && pos_ == in_.size(); }

 private:
  std::string in_;
  size_t pos_ = 0;
  bool bad_ = false;
};

// Reads the store through the public API, and the source id index with
// RocksDB directly (the API has no call that lists it; key layout in
// docs/file-format.md: u16 BE tenant length, tenant, source id -> u64 BE seq).
std::string ReadStore(const std::string& path, const std::vector<Ack>& acks) {
  DumpWriter w;
  auto fail = [&](const std::string& why) {
    DumpWriter e;
    e.Str(why);
    return e.bytes();
  };
  Options options;
  options.log_only = true;
  options.create_if_missing = false;
  {
    auto opened = Store::Open(options, path);
    if (!opened.ok()) return fail("reopen: " + opened.status().ToString());
    Store& store = **opened;
    w.Str("");
    auto scanned = store.ScanTurns(kTenant);
    if (!scanned.ok()) return fail("scan: " + scanned.status().ToString());
    w.U64(scanned->size());
    for (const auto& st : *scanned) {
      w.Turn(st);
      auto by_id = store.GetTurnBySourceId(kTenant, st.turn.source_id);
      w.U64(by_id.ok() ? by_id->seq : 0);
    }
    w.U64(acks.size());
    for (const Ack& ack : acks) {
      auto by_seq = store.GetTurn(kTenant, ack.seq);
      w.Turn(by_seq.ok() ? *by_seq : StoredTurn{});
      auto by_id = store.GetTurnBySourceId(kTenant, SourceId(ack.round, ack.index));
      w.U64(by_id.ok() ? by_id->seq : 0);
    }
    auto tenants = store.ListTenants();
    if (!tenants.ok()) return fail("list tenants: " + tenants.status().ToString());
    w.U64(tenants->size());
    for (const auto& t : *tenants) w.Str(t);
  }
  std::vector<std::string> names;
  if (!rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), path, &names).ok()) return fail("list CFs");
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const auto& name : names) descriptors.emplace_back(name, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::OpenForReadOnly(rocksdb::Options(), path, descriptors, &handles, &raw);
  if (!s.ok()) return fail("raw open: " + s.ToString());
  std::unique_ptr<rocksdb::DB> db(raw);
  rocksdb::ColumnFamilyHandle* source_ids = nullptr;
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == "source_ids") source_ids = handles[i];
  }
  if (source_ids == nullptr) return fail("no source_ids column family");
  std::vector<std::pair<std::string, uint64_t>> index;
  size_t foreign = 0;
  {
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), source_ids));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      std::string key = it->key().ToString(), value = it->value().ToString();
      size_t len = key.size() >= 2 ? (static_cast<unsigned char>(key[0]) << 8) | static_cast<unsigned char>(key[1]) : 0;
      if (key.size() < 2 + len || value.size() != 8) return fail("malformed source_ids entry");
      if (key.substr(2, len) != kTenant) {
        ++foreign;
        continue;
      }
      uint64_t seq = 0;
      for (char c : value) seq = (seq << 8) | static_cast<unsigned char>(c);
      index.emplace_back(key.substr(2 + len), seq);
    }
    if (!it->status().ok()) return fail("raw scan: " + it->status().ToString());
  }
  for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
  w.U64(index.size());
  for (const auto& [id, seq] : index) {
    w.Str(id);
    w.U64(seq);
  }
  w.U64(foreign);
  return w.bytes();
}

// Runs ReadStore in a child process: this process must not start RocksDB's
// background threads, because later rounds (and tests) fork writers from it.
StoreDump DumpStoreInChild(const std::string& path, const std::vector<Ack>& acks) {
  StoreDump dump;
  int fds[2];
  if (pipe(fds) != 0) {
    dump.error = "pipe failed";
    return dump;
  }
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    std::string bytes = ReadStore(path, acks);
    WriteAll(fds[1], bytes.data(), bytes.size());
    _exit(0);
  }
  close(fds[1]);
  std::string bytes;
  char buf[65536];
  for (;;) {
    ssize_t n = read(fds[0], buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    bytes.append(buf, static_cast<size_t>(n));
  }
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    dump.error = "the verifier process failed";
    return dump;
  }
  DumpReader r(std::move(bytes));
  dump.error = r.Str();
  if (!dump.error.empty()) return dump;
  for (uint64_t n = r.U64(), i = 0; i < n; ++i) {
    dump.scanned.push_back(r.Turn());
    dump.scanned_by_id.push_back(r.U64());
  }
  for (uint64_t n = r.U64(), i = 0; i < n; ++i) {
    dump.acked_by_seq.push_back(r.Turn());
    dump.acked_by_id.push_back(r.U64());
  }
  for (uint64_t n = r.U64(), i = 0; i < n; ++i) dump.tenants.push_back(r.Str());
  for (uint64_t n = r.U64(), i = 0; i < n; ++i) {
    std::string id = r.Str();
    dump.index.emplace_back(std::move(id), r.U64());
  }
  dump.index_foreign = r.U64();
  if (!r.ok()) dump.error = "the verifier's report is malformed";
  return dump;
}

// Checks the reopened store against what the writers acknowledged.
void VerifyStore(const std::string& path, uint64_t seed, const std::vector<RoundResult>& rounds) {
  std::vector<Ack> acks;
  for (const auto& round : rounds) acks.insert(acks.end(), round.acks.begin(), round.acks.end());
  ASSERT_FALSE(acks.empty()) << "the writers acknowledged nothing: the test tested nothing";
  const StoreDump dump = DumpStoreInChild(path, acks);
  ASSERT_EQ(dump.error, "");

  // Every acknowledged turn: present, byte-exact, under its seq and its id.
  ASSERT_EQ(dump.acked_by_seq.size(), acks.size());
  for (size_t i = 0; i < acks.size(); ++i) {
    const Turn want = GenerateTurn(seed, acks[i].round, acks[i].index);
    const std::string what = "acknowledged turn " + want.source_id + " seq " + std::to_string(acks[i].seq);
    ASSERT_EQ(dump.acked_by_seq[i].seq, acks[i].seq) << what << ": GetTurn did not find it";
    ExpectSameTurn(want, dump.acked_by_seq[i].turn, what);
    EXPECT_EQ(dump.acked_by_id[i], acks[i].seq) << what << ": GetTurnBySourceId";
  }

  // Everything stored: decodes (a scan fails on an undecodable record), has
  // increasing seqs, was submitted by some writer exactly as stored, and
  // each round's stored turns are a gap-free prefix of what it submitted
  // ending on a batch boundary, at or after its last acknowledged turn.
  std::map<uint32_t, uint32_t> stored_per_round;  // round -> turns stored
  uint64_t last_seq = 0;
  uint32_t last_round = 0, last_index = 0;
  for (size_t n = 0; n < dump.scanned.size(); ++n) {
    const StoredTurn& st = dump.scanned[n];
    uint32_t round = 0, index = 0;
    ASSERT_TRUE(ParseSourceId(st.turn.source_id, &round, &index))
        << "a turn nobody submitted: source id '" << st.turn.source_id << "'";
    ASSERT_LT(round, rounds.size());
    ExpectSameTurn(GenerateTurn(seed, round, index), st.turn, "stored turn " + st.turn.source_id);
    if (n > 0) {
      EXPECT_GT(st.seq, last_seq) << st.turn.source_id;
      // Log order is submission order: rounds in order, each from index 0, no gaps.
      EXPECT_TRUE((round > last_round && index == 0) || (round == last_round && index == last_index + 1))
          << st.turn.source_id << " follows r" << last_round << "-i" << last_index;
    } else {
      EXPECT_EQ(index, 0u);
    }
    last_seq = st.seq;
    last_round = round;
    last_index = index;
    stored_per_round[round] = index + 1;
    EXPECT_EQ(dump.scanned_by_id[n], st.seq) << "source id index and turns disagree on " << st.turn.source_id;
  }
  for (uint32_t r = 0; r < rounds.size(); ++r) {
    uint32_t stored = stored_per_round.count(r) ? stored_per_round[r] : 0;
    uint32_t acked_in_round = 0;
    for (const Ack& ack : rounds[r].acks) acked_in_round = std::max(acked_in_round, ack.index + 1);
    EXPECT_GE(stored, acked_in_round) << "round " << r << " lost acknowledged turns";
    // All or nothing per batch: the stored count ends on a batch boundary.
    uint32_t boundary = 0;
    for (uint32_t size : BatchSizes(seed, r, stored + 5)) {
      if (boundary >= stored) break;
      boundary += size;
    }
    EXPECT_EQ(boundary, stored) << "round " << r << ": a batch was stored in part";
    // At most the one batch in flight when the kill came is stored unacknowledged.
    uint32_t next_boundary = 0;
    for (uint32_t size : BatchSizes(seed, r, acked_in_round + 5)) {
      next_boundary += size;
      if (next_boundary > acked_in_round) break;
    }
    EXPECT_LE(stored, next_boundary) << "round " << r << " stored turns it never submitted";
  }
  EXPECT_EQ(dump.tenants, std::vector<std::string>{kTenant});

  // The source id index has exactly one entry per stored turn, pointing at it.
  std::map<std::string, uint64_t> by_id;
  for (const auto& st : dump.scanned) by_id[st.turn.source_id] = st.seq;
  EXPECT_EQ(dump.index.size(), dump.scanned.size()) << "source id entries without a turn, or turns without one";
  for (const auto& [id, seq] : dump.index) {
    auto it = by_id.find(id);
    ASSERT_NE(it, by_id.end()) << "source id " << id << " points at no stored turn";
    EXPECT_EQ(it->second, seq) << id;
  }
  EXPECT_EQ(dump.index_foreign, 0u);
}

void RunCrashTest(bool sync, uint32_t rounds, uint64_t seed) {
  testing::TempDir dir;
  const std::string path = dir.Sub("store");
  std::mt19937_64 rng(seed);
  std::vector<RoundResult> results;
  size_t acked = 0;
  for (uint32_t round = 0; round < rounds; ++round) {
    results.push_back(RunRound(path, seed, round, sync, rng));
    acked += results.back().acks.size();
    if (::testing::Test::HasFatalFailure()) return;
  }
  std::printf("[          ] sync=%d: %u rounds, %zu acknowledged turns\n", sync ? 1 : 0, rounds, acked);
  VerifyStore(path, seed, results);
}

TEST(DurabilityTest, SyncedTurnsSurviveSigkill) { RunCrashTest(/*sync=*/true, /*rounds=*/25, /*seed=*/20240501); }

// sync = false promises survival of a process crash (not of a power loss):
// the WAL write reaches the OS before Observe returns.
TEST(DurabilityTest, UnsyncedTurnsSurviveAProcessCrash) {
  RunCrashTest(/*sync=*/false, /*rounds=*/15, /*seed=*/777);
}

}  // namespace
}  // namespace engram

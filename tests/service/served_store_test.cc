// The Store that works through a running serve: a real HTTP API on the
// store folder's unix socket over a real Store, reached by ConnectToServe.
// Every call answers what the store itself answers; errors keep their kind;
// tokens are checked; a serve that stopped is Unavailable.
#include "service/served_store.h"

#include <sys/socket.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/httplib_config.h"
#include "service/http_api.h"
#include "service/tokens.h"
#include "testing/temp_dir.h"
#include "testing/test_embedder.h"

namespace engram::service {
namespace {

using ::testing::HasSubstr;

// serve's HTTP API on DIR/engram.sock, as `engram serve` mounts it.
class SocketServer {
 public:
  SocketServer(HttpApi& api, const std::string& socket_path) {
    api.Mount(server_);
    server_.set_address_family(AF_UNIX);
    bound_ = server_.bind_to_port(socket_path, 80);
    if (!bound_) return;
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    for (int i = 0; i < 2000 && !server_.is_running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~SocketServer() { Stop(); }
  bool running() const { return bound_ && server_.is_running(); }
  void Stop() {
    if (thread_.joinable()) {
      server_.stop();
      thread_.join();
    }
  }

 private:
  httplib::Server server_;
  bool bound_ = false;
  std::thread thread_;
};

ForgetOptions NoSync() {
  ForgetOptions o;
  o.sync = false;
  return o;
}

ForgetOptions DryRun() {
  ForgetOptions o = NoSync();
  o.dry_run = true;
  return o;
}

constexpr const char* kTokens = R"({"tokens": [{"token": "tok-a", "name": "agent-a", "write": ["a"]}]})";

class ServedStoreTest : public ::testing::Test {
 protected:
  void Start(bool with_tokens = false, std::string token = "") {
    path_ = dir_.Sub("store");
    Options o;
    o.embedder = std::make_shared<testing::TestEmbedder>();
    auto store = Store::Open(o, path_);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    direct_ = std::move(*store);
    HttpApiOptions options;
    options.store_path = path_;
    options.access_log = false;
    if (with_tokens) {
      auto tokens = Tokens::Parse(kTokens, "tokens.json");
      ASSERT_TRUE(tokens.ok()) << tokens.status().ToString();
      options.tokens = std::make_shared<const Tokens>(std::move(*tokens));
    }
    api_ = std::make_unique<HttpApi>(*direct_, options);
    server_ = std::make_unique<SocketServer>(*api_, ServeSocketPath(path_));
    ASSERT_TRUE(server_->running());
    ServedStoreOptions served;
    served.token = std::move(token);
    auto remote = ConnectToServe(path_, served);
    ASSERT_TRUE(remote.ok()) << remote.status().ToString();
    served_ = std::move(*remote);
  }

  void TearDown() override {
    served_.reset();
    server_.reset();
    api_.reset();
    direct_.reset();
  }

  static std::vector<Turn> Conversation() {
    std::vector<Turn> turns;
    auto add = [&](const char* id, const char* speaker, const char* text, const char* session, TimeMs t) {
      Turn turn;
      turn.source_id = id;
      turn.speaker = speaker;
      turn.text = text;
      turn.session = session;
      turn.time_ms = t;
      turns.push_back(turn);
    };
    add("s1:1", "Maya", "I moved to Lisbon last spring and I work as a nurse at the clinic.", "s1", 1709290800000);
    add("s1:2", "Omar", "Do you still play tennis on Saturdays?", "s1", 1709290860000);
    add("s1:3", "Maya", "Yes, with my sister Lena, who lives in Porto.", "s1", 1709290920250);
    add("s2:1", "Maya", "We adopted a dog called Rex last week.", "s2", 1712052000000);
    add("s2:2", "Omar", "What breed is Rex?", "s2", 0);
    turns[0].metadata["channel"] = "chat";
    return turns;
  }

  static void ExpectSameTurn(const StoredTurn& a, const StoredTurn& b) {
    EXPECT_EQ(a.seq, b.seq);
    EXPECT_EQ(a.turn.source_id, b.turn.source_id);
    EXPECT_EQ(a.turn.speaker, b.turn.speaker);
    EXPECT_EQ(a.turn.text, b.turn.text);
    EXPECT_EQ(a.turn.session, b.turn.session);
    EXPECT_EQ(a.turn.time_ms, b.turn.time_ms);
    EXPECT_EQ(a.turn.metadata, b.turn.metadata);
  }

  static void ExpectSameHits(const std::vector<Hit>& a, const std::vector<Hit>& b) {
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) {
      EXPECT_EQ(a[i].kind, b[i].kind) << i;
      EXPECT_EQ(a[i].id, b[i].id) << i;
      EXPECT_EQ(a[i].tier, b[i].tier) << i;
      EXPECT_EQ(a[i].text, b[i].text) << i;
      EXPECT_EQ(a[i].speaker, b[i].speaker) << i;
      EXPECT_EQ(a[i].session, b[i].session) << i;
      EXPECT_EQ(a[i].time_ms, b[i].time_ms) << i;
      EXPECT_EQ(a[i].source_ids, b[i].source_ids) << i;
      EXPECT_FLOAT_EQ(a[i].score, b[i].score) << i;
      EXPECT_EQ(a[i].signals.size(), b[i].signals.size()) << i;
      EXPECT_EQ(a[i].metadata, b[i].metadata) << i;
    }
  }

  testing::TempDir dir_;
  std::string path_;
  std::unique_ptr<Store> direct_;
  std::unique_ptr<HttpApi> api_;
  std::unique_ptr<SocketServer> server_;
  std::unique_ptr<Store> served_;
};

TEST_F(ServedStoreTest, WritesLandInTheStoreServeHoldsAndReadsAnswerAsIt) {
  Start();
  const std::vector<Turn> turns = Conversation();
  auto seqs = served_->ObserveBatch("maya", turns, WriteOptions{.sync = true});
  ASSERT_TRUE(seqs.ok()) << seqs.status().ToString();
  ASSERT_EQ(seqs->size(), turns.size());
  auto one = served_->Observe("maya", [] {
    Turn t;
    t.speaker = "Maya";
    t.text = "Rex is a border collie.";
    return t;
  }());
  ASSERT_TRUE(one.ok()) << one.status().ToString();

  // Turns: by sequence number, by source id, scanned with a filter.
  auto generated = direct_->GetTurn("maya", *one);
  ASSERT_TRUE(generated.ok()) << generated.status().ToString();
  auto same = served_->GetTurn("maya", *one);
  ASSERT_TRUE(same.ok()) << same.status().ToString();
  ExpectSameTurn(*same, *generated);
  auto by_id = served_->GetTurnBySourceId("maya", "s1:1");
  ASSERT_TRUE(by_id.ok()) << by_id.status().ToString();
  EXPECT_EQ(by_id->turn.metadata.at("channel"), "chat");
  ExpectSameTurn(*by_id, *direct_->GetTurnBySourceId("maya", "s1:1"));
  for (const TurnFilter& filter : {TurnFilter{}, TurnFilter{.session = "s2"}, TurnFilter{.limit = 2},
                                   TurnFilter{.from_ms = 1709290900000, .to_ms = 1712052000001}}) {
    auto remote = served_->ScanTurns("maya", filter);
    auto local = direct_->ScanTurns("maya", filter);
    ASSERT_TRUE(remote.ok() && local.ok()) << remote.status().ToString();
    ASSERT_EQ(remote->size(), local->size()) << filter.session << " " << filter.limit;
    for (size_t i = 0; i < local->size(); ++i) ExpectSameTurn((*remote)[i], (*local)[i]);
  }
  EXPECT_TRUE(served_->ScanTurns("nobody")->empty());

  // Recall, context, profile, graph, stats: what the store itself answers.
  for (RecallOptions options : {RecallOptions{}, RecallOptions{.k = 3, .route = "hybrid"},
                                RecallOptions{.tiers = {Tier::kEpisodic, Tier::kPersona}, .speaker = "Maya"},
                                RecallOptions{.asking_user = "Omar", .agent_name = "Maya"}}) {
    auto remote = served_->Recall("maya", "Where does Maya live and what pet does she have?", options);
    auto local = direct_->Recall("maya", "Where does Maya live and what pet does she have?", options);
    ASSERT_TRUE(remote.ok() && local.ok()) << remote.status().ToString();
    ExpectSameHits(remote->hits, local->hits);
    EXPECT_EQ(remote->route.name, local->route.name);
    EXPECT_EQ(remote->route.steps, local->route.steps);
    EXPECT_EQ(remote->route.targets, local->route.targets);
    EXPECT_TRUE(remote->tenant_known);
  }
  auto context = served_->RecallContext("maya", "Where does Maya live now?", 120);
  ASSERT_TRUE(context.ok()) << context.status().ToString();
  EXPECT_EQ(context->text, direct_->RecallContext("maya", "Where does Maya live now?", 120)->text);
  EXPECT_FALSE(served_->Recall("nobody", "anything")->tenant_known);

  auto profile = served_->Profile("maya", "Maya", 0, true);
  auto local_profile = direct_->Profile("maya", "Maya", 0, true);
  ASSERT_TRUE(profile.ok() && local_profile.ok()) << profile.status().ToString();
  ASSERT_EQ(profile->size(), local_profile->size());
  ASSERT_FALSE(profile->empty());
  for (size_t i = 0; i < profile->size(); ++i) {
    EXPECT_EQ((*profile)[i].id, (*local_profile)[i].id);
    EXPECT_EQ((*profile)[i].value, (*local_profile)[i].value);
    EXPECT_EQ((*profile)[i].valid_from_ms, (*local_profile)[i].valid_from_ms);
    EXPECT_EQ((*profile)[i].source_ids, (*local_profile)[i].source_ids);
  }
  auto graph = served_->Graph("maya", "Maya", 2, 500, 0);
  auto local_graph = direct_->Graph("maya", "Maya", 2, 500, 0);
  ASSERT_TRUE(graph.ok() && local_graph.ok()) << graph.status().ToString();
  ASSERT_EQ(graph->entities.size(), local_graph->entities.size());
  ASSERT_EQ(graph->relations.size(), local_graph->relations.size());
  for (size_t i = 0; i < graph->entities.size(); ++i) {
    EXPECT_EQ(graph->entities[i].name, local_graph->entities[i].name);
    EXPECT_EQ(graph->entities[i].type, local_graph->entities[i].type);
  }
  for (size_t i = 0; i < graph->relations.size(); ++i) {
    EXPECT_EQ(graph->relations[i].id, local_graph->relations[i].id);
    EXPECT_EQ(graph->relations[i].valid_from_ms, local_graph->relations[i].valid_from_ms);
  }
  auto stats = served_->GetTenantStats("maya");
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(stats->turns, 6u);
  EXPECT_EQ(stats->facts, direct_->GetTenantStats("maya")->facts);
  EXPECT_EQ(*served_->ListTenants(), std::vector<std::string>{"maya"});
}

TEST_F(ServedStoreTest, TheLifecycleGoesThroughServe) {
  Start();
  ASSERT_TRUE(served_->ObserveBatch("maya", Conversation(), WriteOptions{.sync = true}).ok());

  auto version = served_->Update("maya", "s2:2", "What breed is Rex, and how old is he?", WriteOptions{});
  ASSERT_TRUE(version.ok()) << version.status().ToString();
  EXPECT_EQ(*version, 2u);
  auto history = served_->History("maya", "s2:2");
  ASSERT_TRUE(history.ok()) << history.status().ToString();
  ASSERT_EQ(history->size(), 2u);
  EXPECT_EQ((*history)[0].turn.text, "What breed is Rex?");
  EXPECT_NE((*history)[0].replaced_ms, 0);
  EXPECT_EQ((*history)[1].turn.text, direct_->GetTurnBySourceId("maya", "s2:2")->turn.text);
  EXPECT_EQ((*history)[1].turn.source_id, "s2:2");

  PersonaFact fact;
  fact.subject = "Maya";
  fact.attribute = "diet";
  fact.value = "vegetarian";
  fact.valid_from_ms = 1711929600000;
  auto fact_id = served_->RememberFact("maya", fact, WriteOptions{});
  ASSERT_TRUE(fact_id.ok()) << fact_id.status().ToString();
  bool found = false;
  auto profile = direct_->Profile("maya", "Maya");
  ASSERT_TRUE(profile.ok()) << profile.status().ToString();
  for (const auto& f : *profile) {
    if (f.id == *fact_id) found = f.value == "vegetarian" && f.valid_from_ms == 1711929600000;
  }
  EXPECT_TRUE(found) << *fact_id;
  Relation relation;
  relation.subject = "Maya";
  relation.relation = "friend_of";
  relation.object = "Omar";
  auto relation_id = served_->RememberRelation("maya", relation, WriteOptions{});
  ASSERT_TRUE(relation_id.ok()) << relation_id.status().ToString();

  ASSERT_TRUE(served_->SetCoreBlock("maya", "persona", "Maya is a nurse.", WriteOptions{}).ok());
  auto block = served_->AppendCoreBlock("maya", "persona", "She has a dog, Rex.", WriteOptions{});
  ASSERT_TRUE(block.ok()) << block.status().ToString();
  EXPECT_EQ(block->version, 2u);
  EXPECT_EQ(direct_->CoreMemory("maya")->at(0).text, block->text);
  EXPECT_EQ(served_->CoreMemory("maya")->at(0).text, block->text);
  EXPECT_EQ(served_->CoreBlockHistory("maya", "persona")->size(), 2u);

  // A dry run reports what the store would remove, and removes nothing.
  auto dry = served_->Forget("maya", "s2:1", DryRun());
  ASSERT_TRUE(dry.ok()) << dry.status().ToString();
  EXPECT_TRUE(dry->dry_run);
  EXPECT_EQ(dry->removed, direct_->Forget("maya", "s2:1", DryRun())->removed);
  EXPECT_TRUE(direct_->GetTurnBySourceId("maya", "s2:1").ok());
  auto forgot = served_->Forget("maya", "s2:1", NoSync());
  ASSERT_TRUE(forgot.ok()) << forgot.status().ToString();
  EXPECT_EQ(forgot->removed.at("turns"), 1u);
  EXPECT_TRUE(direct_->GetTurnBySourceId("maya", "s2:1").status().IsNotFound());
  ASSERT_TRUE(served_->ForgetFact("maya", *fact_id, NoSync()).ok());
  ASSERT_TRUE(served_->ForgetRelation("maya", *relation_id, NoSync()).ok());
  auto history_profile = direct_->Profile("maya", "Maya", 0, true);
  ASSERT_TRUE(history_profile.ok()) << history_profile.status().ToString();
  for (const auto& f : *history_profile) EXPECT_NE(f.id, *fact_id);

  auto gone = served_->ForgetTenant("maya", NoSync());
  ASSERT_TRUE(gone.ok()) << gone.status().ToString();
  EXPECT_TRUE(direct_->ScanTurns("maya")->empty());
}

TEST_F(ServedStoreTest, ErrorsKeepTheirKindAndWriteNothing) {
  Start();
  ASSERT_TRUE(served_->ObserveBatch("maya", Conversation(), WriteOptions{}).ok());

  EXPECT_TRUE(served_->GetTurnBySourceId("maya", "no-such-turn").status().IsNotFound());
  EXPECT_TRUE(served_->GetTurn("maya", 999).status().IsNotFound());
  EXPECT_TRUE(served_->Forget("maya", "no-such-turn", ForgetOptions{}).status().IsNotFound());

  // A batch with one bad turn is refused whole.
  std::vector<Turn> batch = {Conversation()[0], Turn{}};
  batch[0].source_id = "new:1";
  auto refused = served_->ObserveBatch("maya", batch, WriteOptions{});
  EXPECT_TRUE(refused.status().IsInvalidArgument()) << refused.status().ToString();
  EXPECT_THAT(refused.status().message(), HasSubstr("speaker"));
  EXPECT_TRUE(direct_->GetTurnBySourceId("maya", "new:1").status().IsNotFound());

  // The same id with other text: AlreadyExists, the stored turn unchanged.
  Turn changed = Conversation()[1];
  changed.text = "Something else entirely.";
  auto conflict = served_->Observe("maya", changed);
  EXPECT_EQ(conflict.status().code(), Status::Code::kAlreadyExists) << conflict.status().ToString();
  EXPECT_EQ(direct_->GetTurnBySourceId("maya", "s1:2")->turn.text, Conversation()[1].text);

  EXPECT_TRUE(served_->ScanTurns("a/b").status().IsInvalidArgument());
  EXPECT_TRUE(served_->Forget("maya", "x/y", ForgetOptions{}).status().IsInvalidArgument());

  // What serve's API does not offer says which process to stop.
  Status rebuild = served_->Rebuild();
  EXPECT_EQ(rebuild.code(), Status::Code::kNotSupported);
  EXPECT_THAT(rebuild.message(), HasSubstr("stop it first"));
  EXPECT_EQ(served_->EventUnits("maya").status().code(), Status::Code::kNotSupported);
  EXPECT_EQ(direct_->ScanTurns("maya")->size(), Conversation().size());
}

TEST_F(ServedStoreTest, TokensAreCheckedAndTenantsStayApart) {
  Start(/*with_tokens=*/true, "tok-a");
  ASSERT_TRUE(served_->Observe("a", Conversation()[0]).ok());
  auto other = served_->Observe("b", Conversation()[0]);
  EXPECT_EQ(other.status().code(), Status::Code::kFailedPrecondition) << other.status().ToString();
  EXPECT_TRUE(direct_->ScanTurns("b")->empty());
  EXPECT_FALSE(served_->Recall("b", "where").ok());

  ServedStoreOptions no_token;
  auto anonymous = ConnectToServe(path_, no_token);  // /healthz needs no token
  ASSERT_TRUE(anonymous.ok()) << anonymous.status().ToString();
  auto refused = (*anonymous)->Observe("a", Conversation()[1]);
  EXPECT_EQ(refused.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_THAT(refused.status().message(), HasSubstr("ENGRAM_TOKEN"));
  EXPECT_EQ(direct_->ScanTurns("a")->size(), 1u);
}

TEST_F(ServedStoreTest, AStoppedServeIsUnavailable) {
  Start();
  server_->Stop();
  auto after = served_->ListTenants();
  EXPECT_EQ(after.status().code(), Status::Code::kUnavailable) << after.status().ToString();
  EXPECT_THAT(after.status().message(), HasSubstr("still running"));
  EXPECT_EQ(ConnectToServe(path_).status().code(), Status::Code::kUnavailable);
  EXPECT_EQ(ConnectToServe(dir_.Sub("no-store")).status().code(), Status::Code::kUnavailable);
}

}  // namespace
}  // namespace engram::service

// The four memory tiers through the public Store API: filled from an ingested
// conversation, identical after close + reopen and after Rebuild(), isolated
// per tenant, removed by ForgetTenant, caught up after log_only writes, and
// tied to the embedder that built them. Uses the real built-in embedder.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "common/time_format.h"
#include "engram/embedder.h"
#include "engram/store.h"
#include "store/conversation_io.h"
#include "tiers/record_codec.h"
#include "testing/raw_store.h"
#include "testing/test_embedder.h"
#include "testing/temp_dir.h"

namespace engram {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;

constexpr char kTenant[] = "nadia-tom";

bool IsFailedPrecondition(const Status& s) { return s.code() == Status::Code::kFailedPrecondition; }

// The fixture: 30 turns, 3 sessions, Nadia and Tom (tests/data).
std::vector<Turn> LoadConversation() {
  std::vector<Turn> turns;
  Status s = ReadTurnsJsonl(std::string(ENGRAM_TEST_DATA_DIR) + "/tiers_conversation.jsonl",
                            [&](size_t, TenantTurn&& t) {
                              EXPECT_EQ(t.tenant, kTenant);
                              turns.push_back(std::move(t.turn));
                              return Status::OK();
                            });
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(turns.size(), 30u);
  return turns;
}

// The same conversation as another tenant would have it: other names, other
// source ids, otherwise the same words.
std::vector<Turn> OtherTenantConversation() {
  std::vector<Turn> turns = LoadConversation();
  auto replace_all = [](std::string s, const std::string& from, const std::string& to) {
    for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
      s.replace(at, from.size(), to);
    }
    return s;
  };
  for (auto& t : turns) {
    for (auto* field : {&t.text, &t.speaker}) {
      *field = replace_all(replace_all(*field, "Nadia", "Greta"), "Tom", "Otto");
    }
    t.source_id = "B-" + t.source_id;
  }
  return turns;
}

TimeMs Iso(const std::string& text) {
  auto t = ParseIsoTime(text);
  EXPECT_TRUE(t.ok()) << text;
  return t.ok() ? *t : 0;
}

std::string Join(const std::vector<std::string>& parts, const char* sep = ",") {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : sep) + p;
  return out;
}

std::string FactLine(const PersonaFact& f) {
  return f.subject + " " + f.attribute + "=" + f.value + " [" + std::to_string(f.valid_from_ms) + "," +
         std::to_string(f.valid_to_ms) + ") {" + Join(f.source_ids) + "}";
}

std::vector<std::string> FactLines(const std::vector<PersonaFact>& facts) {
  std::vector<std::string> out;
  for (const auto& f : facts) out.push_back(FactLine(f));
  return out;
}

// "attribute=value" of the open facts of one subject.
std::vector<std::string> OpenValues(const std::vector<PersonaFact>& facts) {
  std::vector<std::string> out;
  for (const auto& f : facts) out.push_back(f.attribute + "=" + f.value);
  return out;
}

const PersonaFact* FindFact(const std::vector<PersonaFact>& facts, const std::string& subject,
                            const std::string& attribute, const std::string& value) {
  for (const auto& f : facts) {
    if (f.subject == subject && f.attribute == attribute && f.value == value) return &f;
  }
  return nullptr;
}

std::string RelationLine(const Relation& r) {
  return r.subject + " -" + r.relation + "-> " + r.object + " @" + std::to_string(r.time_ms) + " {" +
         Join(r.source_ids) + "}";
}

std::vector<std::string> RelationLines(const GraphView& view) {
  std::vector<std::string> out;
  for (const auto& r : view.relations) out.push_back(RelationLine(r));
  return out;
}

std::vector<std::string> EntityLines(const GraphView& view) {
  std::vector<std::string> out;
  for (const auto& e : view.entities) {
    out.push_back(e.name + "(" + EntityTypeName(e.type) + ") aka " + Join(e.aliases) + " {" + Join(e.source_ids) +
                  "}");
  }
  return out;
}

// A hit as a line without its scores, and the scores beside it.
struct HitRecord {
  std::string line;
  float score = 0;
  std::map<std::string, float> signals;
};

HitRecord Record(const Hit& h) {
  return {h.kind + " " + TierName(h.tier) + " {" + Join(h.source_ids) + "} " + h.speaker + ": " + h.text + " @" +
              std::to_string(h.time_ms),
          h.score, h.signals};
}

// Questions asked of the fixture, and the routes they are asked on.
const std::vector<std::string> kQuestions = {
    "Where does Nadia live now?",
    "When did Tom adopt his dog?",
    "What does Nadia think of coffee?",
    "Who is Tom's sister?",
    "What did Tom do in Chicago last weekend?",
    "Which hobby did Nadia give up?",
};
const std::vector<std::string> kRoutes = {"auto", "hybrid", "bm25", "vector"};

// Everything a user can read of one tenant's derived state, as text.
struct TierState {
  std::vector<std::string> profile;  // full history
  std::vector<std::string> entities, relations;
  std::vector<std::string> units;
  std::vector<std::string> working;
  // Per (route, question): the route taken and the hits, best first.
  std::vector<std::pair<std::string, std::vector<HitRecord>>> recall;
};

TierState Capture(Store& store, const std::string& tenant) {
  TierState s;
  auto profile = store.Profile(tenant, "", 0, /*include_history=*/true);
  EXPECT_TRUE(profile.ok()) << profile.status().ToString();
  if (profile.ok()) s.profile = FactLines(*profile);
  auto graph = store.Graph(tenant);
  EXPECT_TRUE(graph.ok()) << graph.status().ToString();
  if (graph.ok()) {
    s.entities = EntityLines(*graph);
    s.relations = RelationLines(*graph);
  }
  auto units = store.EventUnits(tenant);
  EXPECT_TRUE(units.ok()) << units.status().ToString();
  if (units.ok()) {
    for (const auto& u : *units) {
      s.units.push_back(u.subject + ": " + u.text + " @" + std::to_string(u.time_ms) + " [" +
                        std::to_string(u.event_from_ms) + "," + std::to_string(u.event_to_ms) + "] {" +
                        Join(u.source_ids) + "}");
    }
  }
  for (const char* session : {"session_1", "session_2", "session_3"}) {
    auto wm = store.WorkingMemory(tenant, session);
    EXPECT_TRUE(wm.ok()) << wm.status().ToString();
    if (!wm.ok()) continue;
    for (const auto& t : *wm) {
      s.working.push_back(std::to_string(t.seq) + " " + t.tenant + " " + t.turn.session + " " + t.turn.source_id +
                          " " + t.turn.speaker + ": " + t.turn.text);
    }
  }
  for (const auto& route : kRoutes) {
    for (const auto& q : kQuestions) {
      RecallOptions options;
      options.route = route;
      options.k = 8;
      auto r = store.Recall(tenant, q, options);
      EXPECT_TRUE(r.ok()) << r.status().ToString();
      if (!r.ok()) continue;
      std::vector<HitRecord> hits;
      for (const auto& h : r->hits) hits.push_back(Record(h));
      s.recall.emplace_back(route + " '" + q + "' -> " + r->route.name, std::move(hits));
    }
  }
  return s;
}

std::vector<std::string> Lines(const std::vector<HitRecord>& hits) {
  std::vector<std::string> out;
  for (const auto& h : hits) out.push_back(h.line);
  return out;
}

// With tolerance 0 the recall results must be identical, order and scores
// bit for bit. With a tolerance (vectors computed in other batches differ in
// the last bits) the same hits must come back with scores that close.
void ExpectSameState(const TierState& want, const TierState& got, float tolerance = 0) {
  EXPECT_EQ(want.profile, got.profile);
  EXPECT_EQ(want.entities, got.entities);
  EXPECT_EQ(want.relations, got.relations);
  EXPECT_EQ(want.units, got.units);
  EXPECT_EQ(want.working, got.working);
  ASSERT_EQ(want.recall.size(), got.recall.size());
  for (size_t q = 0; q < want.recall.size(); ++q) {
    const auto& [want_query, want_hits] = want.recall[q];
    const auto& [got_query, got_hits] = got.recall[q];
    SCOPED_TRACE(want_query);
    EXPECT_EQ(want_query, got_query);
    if (tolerance == 0) {
      ASSERT_EQ(Lines(want_hits), Lines(got_hits));
      for (size_t i = 0; i < want_hits.size(); ++i) {
        EXPECT_EQ(want_hits[i].score, got_hits[i].score) << want_hits[i].line;
        EXPECT_EQ(want_hits[i].signals, got_hits[i].signals) << want_hits[i].line;
      }
      continue;
    }
    EXPECT_THAT(Lines(got_hits), ::testing::UnorderedElementsAreArray(Lines(want_hits)));
    for (const auto& w : want_hits) {
      for (const auto& g : got_hits) {
        if (g.line != w.line) continue;
        EXPECT_NEAR(w.score, g.score, tolerance) << w.line;
        for (const auto& [name, v] : w.signals) {
          ASSERT_TRUE(g.signals.count(name)) << w.line << " lacks " << name;
          EXPECT_NEAR(v, g.signals.at(name), tolerance) << w.line << " " << name;
        }
      }
    }
  }
}

class TiersStoreTest : public ::testing::Test {
 protected:
  std::string path() const { return dir_.Sub("store"); }

  std::unique_ptr<Store> Open(const Options& options = {}) { return Open(path(), options); }
  std::unique_ptr<Store> Open(const std::string& at, const Options& options) {
    auto store = Store::Open(options, at);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(*store) : nullptr;
  }

  // Observes the conversation one session per batch.
  static void Ingest(Store& store, const std::string& tenant, const std::vector<Turn>& turns) {
    size_t start = 0;
    while (start < turns.size()) {
      size_t end = start;
      while (end < turns.size() && turns[end].session == turns[start].session) ++end;
      auto seqs = store.ObserveBatch(tenant, std::span<const Turn>(turns.data() + start, end - start));
      ASSERT_TRUE(seqs.ok()) << seqs.status().ToString();
      start = end;
    }
  }

  testing::TempDir dir_;
};

TEST_F(TiersStoreTest, PersonaTierHoldsPreferencesUpdatesAndStops) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  Ingest(*store, kTenant, LoadConversation());

  auto nadia = store->Profile(kTenant, "Nadia");
  ASSERT_TRUE(nadia.ok()) << nadia.status().ToString();
  std::vector<std::string> now = OpenValues(*nadia);
  // Knowledge update: moved from Denver to Seattle, and changed employer.
  EXPECT_THAT(now, Contains("home=Seattle"));
  EXPECT_THAT(now, Not(Contains("home=Denver")));
  EXPECT_THAT(now, Contains("works_at=Seattle Children's Hospital"));
  EXPECT_THAT(now, Not(Contains("works_at=Denver Health")));
  // Stopped hobby.
  EXPECT_THAT(now, Not(Contains("hobby=bouldering")));
  // Changed preference: hated coffee, loves it now.
  EXPECT_THAT(now, Contains("likes=coffee"));
  EXPECT_THAT(now, Not(Contains("dislikes=coffee")));
  EXPECT_THAT(now, Contains("family=sister Amira"));
  for (const auto& f : *nadia) EXPECT_EQ(f.subject, "Nadia");

  // Closed, not deleted: the history has the old values with their end.
  auto history = store->Profile(kTenant, "Nadia", 0, /*include_history=*/true);
  ASSERT_TRUE(history.ok());
  const PersonaFact* denver = FindFact(*history, "Nadia", "home", "Denver");
  ASSERT_NE(denver, nullptr) << Join(FactLines(*history), "\n");
  EXPECT_EQ(denver->valid_from_ms, Iso("2023-03-04T10:02:00Z"));
  // Closed when the move happened: "I moved to Seattle last month" (D2:1, said in June) is valid from May.
  EXPECT_EQ(denver->valid_to_ms, Iso("2023-05-01T00:00:00Z")) << "closed by 'I moved to Seattle last month' (D2:1)";
  EXPECT_EQ(denver->source_ids, std::vector<std::string>{"D1:3"});
  const PersonaFact* bouldering = FindFact(*history, "Nadia", "hobby", "bouldering");
  ASSERT_NE(bouldering, nullptr);
  EXPECT_EQ(bouldering->valid_to_ms, Iso("2023-06-12T18:34:00Z")) << "closed by 'I stopped bouldering' (D2:5)";
  EXPECT_THAT(bouldering->source_ids, Contains("D2:5"));

  // "I quit my job" (no employer named) closes Tom's open works_at.
  auto tom = store->Profile(kTenant, "Tom", 0, true);
  ASSERT_TRUE(tom.ok());
  const PersonaFact* spotify = FindFact(*tom, "Tom", "works_at", "Spotify");
  ASSERT_NE(spotify, nullptr) << Join(FactLines(*tom), "\n");
  EXPECT_EQ(spotify->valid_to_ms, Iso("2023-09-15T00:00:00Z"));  // "I quit my job last Friday" (D3:1)
  // Restated: Lucy is mentioned as Tom's sister twice.
  const PersonaFact* lucy = FindFact(*tom, "Tom", "family", "sister Lucy");
  ASSERT_NE(lucy, nullptr);
  EXPECT_EQ(lucy->source_ids, (std::vector<std::string>{"D1:2", "D2:4"}));
  EXPECT_EQ(lucy->valid_to_ms, 0);

  // Everyone's facts when no speaker is given.
  auto all = store->Profile(kTenant);
  ASSERT_TRUE(all.ok());
  EXPECT_GT(all->size(), nadia->size());
  EXPECT_NE(FindFact(*all, "Tom", "pet", "dog Biscuit"), nullptr);
}

TEST_F(TiersStoreTest, ProfileAsOfSeesThePastThroughTheStore) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  Ingest(*store, kTenant, LoadConversation());
  auto at = [&](const std::string& when) {
    auto facts = store->Profile(kTenant, "Nadia", Iso(when));
    EXPECT_TRUE(facts.ok()) << facts.status().ToString();
    return facts.ok() ? OpenValues(*facts) : std::vector<std::string>{};
  };
  EXPECT_THAT(at("2023-01-01T00:00:00Z"), IsEmpty()) << "before the first session";
  std::vector<std::string> spring = at("2023-04-15T00:00:00Z");  // between sessions 1 and 2
  EXPECT_THAT(spring, AllOf(Contains("home=Denver"), Contains("hobby=bouldering"), Contains("dislikes=coffee"),
                            Contains("works_at=Denver Health")));
  EXPECT_THAT(spring, Not(Contains("home=Seattle")));
  std::vector<std::string> summer = at("2023-07-01T00:00:00Z");  // between sessions 2 and 3
  EXPECT_THAT(summer, AllOf(Contains("home=Seattle"), Contains("dislikes=coffee"), Not(Contains("home=Denver")),
                            Not(Contains("hobby=bouldering")), Not(Contains("likes=coffee"))));
  std::vector<std::string> autumn = at("2023-12-01T00:00:00Z");  // after session 3
  EXPECT_THAT(autumn, AllOf(Contains("home=Seattle"), Contains("likes=coffee"), Not(Contains("dislikes=coffee"))));
  EXPECT_EQ(autumn, OpenValues(*store->Profile(kTenant, "Nadia"))) << "as of after the last change == now";
}

TEST_F(TiersStoreTest, GraphEventUnitsAndWorkingMemoryAreFilled) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  const std::vector<Turn> turns = LoadConversation();
  Ingest(*store, kTenant, turns);

  // Graph: family relations and their neighbourhoods.
  auto whole = store->Graph(kTenant);
  ASSERT_TRUE(whole.ok()) << whole.status().ToString();
  std::vector<std::string> edges;
  for (const auto& r : whole->relations) edges.push_back(r.subject + " " + r.relation + " " + r.object);
  EXPECT_THAT(edges, Contains("Lucy sister_of Tom"));
  EXPECT_THAT(edges, Contains("Amira sister_of Nadia"));
  EXPECT_THAT(edges, Contains("Sam brother_of Tom"));
  EXPECT_THAT(edges, Contains("Rosa parent_of Nadia"));
  EXPECT_THAT(edges, Contains("Nadia lives_in Seattle"));

  auto lucy = store->Graph(kTenant, "lucy", 1);  // names resolve case-insensitively
  ASSERT_TRUE(lucy.ok()) << lucy.status().ToString();
  std::vector<std::string> names;
  for (const auto& e : lucy->entities) names.push_back(e.name);
  EXPECT_THAT(names, AllOf(Contains("Lucy"), Contains("Tom"), Contains("Chicago")));
  EXPECT_THAT(names, Not(Contains("Nadia"))) << "Nadia is two hops from Lucy";
  for (const auto& r : lucy->relations) {
    EXPECT_TRUE(r.subject == "Lucy" || r.object == "Lucy") << RelationLine(r);
  }
  auto two = store->Graph(kTenant, "Lucy", 2);
  ASSERT_TRUE(two.ok());
  EXPECT_GT(two->relations.size(), lucy->relations.size());
  auto capped = store->Graph(kTenant, "Lucy", 2, /*max_edges=*/2);
  ASSERT_TRUE(capped.ok());
  EXPECT_EQ(capped->relations.size(), 2u);

  auto unknown = store->Graph(kTenant, "Voldemort");
  EXPECT_TRUE(unknown.status().IsNotFound()) << unknown.status().ToString();
  EXPECT_THAT(unknown.status().message(), HasSubstr("Voldemort"));
  EXPECT_TRUE(store->Graph(kTenant, "Lucy", 11).status().IsInvalidArgument());

  // Event units: first person resolved, relative times normalised to dates.
  auto units = store->EventUnits(kTenant);
  ASSERT_TRUE(units.ok()) << units.status().ToString();
  ASSERT_GE(units->size(), 20u);
  // The unit of turn `source_id` that mentions `word`.
  auto unit_of = [&](const std::string& source_id, const std::string& word) -> const EventUnit* {
    for (const auto& u : *units) {
      if (u.source_ids == std::vector<std::string>{source_id} && u.text.find(word) != std::string::npos) return &u;
    }
    return nullptr;
  };
  struct Expected {
    std::string source_id, word, subject, text_part, from;
  };
  const std::vector<Expected> expected = {
      {"D1:2", "hiking", "Tom", "on 2023-03-03", "2023-03-03"},   // "yesterday", said on 2023-03-04
      {"D1:10", "Biscuit", "Tom", "on 2023-02-25", "2023-02-25"}, // "last Saturday", said on Saturday 2023-03-04
      {"D2:6", "Biscuit", "Tom", "on 2023-06-11", "2023-06-11"},  // "yesterday"
      {"D3:1", "job", "Tom", "on 2023-09-15", "2023-09-15"},      // "last Friday", said on Wednesday 2023-09-20
      {"D3:9", "Biscuit", "Tom", "2023-09-19", "2023-09-19"},     // "yesterday"
  };
  for (const auto& e : expected) {
    SCOPED_TRACE(e.source_id);
    const EventUnit* u = unit_of(e.source_id, e.word);
    ASSERT_NE(u, nullptr);
    EXPECT_EQ(u->subject, e.subject);
    // The words said stay; the resolved date is a trailing annotation.
    EXPECT_THAT(u->text, HasSubstr(e.text_part + ")"));
    EXPECT_EQ(u->event_from_ms, Iso(e.from + "T00:00:00Z"));
  }
  const EventUnit* moved = unit_of("D2:1", "Seattle");
  ASSERT_NE(moved, nullptr);
  EXPECT_THAT(moved->text, AllOf(HasSubstr("Nadia moved to Seattle"), HasSubstr("2023-05")));
  // In log order: the units' turn times never go back.
  for (size_t i = 1; i < units->size(); ++i) EXPECT_LE((*units)[i - 1].time_ms, (*units)[i].time_ms);

  // Working memory: per session, the most recent turns, oldest first.
  auto s3 = store->WorkingMemory(kTenant, "session_3");
  ASSERT_TRUE(s3.ok()) << s3.status().ToString();
  ASSERT_EQ(s3->size(), 10u);
  for (size_t i = 0; i < s3->size(); ++i) {
    EXPECT_EQ((*s3)[i].turn.source_id, "D3:" + std::to_string(i + 1));
    EXPECT_EQ((*s3)[i].turn.text, turns[20 + i].text);
    EXPECT_EQ((*s3)[i].turn.speaker, turns[20 + i].speaker);
    EXPECT_EQ((*s3)[i].turn.session, turns[20 + i].session);
    EXPECT_EQ((*s3)[i].turn.time_ms, turns[20 + i].time_ms);
    EXPECT_EQ((*s3)[i].turn.metadata, turns[20 + i].metadata);
    EXPECT_EQ((*s3)[i].tenant, kTenant);
  }
  EXPECT_THAT(*store->WorkingMemory(kTenant, "no-such-session"), IsEmpty());
  EXPECT_THAT(*store->WorkingMemory("no-such-tenant", "session_3"), IsEmpty());
}

TEST_F(TiersStoreTest, WorkingMemoryLimitsComeFromOptions) {
  Options options;
  options.working_memory_turns = 4;
  auto store = Open(options);
  ASSERT_NE(store, nullptr);
  Ingest(*store, kTenant, LoadConversation());
  auto s1 = store->WorkingMemory(kTenant, "session_1");
  ASSERT_TRUE(s1.ok());
  std::vector<std::string> ids;
  for (const auto& t : *s1) ids.push_back(t.turn.source_id);
  EXPECT_EQ(ids, (std::vector<std::string>{"D1:7", "D1:8", "D1:9", "D1:10"}));

  store.reset();
  Options tight;
  tight.working_memory_tokens = 40;  // about two short turns
  store = Open(tight);
  ASSERT_NE(store, nullptr);
  auto s2 = store->WorkingMemory(kTenant, "session_2");
  ASSERT_TRUE(s2.ok());
  ASSERT_FALSE(s2->empty());
  EXPECT_LT(s2->size(), 10u);
  EXPECT_EQ(s2->back().turn.source_id, "D2:10") << "the newest turn is always kept";
  size_t tokens = 0;
  for (const auto& t : *s2) tokens += (t.turn.text.size() + 3) / 4 + (t.turn.speaker.size() + 3) / 4 + 1;
  EXPECT_LE(tokens, 40u);
}

TEST_F(TiersStoreTest, TiersAndRecallSurviveCloseAndReopen) {
  TierState before;
  {
    auto store = Open();
    ASSERT_NE(store, nullptr);
    Ingest(*store, kTenant, LoadConversation());
    before = Capture(*store, kTenant);
  }
  ASSERT_FALSE(before.profile.empty());
  ASSERT_FALSE(before.relations.empty());
  ASSERT_FALSE(before.units.empty());
  ASSERT_EQ(before.working.size(), 30u);
  ASSERT_EQ(before.recall.size(), kQuestions.size() * kRoutes.size());
  for (const auto& [query, hits] : before.recall) EXPECT_FALSE(hits.empty()) << query;

  auto store = Open();
  ASSERT_NE(store, nullptr);
  ExpectSameState(before, Capture(*store, kTenant));
  // Once more, after the reopened store wrote its own snapshot.
  store.reset();
  store = Open();
  ASSERT_NE(store, nullptr);
  ExpectSameState(before, Capture(*store, kTenant));
}

// A store of format version 1 held its derived records as JSON. Rewrites
// every derived record of a closed store in that form and marks the store
// version 1, as an engram of that version left it.
void DowngradeToFormatVersionOne(const std::string& path) {
  std::string error;
  auto raw = testing::RawStore::Open(path, /*read_only=*/false, &error);
  ASSERT_NE(raw, nullptr) << error;
  rocksdb::ColumnFamilyHandle* derived = raw->cf("derived");
  ASSERT_NE(derived, nullptr);
  rocksdb::WriteBatch batch;
  size_t rewritten = 0;
  std::unique_ptr<rocksdb::Iterator> it(raw->db().NewIterator(rocksdb::ReadOptions(), derived));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const std::string key = it->key().ToString();
    const std::string_view value(it->value().data(), it->value().size());
    ASSERT_GE(key.size(), 5u);
    ASSERT_EQ(value[0], '\x01') << "written in the binary form";
    nlohmann::json j;
    switch (key[key.size() - 5]) {
      case 'u': {
        EventUnit u;
        ASSERT_TRUE(DecodeUnit(value, &u).ok());
        j = {{"text", u.text}, {"subject", u.subject}, {"time", u.time_ms}, {"from", u.event_from_ms},
             {"to", u.event_to_ms}, {"src", u.source_ids}};
        break;
      }
      case 'f': {
        PersonaFact f;
        ASSERT_TRUE(DecodeFact(value, &f).ok());
        j = {{"subject", f.subject}, {"attribute", f.attribute}, {"value", f.value}, {"from", f.valid_from_ms},
             {"to", f.valid_to_ms}, {"confidence", f.confidence}, {"src", f.source_ids}, {"negated", f.negated}};
        break;
      }
      case 'e': {
        Entity e;
        ASSERT_TRUE(DecodeEntity(value, &e).ok());
        j = {{"name", e.name}, {"type", static_cast<int>(e.type)}, {"aliases", e.aliases}, {"src", e.source_ids}};
        break;
      }
      case 'r': {
        Relation r;
        ASSERT_TRUE(DecodeRelation(value, &r).ok());
        j = {{"subject", r.subject}, {"relation", r.relation}, {"object", r.object}, {"time", r.time_ms},
             {"src", r.source_ids}};
        if (r.valid_from_ms != 0) j["from"] = r.valid_from_ms;
        break;
      }
      default: FAIL() << "unknown derived kind in key of " << key.size() << " bytes";
    }
    batch.Put(derived, key, j.dump());
    ++rewritten;
  }
  ASSERT_TRUE(it->status().ok());
  it.reset();
  ASSERT_GT(rewritten, 30u);
  batch.Put("format_version", "1");
  ASSERT_TRUE(raw->db().Write(rocksdb::WriteOptions(), &batch).ok());
}

std::string StoredFormatVersion(const std::string& path) {
  std::string error, version;
  auto raw = testing::RawStore::Open(path, /*read_only=*/true, &error);
  EXPECT_NE(raw, nullptr) << error;
  if (raw == nullptr) return "";
  EXPECT_TRUE(raw->db().Get(rocksdb::ReadOptions(), "format_version", &version).ok());
  return version;
}

TEST_F(TiersStoreTest, AFormatVersionOneStoreReadsTheSameAndIsUpgradedWhenWritten) {
  TierState before;
  {
    auto store = Open();
    ASSERT_NE(store, nullptr);
    Ingest(*store, kTenant, LoadConversation());
    before = Capture(*store, kTenant);
  }
  EXPECT_EQ(StoredFormatVersion(path()), "2");
  DowngradeToFormatVersionOne(path());
  ASSERT_EQ(StoredFormatVersion(path()), "1");
  {
    Options read_only;
    read_only.read_only = true;
    auto store = Open(path(), read_only);
    ASSERT_NE(store, nullptr);
    ExpectSameState(before, Capture(*store, kTenant));
  }
  EXPECT_EQ(StoredFormatVersion(path()), "1") << "a read-only open changes nothing";

  auto store = Open();
  ASSERT_NE(store, nullptr);
  ExpectSameState(before, Capture(*store, kTenant));
  store.reset();
  EXPECT_EQ(StoredFormatVersion(path()), "2") << "an open for writing marks the store with its version";
  store = Open();
  ASSERT_NE(store, nullptr);
  ExpectSameState(before, Capture(*store, kTenant));
}

TEST_F(TiersStoreTest, RebuildYieldsIdenticalTiersAndRecall) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  Ingest(*store, kTenant, LoadConversation());
  Ingest(*store, "other", OtherTenantConversation());
  const TierState before = Capture(*store, kTenant);
  const TierState other_before = Capture(*store, "other");

  ASSERT_TRUE(store->Rebuild().ok());
  ExpectSameState(before, Capture(*store, kTenant));
  ExpectSameState(other_before, Capture(*store, "other"));

  // Writes after a rebuild land in the rebuilt tiers, and the rebuilt state
  // survives a reopen.
  Turn extra;
  extra.session = "session_3";
  extra.speaker = "Nadia";
  extra.text = "I bought a red kayak yesterday.";
  extra.time_ms = Iso("2023-09-20T09:30:00Z");
  extra.source_id = "D3:11";
  ASSERT_TRUE(store->Observe(kTenant, extra).ok());
  auto profile = store->Profile(kTenant, "Nadia");
  ASSERT_TRUE(profile.ok());
  EXPECT_THAT(OpenValues(*profile), Contains("owns=red kayak"));
  RecallOptions bm25;
  bm25.route = "bm25";
  auto kayak = store->Recall(kTenant, "kayak", bm25);
  ASSERT_TRUE(kayak.ok());
  ASSERT_FALSE(kayak->hits.empty());
  EXPECT_EQ(kayak->hits[0].source_ids, std::vector<std::string>{"D3:11"});
  const TierState after = Capture(*store, kTenant);
  store.reset();
  store = Open();
  ASSERT_NE(store, nullptr);
  ExpectSameState(after, Capture(*store, kTenant));
}

TEST_F(TiersStoreTest, RecallNeverReturnsAnotherTenantsData) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  const std::vector<Turn> a_turns = LoadConversation(), b_turns = OtherTenantConversation();
  Ingest(*store, kTenant, a_turns);
  Ingest(*store, "other", b_turns);

  auto check = [&](const std::string& tenant, const std::vector<Turn>& own, const std::string& foreign_name) {
    SCOPED_TRACE(tenant);
    std::vector<std::string> own_ids;
    for (const auto& t : own) own_ids.push_back(t.source_id);
    // Questions about this tenant's people, the other's, and plain words.
    std::vector<std::string> questions = kQuestions;
    questions.push_back("Where does " + foreign_name + " live?");
    questions.push_back("jazz festival in Chicago");
    for (const auto& route : kRoutes) {
      size_t hits = 0;
      for (const auto& q : questions) {
        RecallOptions options;
        options.route = route;
        options.k = 20;
        auto r = store->Recall(tenant, q, options);
        ASSERT_TRUE(r.ok()) << r.status().ToString();
        hits += r->hits.size();
        for (const auto& h : r->hits) {
          for (const auto& id : h.source_ids) EXPECT_THAT(own_ids, Contains(id)) << route << " " << q;
          EXPECT_THAT(h.text, Not(HasSubstr(foreign_name))) << route << " " << q;
          EXPECT_THAT(h.speaker, Not(HasSubstr(foreign_name)));
        }
      }
      EXPECT_GT(hits, questions.size()) << route << ": the tenant's own data is found";
    }
    auto context = store->RecallContext(tenant, "What does " + foreign_name + " like?", 400);
    ASSERT_TRUE(context.ok()) << context.status().ToString();
    EXPECT_THAT(context->text, Not(HasSubstr(foreign_name)));
    auto profile = store->Profile(tenant, "", 0, true);
    ASSERT_TRUE(profile.ok());
    for (const auto& f : *profile) EXPECT_THAT(FactLine(f), Not(HasSubstr(foreign_name)));
    EXPECT_THAT(*store->Profile(tenant, foreign_name), IsEmpty());
    EXPECT_TRUE(store->Graph(tenant, foreign_name).status().IsNotFound());
    auto units = store->EventUnits(tenant);
    ASSERT_TRUE(units.ok());
    for (const auto& u : *units) EXPECT_THAT(u.text, Not(HasSubstr(foreign_name)));
  };
  check(kTenant, a_turns, "Greta");
  check("other", b_turns, "Nadia");

  // A tenant that never wrote anything remembers nothing.
  auto nobody = store->Recall("nobody", "Where does Nadia live?");
  ASSERT_TRUE(nobody.ok()) << nobody.status().ToString();
  EXPECT_THAT(nobody->hits, IsEmpty());
}

TEST_F(TiersStoreTest, ForgetTenantRemovesDerivedStateAndLeavesOthersIntact) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  Ingest(*store, kTenant, LoadConversation());
  Ingest(*store, "other", OtherTenantConversation());
  const TierState other_before = Capture(*store, "other");
  ASSERT_FALSE(store->Recall(kTenant, "Where does Nadia live now?")->hits.empty());

  auto report = store->ForgetTenant(kTenant);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  for (const char* kind : {"turns", "units", "facts", "entities", "relations", "vectors"}) {
    EXPECT_GT(report->removed[kind], 0u) << kind;
  }
  EXPECT_EQ(report->removed["turns"], 30u);

  auto check_gone = [&](Store& s) {
    for (const auto& route : kRoutes) {
      RecallOptions options;
      options.route = route;
      auto r = s.Recall(kTenant, "Where does Nadia live now?", options);
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      EXPECT_THAT(r->hits, IsEmpty()) << route;
    }
    EXPECT_THAT(*s.Profile(kTenant, "", 0, true), IsEmpty());
    EXPECT_THAT(*s.EventUnits(kTenant), IsEmpty());
    EXPECT_THAT(s.Graph(kTenant)->entities, IsEmpty());
    EXPECT_THAT(*s.WorkingMemory(kTenant, "session_1"), IsEmpty());
    ExpectSameState(other_before, Capture(s, "other"));
  };
  check_gone(*store);
  // Nothing comes back from a snapshot or a cache after a reopen, nor after a rebuild.
  store.reset();
  store = Open();
  ASSERT_NE(store, nullptr);
  check_gone(*store);
  ASSERT_TRUE(store->Rebuild().ok());
  check_gone(*store);

  // Observing again for the forgotten tenant starts from scratch.
  Turn t;
  t.speaker = "Nadia";
  t.text = "I live in Lisbon.";
  t.source_id = "D1:3";  // a source id the tenant used before: new again after forgetting
  ASSERT_TRUE(store->Observe(kTenant, t).ok());
  auto profile = store->Profile(kTenant, "Nadia", 0, true);
  ASSERT_TRUE(profile.ok());
  EXPECT_EQ(OpenValues(*profile), std::vector<std::string>{"home=Lisbon"});
}

TEST_F(TiersStoreTest, LogOnlyWritesAreDerivedAndEmbeddedOnTheNextNormalOpen) {
  const std::vector<Turn> turns = LoadConversation();
  const std::vector<Turn> first(turns.begin(), turns.begin() + 10), rest(turns.begin() + 10, turns.end());
  {
    auto store = Open();
    ASSERT_NE(store, nullptr);
    Ingest(*store, kTenant, first);
  }
  {
    Options log_only;
    log_only.log_only = true;
    auto store = Open(log_only);
    ASSERT_NE(store, nullptr);
    for (const auto& t : rest) ASSERT_TRUE(store->Observe(kTenant, t).ok());
    // Nothing derived is readable in this mode.
    auto recall = store->Recall(kTenant, "Where does Nadia live now?");
    EXPECT_TRUE(IsFailedPrecondition(recall.status())) << recall.status().ToString();
    EXPECT_THAT(recall.status().message(), HasSubstr("log_only"));
    EXPECT_TRUE(IsFailedPrecondition(store->RecallContext(kTenant, "x", 100).status()));
    EXPECT_TRUE(IsFailedPrecondition(store->Profile(kTenant).status()));
    EXPECT_TRUE(IsFailedPrecondition(store->Graph(kTenant).status()));
    EXPECT_TRUE(IsFailedPrecondition(store->EventUnits(kTenant).status()));
    EXPECT_TRUE(IsFailedPrecondition(store->WorkingMemory(kTenant, "session_1").status()));
    EXPECT_TRUE(IsFailedPrecondition(store->Rebuild()));
  }
  auto store = Open();
  ASSERT_NE(store, nullptr);
  // A turn observed in log_only mode is found by vector and by BM25.
  for (const char* route : {"vector", "bm25", "auto"}) {
    RecallOptions options;
    options.route = route;
    options.k = 3;
    auto r = store->Recall(kTenant, "Tom quit his job at Spotify", options);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    std::vector<std::string> ids;
    for (const auto& h : r->hits) ids.insert(ids.end(), h.source_ids.begin(), h.source_ids.end());
    EXPECT_THAT(ids, Contains("D3:1")) << route;
  }
  auto profile = store->Profile(kTenant, "Nadia");
  ASSERT_TRUE(profile.ok());
  EXPECT_THAT(OpenValues(*profile), Contains("home=Seattle"));

  // Exactly what a store that saw every turn in normal mode holds.
  const TierState caught_up = Capture(*store, kTenant);
  auto reference = Open(dir_.Sub("reference"), Options{});
  ASSERT_NE(reference, nullptr);
  Ingest(*reference, kTenant, turns);
  // Its vectors were computed in other batches, so scores may differ in the last bits.
  ExpectSameState(Capture(*reference, kTenant), caught_up, /*tolerance=*/1e-4f);
  // And the catch-up is durable: a second open finds the same.
  store.reset();
  store = Open();
  ASSERT_NE(store, nullptr);
  ExpectSameState(caught_up, Capture(*store, kTenant));
}

TEST_F(TiersStoreTest, AnotherEmbedderIsRefusedUnlessReembedding) {
  {
    auto store = Open();
    ASSERT_NE(store, nullptr);
    Ingest(*store, kTenant, LoadConversation());
  }
  Options hashed;
  hashed.embedder = std::make_shared<testing::TestEmbedder>(0, 16);
  auto refused = Store::Open(hashed, path());
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(IsFailedPrecondition(refused.status())) << refused.status().ToString();
  EXPECT_THAT(refused.status().message(), AllOf(HasSubstr("use-lite"), HasSubstr("test-word-hash/0/16"),
                                               HasSubstr("reindex")));

  // Nothing was lost by the refusal: the built-in embedder still opens it.
  {
    auto store = Open();
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(store->ScanTurns(kTenant)->size(), 30u);
  }

  hashed.reembed = true;
  {
    auto store = Open(hashed);
    ASSERT_NE(store, nullptr);
    RecallOptions vector;
    vector.route = "vector";
    vector.k = 3;
    auto r = store->Recall(kTenant, "I adopted a dog named Biscuit last Saturday.", vector);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_FALSE(r->hits.empty());
    EXPECT_EQ(r->hits[0].source_ids, std::vector<std::string>{"D1:10"});
    EXPECT_GT(r->hits[0].signals.at("vector"), 0.0f);
    auto all = store->Recall(kTenant, "Where does Nadia live now?");
    ASSERT_TRUE(all.ok()) << all.status().ToString();
    EXPECT_FALSE(all->hits.empty());
  }
  // The store now belongs to the new embedder: it opens without reembed,
  // and the built-in one is refused.
  hashed.reembed = false;
  EXPECT_NE(Open(hashed), nullptr);
  {
    // Only the new embedder's vectors are kept: one per distinct document
    // text, none left over from the built-in embedder.
    auto store = Open(hashed);
    ASSERT_NE(store, nullptr);
    size_t documents = store->ScanTurns(kTenant)->size() + store->EventUnits(kTenant)->size();
    auto report = store->ForgetTenant(kTenant);
    ASSERT_TRUE(report.ok());
    EXPECT_LE(report->removed.at("vectors"), documents);
    EXPECT_GT(report->removed.at("vectors"), 0u);
  }
  auto builtin = Store::Open(Options{}, path());
  EXPECT_TRUE(IsFailedPrecondition(builtin.status())) << builtin.status().ToString();
}

TEST_F(TiersStoreTest, RecallRejectsBadInputAndStaysUsable) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  Ingest(*store, kTenant, LoadConversation());

  auto bad_utf8 = store->Recall(kTenant, "caf\xc3 latte");
  EXPECT_TRUE(bad_utf8.status().IsInvalidArgument()) << bad_utf8.status().ToString();
  EXPECT_THAT(bad_utf8.status().message(), HasSubstr("UTF-8"));
  EXPECT_TRUE(store->RecallContext(kTenant, "\xff\xfe", 100).status().IsInvalidArgument());

  RecallOptions unknown;
  unknown.route = "telepathy";
  auto bad_route = store->Recall(kTenant, "Where does Nadia live now?", unknown);
  EXPECT_TRUE(bad_route.status().IsInvalidArgument()) << bad_route.status().ToString();
  EXPECT_THAT(bad_route.status().message(), HasSubstr("telepathy"));

  EXPECT_TRUE(store->Recall("", "Where does Nadia live now?").status().IsInvalidArgument());
  EXPECT_TRUE(store->Recall(kTenant, std::string(64 * 1024 + 1, 'x')).status().IsInvalidArgument());

  auto good = store->Recall(kTenant, "Where does Nadia live now?");
  ASSERT_TRUE(good.ok()) << good.status().ToString();
  EXPECT_FALSE(good->hits.empty());
  EXPECT_EQ(store->ScanTurns(kTenant)->size(), 30u);
}

TEST_F(TiersStoreTest, RecallContextStaysWithinTheBudget) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  Ingest(*store, kTenant, LoadConversation());
  for (size_t budget : {60u, 200u, 1000u}) {
    SCOPED_TRACE(budget);
    auto ctx = store->RecallContext(kTenant, "Where does Nadia live now?", budget);
    ASSERT_TRUE(ctx.ok()) << ctx.status().ToString();
    EXPECT_LE(ctx->tokens, budget);
    EXPECT_LE(ctx->text.size(), budget * 4);
    EXPECT_FALSE(ctx->text.empty());
    EXPECT_FALSE(ctx->sections.empty());
  }
}

TEST_F(TiersStoreTest, VectorIndexTypesServeRecall) {
  const std::vector<Turn> turns = LoadConversation();
  for (const char* type : {"HNSW32", "Int8"}) {
    SCOPED_TRACE(type);
    Options options;
    options.vector_index = type;
    const std::string at = dir_.Sub(std::string("store-") + type);
    auto store = Open(at, options);
    ASSERT_NE(store, nullptr);
    Ingest(*store, kTenant, turns);
    auto ask = [&](Store& s) {
      RecallOptions vector;
      vector.route = "vector";
      vector.k = 5;
      std::vector<std::string> top;
      for (const auto& t : turns) {
        if (t.text.size() < 35) continue;  // long, distinctive turns only
        auto r = s.Recall(kTenant, t.text, vector);
        EXPECT_TRUE(r.ok()) << r.status().ToString();
        if (!r.ok() || r->hits.empty()) {
          top.push_back("(none)");
          continue;
        }
        EXPECT_EQ(r->hits[0].source_ids, std::vector<std::string>{t.source_id}) << t.text;
        top.push_back(Join(r->hits[0].source_ids));
      }
      return top;
    };
    const std::vector<std::string> before = ask(*store);
    auto all = store->Recall(kTenant, "Where does Nadia live now?");
    ASSERT_TRUE(all.ok()) << all.status().ToString();
    EXPECT_FALSE(all->hits.empty());
    // The index of this type is snapshotted and loaded back.
    store.reset();
    store = Open(at, options);
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(ask(*store), before);
  }
}

}  // namespace
}  // namespace engram

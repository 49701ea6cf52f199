// Background LLM enrichment: the turn is acknowledged before the model
// answers; results land atomically; bad replies never lose the turn; queued
// jobs resume after a restart. The model is a real HTTP server on loopback
// that speaks the chat-completions protocol.
#include <atomic>
#include <chrono>
#include <mutex>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "engram/engram.h"
#include "testing/local_http_server.h"
#include "testing/temp_dir.h"

namespace engram {
namespace {

using nlohmann::json;

// The assistant content a well-behaved model returns for the test turn.
const char* kGoodContent = R"({
  "units": [{"text": "Dana adopted a grey cat named Miso.", "subject": "Dana", "date": null}],
  "facts": [{"subject": "Dana", "attribute": "pet", "value": "cat Miso", "negated": false, "confidence": 0.9}],
  "entities": [{"name": "Miso", "type": "thing", "aliases": []}],
  "relations": [{"subject": "Dana", "relation": "owns", "object": "Miso"}]
})";

// A chat-completions server whose behaviour the test sets.
class FakeModel {
 public:
  enum class Mode { kGood, kMalformed, kDown, kSlowGood };

  FakeModel() {
    server_.http().Post("/v1/chat/completions", [this](const httplib::Request&, httplib::Response& res) {
      ++requests_;
      Mode mode = this->mode();
      if (mode == Mode::kDown) {
        res.status = 503;
        res.set_content(R"({"error": {"message": "overloaded"}})", "application/json");
        return;
      }
      if (mode == Mode::kSlowGood) std::this_thread::sleep_for(std::chrono::milliseconds(300));
      std::string content = mode == Mode::kMalformed ? R"({"units": "not a list"})" : kGoodContent;
      json reply = {{"choices", {{{"message", {{"role", "assistant"}, {"content", content}}}}}}};
      res.set_content(reply.dump(), "application/json");
    });
    server_.Start();
  }

  void set_mode(Mode m) {
    std::lock_guard<std::mutex> lock(mutex_);
    mode_ = m;
  }
  Mode mode() {
    std::lock_guard<std::mutex> lock(mutex_);
    return mode_;
  }
  int requests() const { return requests_.load(); }
  std::string url() const { return server_.Url("/v1"); }

 private:
  testing::LocalHttpServer server_;
  std::mutex mutex_;
  Mode mode_ = Mode::kGood;
  std::atomic<int> requests_{0};
};

Options EnrichedOptions(const FakeModel& model) {
  LlmExtractorOptions llm;
  llm.url = model.url();
  llm.model = "test-model";
  llm.timeout_ms = 5000;
  llm.max_retries = 0;
  llm.initial_backoff_ms = 1;
  auto extractor = NewLlmExtractor(llm);
  EXPECT_TRUE(extractor.ok()) << extractor.status().ToString();
  Options options;
  options.enrichment_extractor = std::shared_ptr<Extractor>(std::move(*extractor));
  options.enrichment_max_attempts = 3;
  return options;
}

Turn CatTurn() {
  return Turn{"s1", "Dana", "I adopted a cat last weekend, she's tiny and grey.", 1716237105000, "s3:3"};
}

bool HasFact(const std::vector<PersonaFact>& facts, const std::string& attribute, const std::string& value) {
  for (const auto& f : facts) {
    if (f.attribute == attribute && f.value == value) return true;
  }
  return false;
}

TEST(EnrichmentTest, TurnIsAcknowledgedBeforeTheModelAnswersAndResultsLandLater) {
  FakeModel model;
  model.set_mode(FakeModel::Mode::kSlowGood);
  testing::TempDir dir;
  auto store = Store::Open(EnrichedOptions(model), dir.path());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto seq = (*store)->Observe("dana", CatTurn());
  ASSERT_TRUE(seq.ok()) << seq.status().ToString();
  // The model takes 300 ms; Observe has returned already, with the job queued.
  auto profile = (*store)->Profile("dana");
  ASSERT_TRUE(profile.ok());
  EXPECT_FALSE(HasFact(*profile, "pet", "cat Miso"));

  ASSERT_TRUE((*store)->WaitForEnrichment(10000).ok());
  profile = (*store)->Profile("dana");
  ASSERT_TRUE(profile.ok());
  EXPECT_TRUE(HasFact(*profile, "pet", "cat Miso"));
  auto units = (*store)->EventUnits("dana");
  ASSERT_TRUE(units.ok());
  bool found = false;
  for (const auto& u : *units) found |= u.text == "Dana adopted a grey cat named Miso.";
  EXPECT_TRUE(found);
  // The enriched unit is searchable.
  auto recall = (*store)->Recall("dana", "What is the name of Dana's cat?");
  ASSERT_TRUE(recall.ok());
  ASSERT_FALSE(recall->hits.empty());
  EXPECT_EQ(recall->hits.front().source_ids.front(), "s3:3");
}

TEST(EnrichmentTest, MalformedRepliesAreGivenUpButTheTurnStays) {
  FakeModel model;
  model.set_mode(FakeModel::Mode::kMalformed);
  testing::TempDir dir;
  auto store = Store::Open(EnrichedOptions(model), dir.path());
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->Observe("dana", CatTurn()).ok());
  // Three attempts, then the job is dropped.
  Status waited = (*store)->WaitForEnrichment(20000);
  ASSERT_TRUE(waited.ok()) << waited.ToString();
  EXPECT_GE(model.requests(), 3);
  auto turn = (*store)->GetTurnBySourceId("dana", "s3:3");
  ASSERT_TRUE(turn.ok());
  EXPECT_EQ(turn->turn.text, CatTurn().text);
  auto profile = (*store)->Profile("dana");
  ASSERT_TRUE(profile.ok());
  EXPECT_FALSE(HasFact(*profile, "pet", "cat Miso"));
}

TEST(EnrichmentTest, QueuedJobsResumeAfterRestart) {
  FakeModel model;
  model.set_mode(FakeModel::Mode::kDown);
  testing::TempDir dir;
  {
    Options options = EnrichedOptions(model);
    options.enrichment_max_attempts = 1000;  // never give up while the model is down
    auto store = Store::Open(options, dir.path());
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->Observe("dana", CatTurn()).ok());
    auto pending = (*store)->PendingEnrichments();
    ASSERT_TRUE(pending.ok());
    EXPECT_EQ(*pending, 1u);
    EXPECT_FALSE((*store)->WaitForEnrichment(300).ok());  // still down
  }
  model.set_mode(FakeModel::Mode::kGood);
  auto store = Store::Open(EnrichedOptions(model), dir.path());
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->WaitForEnrichment(20000).ok());
  auto profile = (*store)->Profile("dana");
  ASSERT_TRUE(profile.ok());
  EXPECT_TRUE(HasFact(*profile, "pet", "cat Miso"));
}

TEST(EnrichmentTest, EnrichedTiersRebuildFromTheLog) {
  FakeModel model;
  testing::TempDir dir;
  auto store = Store::Open(EnrichedOptions(model), dir.path());
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->Observe("dana", CatTurn()).ok());
  ASSERT_TRUE((*store)->WaitForEnrichment(10000).ok());
  auto before = (*store)->EventUnits("dana");
  ASSERT_TRUE(before.ok());
  ASSERT_TRUE((*store)->Rebuild().ok());
  auto after = (*store)->EventUnits("dana");
  ASSERT_TRUE(after.ok());
  ASSERT_EQ(before->size(), after->size());
  for (size_t i = 0; i < before->size(); ++i) EXPECT_EQ((*before)[i].text, (*after)[i].text);
}

TEST(EnrichmentTest, ForgetTenantRemovesItsQueuedJobs) {
  FakeModel model;
  model.set_mode(FakeModel::Mode::kDown);
  testing::TempDir dir;
  Options options = EnrichedOptions(model);
  options.enrichment_max_attempts = 1000;
  auto store = Store::Open(options, dir.path());
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->Observe("dana", CatTurn()).ok());
  ASSERT_TRUE((*store)->Observe("omar", Turn{"a", "Omar", "I bought a bike.", 1707955200000, "a:1"}).ok());
  auto report = (*store)->ForgetTenant("dana");
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->removed.at("enrichment_jobs"), 1u);
  auto pending = (*store)->PendingEnrichments();
  ASSERT_TRUE(pending.ok());
  EXPECT_EQ(*pending, 1u);  // omar's job stays
}

TEST(EnrichmentTest, ForgetOfOneTurnRemovesItsJobAndUpdateQueuesOneForTheNewText) {
  FakeModel model;
  model.set_mode(FakeModel::Mode::kDown);
  testing::TempDir dir;
  Options options = EnrichedOptions(model);
  options.enrichment_max_attempts = 1000;
  auto store = Store::Open(options, dir.path());
  ASSERT_TRUE(store.ok());
  Turn cat = CatTurn();
  ASSERT_TRUE((*store)->Observe("dana", cat).ok());
  ASSERT_TRUE((*store)->Observe("dana", Turn{"a", "Dana", "I bought a bike.", 1707955200000, "b:1"}).ok());
  auto report = (*store)->Forget("dana", cat.source_id, {});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->removed.at("enrichment_jobs"), 1u);
  EXPECT_EQ(*(*store)->PendingEnrichments(), 1u);  // the bike turn's stays
  ASSERT_TRUE((*store)->Update("dana", "b:1", "I bought a red bike.", {}).ok());
  EXPECT_EQ(*(*store)->PendingEnrichments(), 1u) << "one job for the turn, now of its new text";

  // Once the model answers, the result is of the corrected turn.
  model.set_mode(FakeModel::Mode::kGood);
  ASSERT_TRUE((*store)->WaitForEnrichment(20000).ok());
  EXPECT_EQ(*(*store)->PendingEnrichments(), 0u);
  EXPECT_EQ((*store)->GetTurnBySourceId("dana", "b:1")->turn.text, "I bought a red bike.");
}

}  // namespace
}  // namespace engram

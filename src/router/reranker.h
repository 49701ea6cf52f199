// Reranker: a second stage over the best turns of the first ranking.
//
// The first stage (route_executor.cc) ranks every candidate by a weighted
// sum of its signals. The reranker takes the best `rerank_depth` of them
// and orders them again by a linear function of features that explain
// themselves: the first stage's own score and rank, the signals it had, and
// features it cannot compute for every candidate (how much of the
// question's content a turn and the turns around it cover, whether it asks
// or answers, how many of the leading turns share its session, whether it
// names the question's entities). The weights are a handful of numbers,
// fitted by pairwise logistic regression (rerank_training.h) and listed with
// what they measured in router.cc.
//
// Each feature is reported as a hit signal under its name, so an
// evaluator can fit weights on the ranked lists Recall returns and replay
// the ordering with RerankScore exactly as the router does.
//
// Thread safety: plain values and pure functions.
#pragma once

#include <array>
#include <cstddef>
#include <map>
#include <string>
#include <vector>

namespace engram {

// The features, in the order of RerankFeatures. Each is in [0, 1].
enum class RerankFeature : size_t {
  kFirstStage,     // the first stage's score relative to the best turn's
  kFirstRank,      // 1 / (1 + the first stage's rank), 0-based
  kBm25,           // normalised BM25 of the turn's best document
  kVector,         // min-max normalised cosine
  kByTarget,       // said by a target (1 or 0)
  kNamesTarget,    // not said by a target but naming one (1 or 0)
  kToTarget,       // said to a target, telling their own story ("you told me you ...")
  kNeighbour,      // relevance lent by a neighbouring seed
  kSessionContext, // how relevant its dialogue neighbours are
  kContextKey,     // the question it replies to matched
  kAggregation,    // names a distinct item of a list question
  kWordnet,        // names a word related to a question word
  kTemporal,       // its time fits the question's time range
  kCoverage,       // idf-weighted share of the question's content terms it has
  kPrevCoverage,   // the same for the turn before it in its session
  kNextCoverage,   // and for the turn after it
  kAsks,           // it asks something ('?')
  kLength,         // its analysed length, saturating at 20 terms
  kSessionShare,   // share of the first stage's top 10 in its session
  kEntity,         // share of the question's entities it names
  kAnswerType,     // names an entity of the type a list question asks for
  kRareMatch,      // idf of its rarest question term relative to the question's rarest
  kUnit,           // an event unit stands for it (its best document)
  kDated,          // a "when" question, and it states when something happened
  kReplies,        // the turn before it, by someone else, asks something
  kSessionBest,    // the best first-stage score of another turn of its session, relative
  kCount
};
constexpr size_t kRerankFeatureCount = static_cast<size_t>(RerankFeature::kCount);

// The signal name of each feature (Hit::signals), in enum order.
const std::array<const char*, kRerankFeatureCount>& RerankFeatureNames();

using RerankFeatures = std::array<float, kRerankFeatureCount>;

// One weight per feature; the score is their dot product.
struct RerankWeights {
  RerankFeatures w{};
};

float RerankScore(const RerankFeatures& features, const RerankWeights& weights);

// The candidates' positions ordered by RerankScore, best first; equal
// scores keep first-stage order. The router orders its turns with it, so an
// evaluator replaying the features gets the same order.
std::vector<size_t> RerankOrder(const std::vector<RerankFeatures>& candidates, const RerankWeights& weights);

// The features of a hit, read back from its signals (missing ones are 0).
RerankFeatures FeaturesFromSignals(const std::map<std::string, float>& signals);

// The weights the router ships (router.cc documents how they were fitted).
RerankWeights DefaultRerankWeights();

}  // namespace engram

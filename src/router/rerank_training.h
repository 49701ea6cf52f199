// Fitting the reranker's weights (reranker.h) from ranked lists with known
// relevant items: pairwise logistic regression (RankNet with a linear
// scorer). Every pair of a relevant and an irrelevant candidate of one
// question is a training example, pushed towards scoring the relevant one
// higher; each question counts once, whatever its number of pairs.
//
// Used by the evaluator (`engram eval locomo --fit-reranker`) to fit and
// cross-validate weights; the router itself only applies them.
//
// Thread safety: pure functions.
#pragma once

#include <cstddef>
#include <vector>

#include "router/reranker.h"

namespace engram {

// One question: its candidates in first-stage order, and which are relevant.
struct RankingQuestion {
  std::vector<RerankFeatures> candidates;
  std::vector<bool> relevant;  // parallel to candidates
};

struct RerankFitOptions {
  float l2 = 1e-3f;             // ridge penalty on the standardised weights
  size_t iterations = 400;      // full-batch Adam steps
  float learning_rate = 0.05f;
  // Irrelevant candidates below this first-stage position are not paired
  // (0 = all): the ones that matter are those that crowd the top.
  size_t negative_depth = 0;
  // Features whose weight may not fall below 0 (a prior the fit may not
  // turn against: it can only leave it out).
  std::vector<RerankFeature> non_negative;
};

struct RerankFit {
  RerankWeights weights;  // in the features' own units
  double loss = 0;        // mean pairwise logistic loss at the end (without the penalty)
  size_t questions = 0;   // questions with at least one pair
  size_t pairs = 0;
};

// Fits weights; questions without both a relevant and an irrelevant
// candidate are skipped. A feature that never varies gets weight 0.
RerankFit FitRerankWeights(const std::vector<RankingQuestion>& questions, const RerankFitOptions& options = {});

}  // namespace engram

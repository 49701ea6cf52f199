#include "router/rerank_training.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace engram {
namespace {

// log(1 + e^-x) and its derivative's magnitude, e^-x / (1 + e^-x), both
// without overflow.
double LogisticLoss(double x) { return x > 0 ? std::log1p(std::exp(-x)) : -x + std::log1p(std::exp(x)); }
double LogisticSlope(double x) { return x > 0 ? std::exp(-x) / (1 + std::exp(-x)) : 1 / (1 + std::exp(x)); }

struct Pair {
  size_t good, bad;  // rows of the flattened candidate matrix
  double weight;     // 1 / pairs of its question
};

}  // namespace

RerankFit FitRerankWeights(const std::vector<RankingQuestion>& questions, const RerankFitOptions& options) {
  constexpr size_t F = kRerankFeatureCount;
  // Flatten the candidates and list the pairs.
  std::vector<RerankFeatures> rows;
  std::vector<Pair> pairs;
  RerankFit fit;
  for (const auto& q : questions) {
    const size_t base = rows.size();
    std::vector<size_t> good, bad;
    for (size_t i = 0; i < q.candidates.size(); ++i) {
      rows.push_back(q.candidates[i]);
      bool relevant = i < q.relevant.size() && q.relevant[i];
      if (relevant) {
        good.push_back(base + i);
      } else if (options.negative_depth == 0 || i < options.negative_depth) {
        bad.push_back(base + i);
      }
    }
    if (good.empty() || bad.empty()) continue;
    ++fit.questions;
    const double w = 1.0 / static_cast<double>(good.size() * bad.size());
    for (size_t g : good) {
      for (size_t b : bad) pairs.push_back(Pair{g, b, w});
    }
  }
  fit.pairs = pairs.size();
  if (pairs.empty()) return fit;

  // Standardise: each feature to mean 0, deviation 1 (a constant one is dropped).
  std::array<double, F> mean{}, scale{};
  for (const auto& r : rows) {
    for (size_t f = 0; f < F; ++f) mean[f] += r[f];
  }
  for (size_t f = 0; f < F; ++f) mean[f] /= static_cast<double>(rows.size());
  for (const auto& r : rows) {
    for (size_t f = 0; f < F; ++f) scale[f] += (r[f] - mean[f]) * (r[f] - mean[f]);
  }
  for (size_t f = 0; f < F; ++f) {
    double sd = std::sqrt(scale[f] / static_cast<double>(rows.size()));
    scale[f] = sd > 1e-6 ? 1.0 / sd : 0.0;
  }
  std::vector<std::array<double, F>> x(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    for (size_t f = 0; f < F; ++f) x[i][f] = (rows[i][f] - mean[f]) * scale[f];
  }

  // Adam on the mean pairwise loss over questions plus the ridge penalty.
  const double question_weight = 1.0 / static_cast<double>(fit.questions);
  std::array<double, F> w{}, m{}, v{};
  std::vector<double> score(rows.size()), slope(rows.size());
  constexpr double kBeta1 = 0.9, kBeta2 = 0.999, kEpsilon = 1e-8;
  double loss = 0;
  for (size_t step = 1; step <= options.iterations + 1; ++step) {
    for (size_t i = 0; i < rows.size(); ++i) {
      score[i] = std::inner_product(w.begin(), w.end(), x[i].begin(), 0.0);
    }
    std::fill(slope.begin(), slope.end(), 0.0);
    loss = 0;
    for (const Pair& p : pairs) {
      const double margin = score[p.good] - score[p.bad];
      const double weight = p.weight * question_weight;
      loss += weight * LogisticLoss(margin);
      const double g = weight * LogisticSlope(margin);
      slope[p.good] -= g;
      slope[p.bad] += g;
    }
    if (step > options.iterations) break;  // the last pass only measures the loss
    std::array<double, F> grad{};
    for (size_t i = 0; i < rows.size(); ++i) {
      if (slope[i] == 0) continue;
      for (size_t f = 0; f < F; ++f) grad[f] += slope[i] * x[i][f];
    }
    for (size_t f = 0; f < F; ++f) {
      if (scale[f] == 0) continue;
      grad[f] += 2 * options.l2 * w[f];
      m[f] = kBeta1 * m[f] + (1 - kBeta1) * grad[f];
      v[f] = kBeta2 * v[f] + (1 - kBeta2) * grad[f] * grad[f];
      const double m_hat = m[f] / (1 - std::pow(kBeta1, static_cast<double>(step)));
      const double v_hat = v[f] / (1 - std::pow(kBeta2, static_cast<double>(step)));
      w[f] -= options.learning_rate * m_hat / (std::sqrt(v_hat) + kEpsilon);
    }
    for (RerankFeature f : options.non_negative) {
      double& weight = w[static_cast<size_t>(f)];
      weight = std::max(0.0, weight);
    }
  }
  fit.loss = loss;
  // Back to the features' own units (the means only shift every score alike).
  for (size_t f = 0; f < F; ++f) fit.weights.w[f] = static_cast<float>(w[f] * scale[f]);
  return fit;
}

}  // namespace engram

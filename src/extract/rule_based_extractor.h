// RuleBasedExtractor: the default, offline extractor on the write path.
//
// For every turn it splits sentences, resolves first- and second-person
// pronouns to the participants, rewrites relative time expressions as dates
// ("yesterday" -> "on 2023-05-07"), and emits one event unit per sentence
// with content (greetings, fillers and questions are skipped), persona facts,
// entities and relations from the patterns in extract/patterns.h.
// Deterministic: the same input always gives the same output.
//
// Thread safety: stateless; Extract may be called from many threads at once.
#pragma once

#include <string>

#include "engram/extractor.h"

namespace engram {

class RuleBasedExtractor final : public Extractor {
 public:
  // Bumped whenever a rule change alters what is extracted.
  static constexpr const char* kIdentity = "rule-based/2";

  std::string identity() const override { return kIdentity; }

  // InvalidArgument for an empty speaker or text that is not valid UTF-8.
  Result<Extraction> Extract(const ExtractionInput& input) override;
};

}  // namespace engram

// Extractor: derives event units, persona facts, entities and relations from
// a turn.
//
// Thread safety: implementations are safe for concurrent use by many threads.
// The rule-based extractor is local and deterministic; LlmExtractor blocks on
// the network (the store never calls it on the write path: LLM enrichment runs
// from a durable background queue).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engram/status.h"
#include "engram/types.h"

namespace engram {

// What an extractor sees: the turn and enough context to resolve pronouns.
struct ExtractionInput {
  Turn turn;
  // Everyone who has spoken in this tenant so far, this turn's speaker
  // included. "you" in a two-party conversation is the other one.
  std::vector<std::string> participants;
  // The speaker of the previous turn in the session ("" if none).
  std::string previous_speaker;
};

class Extractor {
 public:
  virtual ~Extractor() = default;
  // Names the extractor and its version; recorded with what it derived.
  virtual std::string identity() const = 0;
  virtual Result<Extraction> Extract(const ExtractionInput& input) = 0;
};

// Offline, deterministic: sentence splitting, names, speaker-aware pronoun
// resolution, relation and preference patterns, time expressions.
std::unique_ptr<Extractor> NewRuleBasedExtractor();

struct LlmExtractorOptions {
  // OpenAI-compatible chat-completions base, e.g. "http://127.0.0.1:8080/v1".
  // Empty: $ENGRAM_LLM_URL.
  std::string url;
  std::string model;    // empty: $ENGRAM_LLM_MODEL
  std::string api_key;  // empty: $ENGRAM_LLM_API_KEY
  int timeout_ms = 60000;  // per request. Default 60 s.
  int max_retries = 3;     // on 429 and 5xx.
  int initial_backoff_ms = 500;  // wait before the first retry; doubles each retry. Default 500 ms.
};

// Asks the model for JSON and validates the reply against a schema; a
// malformed reply is an InvalidArgument naming what was wrong.
Result<std::unique_ptr<Extractor>> NewLlmExtractor(const LlmExtractorOptions& options = {});

}  // namespace engram

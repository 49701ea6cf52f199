// LlmExtractor internals: the prompt sent to an OpenAI-compatible
// /v1/chat/completions endpoint and the strict reader of its reply.
// NewLlmExtractor (include/engram/extractor.h) puts them together over
// HttpJsonClient; they are exposed here so that a reply obtained some other
// way (a batch job, a durable enrichment queue replaying a stored reply) is
// validated exactly the same way, and so tests can check them directly.
//
// The reply is one JSON object:
//   {"units":     [{"text", "subject", "date": "YYYY-MM-DD"|null, "end_date": ...|null}],
//    "facts":     [{"subject", "attribute", "value", "negated": bool, "confidence": 0..1}],
//    "entities":  [{"name", "type", "aliases": [string]}],
//    "relations": [{"subject", "relation", "object"}]}
// All four keys are required (empty lists allowed). Within an item, the
// string fields are required and non-empty; "date"/"end_date", "negated"
// (default false), "confidence" (default 1) and "aliases" (default []) may be
// left out but are type-checked when present. Keys not in the schema are
// ignored (models like to add "reason"). attribute must be one of
// LlmFactAttributes(); type one of person, place, organisation
// ("organization" accepted), thing, event, other; relation any snake_case
// name.
//
// Thread safety: pure functions over immutable tables; safe from any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "engram/extractor.h"
#include "engram/status.h"
#include "engram/types.h"

namespace engram {

// Changes whenever the prompt or the schema changes; part of identity().
inline constexpr char kLlmExtractorPromptVersion[] = "prompt-1";

// The persona attributes the model may use, e.g. "likes", "occupation".
const std::vector<std::string>& LlmFactAttributes();

// The system message: the schema and the rules (pronouns, dates, attributes).
const std::string& LlmExtractionSystemPrompt();

// The whole /v1/chat/completions request body for one turn: system and user
// messages, response_format json_object, temperature 0.
nlohmann::json BuildLlmExtractionRequest(const ExtractionInput& input, const std::string& model);

// Reads the assistant's message `content` (```json fences and a leading
// <think>...</think> block are stripped) and validates it against the schema.
// Times and source ids are filled from input.turn. A malformed reply is an
// InvalidArgument naming the field: "reply field facts[2].value: expected
// string".
Result<Extraction> ParseLlmExtraction(std::string_view content, const ExtractionInput& input);

// Reads a whole chat-completions reply (choices[0].message.content) and then
// calls ParseLlmExtraction.
Result<Extraction> ParseChatCompletionReply(const nlohmann::json& reply, const ExtractionInput& input);

}  // namespace engram

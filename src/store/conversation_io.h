// Readers and writers of conversation files: engram's JSONL format (one turn
// per line, DESIGN.md) and LoCoMo's JSON.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <istream>
#include <string>
#include <string_view>
#include <vector>

#include "engram/status.h"
#include "engram/types.h"

namespace engram {

// One JSONL line: {"tenant", "speaker", "text"} required; "session",
// "time" (ISO 8601), "id", "metadata" (an object of strings) and "role"
// (stored as metadata "role") optional.
struct TenantTurn {
  std::string tenant;
  Turn turn;
  std::vector<std::string> unknown_fields;  // fields of the line engram does not know (ignored)
};

// Parses one JSONL line. Errors name the field ("field 'time': ...").
Result<TenantTurn> ParseTurnLine(std::string_view line);

// Serialises a turn as one JSONL line (no trailing newline). Absent optional
// fields (empty session, time 0) are left out, so the line parses back to the
// same turn.
std::string FormatTurnLine(std::string_view tenant, const Turn& turn);

// Streams a JSONL file: calls fn(line_number, turn) for each non-blank line in
// order (line numbers are 1-based); fn returns a Status, and a non-OK one
// stops the read. A malformed line stops it with InvalidArgument
// "FILE:LINE: ...". An unknown field is ignored with a warning naming it and
// the first line it is on (once per field name), given to `warn` (empty: the
// library's log).
Status ReadTurnsJsonl(const std::string& path, const std::function<Status(size_t, TenantTurn&&)>& fn,
                      const std::function<void(const std::string&)>& warn = {});
// The same over an open stream (e.g. standard input); `path` names it in
// messages.
Status ReadTurnsJsonl(std::istream& in, const std::string& path,
                      const std::function<Status(size_t, TenantTurn&&)>& fn,
                      const std::function<void(const std::string&)>& warn = {});

// A LoCoMo conversation: its turns (a tenant named by sample_id, dia_id as
// source id, session date strings as times) and its questions.
struct LocomoQuestion {
  std::string question;
  int category = 0;
  std::vector<std::string> evidence;  // normalised dia ids that exist in the conversation
  size_t raw_evidence = 0;            // evidence strings before normalisation
};

struct LocomoConversation {
  std::string sample_id;
  std::string speaker_a, speaker_b;
  std::vector<Turn> turns;  // in conversation order
  std::vector<LocomoQuestion> questions;
};

// Reads LoCoMo's JSON (a list of samples). A turn with an image keeps its
// text and gets " [shares a photo of <blip_caption>]" appended, so the image
// content is searchable.
Result<std::vector<LocomoConversation>> ReadLocomo(const std::string& path);
// The same over an open stream; `path` names it in messages.
Result<std::vector<LocomoConversation>> ReadLocomo(std::istream& in, const std::string& path);

// The same from LoCoMo JSON text in memory; `name` (a file name) starts the
// error messages.
Result<std::vector<LocomoConversation>> ParseLocomo(std::string_view json_text, std::string_view name);

// LoCoMo evidence ids as written ("D8:6; D9:17", "D:11:26", "D30:05") split
// and normalised to "D<s>:<t>" form (decimal numbers without leading zeros,
// of any length).
std::vector<std::string> NormaliseLocomoEvidence(std::string_view raw);

}  // namespace engram

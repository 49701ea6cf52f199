// Sentence splitting for chat turns: ends at '.', '!', '?' (and runs of them,
// closing quotes and brackets) followed by a space, and at line breaks. It
// does not end after common abbreviations ("Dr.", "Mr.", "e.g.", "St.") or a
// single capital initial ("J. Smith"), nor inside a number ("3.5").
//
// Thread safety: pure function; safe from any thread.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

namespace engram {

struct SentenceSpan {
  size_t begin = 0;  // byte span in the text, trimmed of surrounding spaces
  size_t end = 0;
};

std::vector<SentenceSpan> SplitSentences(std::string_view text);

}  // namespace engram

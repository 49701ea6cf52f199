// Word tokens of a sentence for the rule-based extractor: words keep their
// byte span, original spelling, lower-cased form and whether they start with
// an upper-case letter (any script: "José", "Zoë", "Øresund").
//
// Thread safety: pure functions; safe from any thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace engram {

struct Word {
  size_t begin = 0;   // byte span in the tokenised text
  size_t end = 0;
  std::string text;   // as written; ’ normalised to '
  std::string lower;  // ASCII-lower-cased text (non-ASCII letters as written, then ICU-lowered)
  bool capitalised = false;  // first code point is upper-case (ICU)
  bool acronym = false;      // two or more letters, all upper-case ("LGBTQ")
  bool punct = false;        // a punctuation mark or symbol, not a word
  bool number = false;       // digits only
};

// Words are runs of letters, digits and combining marks, with inner
// apostrophes ("don't", "Anna's") and inner hyphens ("gluten-free"). Every
// other non-space code point is a one-character punct token.
std::vector<Word> TokenizeWords(std::string_view text);

// `word` without a trailing possessive "'s" ("Anna's" -> "Anna").
std::string_view StripPossessive(std::string_view word);

}  // namespace engram

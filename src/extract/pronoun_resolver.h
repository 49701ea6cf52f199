// Speaker-aware pronoun resolution for one sentence of a turn: first person
// becomes the speaker ("I" -> "Caroline", "my sister" -> "Caroline's
// sister", "I'm" -> "Caroline is"), second person becomes the addressee when
// it is known ("you" -> "Melanie", "your" -> "Melanie's"), and "we"/"us"/"our"
// become "<speaker> and others"/"<speaker>'s" (deliberately conservative:
// "we" may be a family, a team or the two speakers). Verbs right after a
// replaced "I" or subject "you" are put in the third person ("I am" -> "is",
// "I haven't" -> "hasn't", "I start" -> "starts"); modals and past forms
// stay; "my sister and I go" keeps its plural verb.
//
// Third-person pronouns (he, she, they) are left alone: resolving them needs
// more context than one turn gives.
//
// Thread safety: pure function; safe from any thread.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "extract/text_words.h"

namespace engram {

// Replace text[begin, end) with `text`.
struct TextEdit {
  size_t begin = 0;
  size_t end = 0;
  std::string text;
};

struct Speakers {
  std::string speaker;    // who says the sentence; required
  std::string addressee;  // who "you" is; "" when unknown (then left as is)
};

// Edits (non-overlapping, in order) that resolve the pronouns of `words`.
// *disagrees (when given) is set when a replaced subject is followed by a
// word no verb form agrees with ("I 2nd"): the rewrite would not read as said.
std::vector<TextEdit> ResolvePronouns(const std::vector<Word>& words, const Speakers& who,
                                      bool* disagrees = nullptr);

// `text` with `edits` applied (edits sorted by begin; overlapping ones after
// the first are dropped).
std::string ApplyEdits(std::string_view text, std::vector<TextEdit> edits);

// The third-person singular of a common base-form verb ("go" -> "goes",
// "have" -> "has", "try" -> "tries"); "" when `verb` is not one of them.
std::string ThirdPersonVerb(std::string_view verb);

}  // namespace engram

// UTF-8 validation and small text helpers shared by every part.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "engram/status.h"

namespace engram {

// OK when `text` is well-formed UTF-8 (no overlongs, no surrogates, nothing
// above U+10FFFF); otherwise InvalidArgument naming `what` and the byte
// offset of the first bad sequence.
Status ValidateUtf8(std::string_view text, std::string_view what = "text");

// Decodes one code point at text[*pos] and advances *pos. Returns U+FFFD and
// advances one byte on a malformed sequence.
char32_t NextCodePoint(std::string_view text, size_t* pos);

// Appends the UTF-8 encoding of `cp`.
void AppendUtf8(char32_t cp, std::string* out);

// Canonical decomposition (Unicode NFD: "é" -> "e" + U+0301); `text` as it
// is when ICU cannot normalise it.
std::string DecomposeNfd(std::string_view text);

// ASCII lower-casing (non-ASCII bytes are left as they are).
std::string AsciiLower(std::string_view text);
// AsciiLower(a) == AsciiLower(b), without building either.
bool AsciiEqualsIgnoreCase(std::string_view a, std::string_view b);

// Rough token count for budgets: about 4 bytes per token for English.
size_t ApproxTokens(std::string_view text);

}  // namespace engram

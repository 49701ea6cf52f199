#include "extract/sentence_splitter.h"

#include <cctype>
#include <string>

#include "common/utf8.h"

namespace engram {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; }

// The word that ends just before position `dot` (letters and inner dots).
// An ordinal's suffix is no word: "on April 1st." ends the sentence.
std::string_view WordBefore(std::string_view text, size_t dot) {
  size_t b = dot;
  while (b > 0 && (std::isalpha(static_cast<unsigned char>(text[b - 1])) || text[b - 1] == '.')) --b;
  if (b > 0 && std::isdigit(static_cast<unsigned char>(text[b - 1]))) return {};
  return text.substr(b, dot - b);
}

bool IsAbbreviation(std::string_view word) {
  static const char* kAbbrev[] = {"dr",   "mr",  "mrs", "ms",  "prof", "st",   "jr",  "sr",  "vs",
                                  "etc",  "e.g", "i.e", "no",  "mt",   "ave",  "inc", "co",  "ltd",
                                  "dept", "approx", "fig", "gen", "sgt", "capt", "lt", "col", "rev"};
  if (word.size() == 1 && std::isupper(static_cast<unsigned char>(word[0]))) return true;  // an initial
  std::string lower = AsciiLower(word);
  for (const char* a : kAbbrev) {
    if (lower == a) return true;
  }
  return false;
}

void Push(std::string_view text, size_t b, size_t e, std::vector<SentenceSpan>* out) {
  while (b < e && IsSpace(text[b])) ++b;
  while (e > b && IsSpace(text[e - 1])) --e;
  if (e > b) out->push_back({b, e});
}

}  // namespace

std::vector<SentenceSpan> SplitSentences(std::string_view text) {
  std::vector<SentenceSpan> out;
  size_t start = 0;
  size_t i = 0;
  const size_t n = text.size();
  while (i < n) {
    char c = text[i];
    if (c == '\n') {
      Push(text, start, i, &out);
      start = ++i;
      continue;
    }
    if (c == '.' || c == '!' || c == '?' ) {
      size_t j = i;
      while (j < n && (text[j] == '.' || text[j] == '!' || text[j] == '?')) ++j;
      // Closing quotes and brackets belong to the sentence they end.
      while (j < n && (text[j] == '"' || text[j] == '\'' || text[j] == ')' )) ++j;
      if (j + 2 < n && static_cast<unsigned char>(text[j]) == 0xE2 && text[j + 1] == '\x80' &&
          (text[j + 2] == '\x9D' || text[j + 2] == '\x99')) {
        j += 3;  // ” or ’
      }
      bool boundary = j >= n || IsSpace(text[j]);
      if (boundary && c == '.' && j == i + 1 && IsAbbreviation(WordBefore(text, i))) boundary = false;
      if (boundary) {
        Push(text, start, j, &out);
        start = j;
      }
      i = j;
      continue;
    }
    ++i;
  }
  Push(text, start, n, &out);
  return out;
}

}  // namespace engram

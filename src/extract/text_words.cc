#include "extract/text_words.h"

#include <unicode/uchar.h>

#include "common/utf8.h"

namespace engram {
namespace {

bool IsWordCodePoint(char32_t cp) {
  if (cp < 0x80) return std::isalnum(static_cast<int>(cp)) != 0;
  if (cp == 0xFFFD) return false;
  const int8_t type = u_charType(static_cast<UChar32>(cp));
  return u_isalnum(static_cast<UChar32>(cp)) || type == U_NON_SPACING_MARK || type == U_COMBINING_SPACING_MARK;
}

bool IsApostrophe(char32_t cp) { return cp == '\'' || cp == 0x2019; }

}  // namespace

std::vector<Word> TokenizeWords(std::string_view text) {
  std::vector<Word> words;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t start = pos;
    char32_t cp = NextCodePoint(text, &pos);
    if (cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || cp == 0xA0) continue;
    Word w;
    w.begin = start;
    if (!IsWordCodePoint(cp)) {
      w.end = pos;
      w.text = std::string(text.substr(start, pos - start));
      w.lower = w.text;
      w.punct = true;
      words.push_back(std::move(w));
      continue;
    }
    w.capitalised = u_isupper(static_cast<UChar32>(cp)) || u_istitle(static_cast<UChar32>(cp));
    bool all_upper = true, all_digits = true;
    int letters = 0;
    auto add = [&](char32_t c) {
      AppendUtf8(c, &w.text);
      AppendUtf8(static_cast<char32_t>(u_tolower(static_cast<UChar32>(c))), &w.lower);
      if (u_isalpha(static_cast<UChar32>(c))) {
        ++letters;
        if (!u_isupper(static_cast<UChar32>(c))) all_upper = false;
      }
      if (c > 0x7F || !std::isdigit(static_cast<int>(c))) all_digits = false;
    };
    add(cp);
    size_t end = pos;
    while (pos < text.size()) {
      size_t here = pos;
      char32_t c = NextCodePoint(text, &pos);
      if (IsWordCodePoint(c)) {
        add(c);
        end = pos;
        continue;
      }
      if (IsApostrophe(c) || c == '-') {
        size_t look = pos;
        if (look < text.size() && IsWordCodePoint(NextCodePoint(text, &look))) {
          add(IsApostrophe(c) ? U'\'' : c);
          continue;
        }
      }
      pos = here;
      break;
    }
    w.end = end;
    pos = end;
    w.number = all_digits;
    w.acronym = letters >= 2 && all_upper;
    words.push_back(std::move(w));
  }
  return words;
}

std::string_view StripPossessive(std::string_view word) {
  if (word.size() > 2 && word.substr(word.size() - 2) == "'s") return word.substr(0, word.size() - 2);
  return word;
}

}  // namespace engram

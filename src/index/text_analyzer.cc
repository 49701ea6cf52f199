#include "index/text_analyzer.h"

#include <libstemmer.h>
#include <spdlog/spdlog.h>
#include <unicode/brkiter.h>
#include <unicode/bytestream.h>
#include <unicode/locid.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/ubrk.h>
#include <unicode/uscript.h>
#include <unicode/utext.h>

#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "common/utf8.h"

namespace engram {
namespace {

// Bump when a change to the pipeline changes the terms produced for some text:
// serialised indexes built by an older analyzer are then rejected and rebuilt.
constexpr int kAnalyzerVersion = 1;

// Terms longer than this (base64 blobs, URLs glued together) are dropped:
// nobody types them in a query, and they would bloat the dictionary.
constexpr size_t kMaxTermBytes = 64;

// Snowball's English stop list (snowballstem.org/algorithms/english/stop.txt)
// after engram's own apostrophe handling, which turns "isn't" into "isn" and
// "i'm" into "i": the forms with the clitic cut off are listed instead.
// "can" and "won" (from "can't", "won't") are deliberately absent: both are
// also content words ("a can of paint", "she won the race").
const std::unordered_set<std::string_view>& EnglishStopWords() {
  static const auto* const kWords = new std::unordered_set<std::string_view>{
      "i", "me", "my", "myself", "we", "our", "ours", "ourselves", "you",
      "your", "yours", "yourself", "yourselves", "he", "him", "his", "himself",
      "she", "her", "hers", "herself", "it", "its", "itself", "they", "them",
      "their", "theirs", "themselves", "what", "which", "who", "whom", "this",
      "that", "these", "those", "am", "is", "are", "was", "were", "be", "been",
      "being", "have", "has", "had", "having", "do", "does", "did", "doing",
      "would", "should", "could", "ought", "isn", "aren", "wasn", "weren",
      "hasn", "haven", "hadn", "doesn", "don", "didn", "wouldn", "shan",
      "shouldn", "couldn", "mustn", "a", "an", "the", "and", "but", "if", "or",
      "because", "as", "until", "while", "of", "at", "by", "for", "with",
      "about", "against", "between", "into", "through", "during", "before",
      "after", "above", "below", "to", "from", "up", "down", "in", "out", "on",
      "off", "over", "under", "again", "further", "then", "once", "here",
      "there", "when", "where", "why", "how", "all", "any", "both", "each",
      "few", "more", "most", "other", "some", "such", "no", "nor", "not",
      "only", "own", "same", "so", "than", "too", "very"};
  return *kWords;
}

// English clitics cut off after an apostrophe: "caroline's" -> "caroline",
// "didn't" -> "didn", "we'll" -> "we".
bool IsEnglishClitic(std::u32string_view suffix) {
  return suffix == U"s" || suffix == U"t" || suffix == U"d" || suffix == U"m" ||
         suffix == U"ll" || suffix == U"re" || suffix == U"ve";
}

bool IsEnglishClitic(std::string_view suffix) {
  return suffix == "s" || suffix == "t" || suffix == "d" || suffix == "m" || suffix == "ll" || suffix == "re" ||
         suffix == "ve";
}

bool IsApostrophe(char32_t cp) {
  return cp == U'\'' || cp == U'\u2019' || cp == U'\u02BC' || cp == U'\u2018';
}

bool IsWordChar(char32_t cp) {
  if (cp < 0x80) return (cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9') ||
                        (cp >= 'A' && cp <= 'Z');
  if (u_isalnum(static_cast<UChar32>(cp))) return true;
  const int8_t type = u_charType(static_cast<UChar32>(cp));
  return type == U_NON_SPACING_MARK || type == U_COMBINING_SPACING_MARK ||
         type == U_ENCLOSING_MARK;
}

bool IsDigit(char32_t cp) {
  return cp < 0x80 ? (cp >= '0' && cp <= '9') : u_isdigit(static_cast<UChar32>(cp));
}

bool IsAscii(std::string_view s) {
  for (unsigned char c : s) {
    if (c >= 0x80) return false;
  }
  return true;
}

// NFKC case folding of `text`; ASCII text only needs lower-casing.
std::string FoldCase(std::string_view text) {
  if (IsAscii(text)) return AsciiLower(text);
  std::string clean;
  if (!ValidateUtf8(text).ok()) {
    // ICU's UTF-8 entry points handle ill-formed input, but not identically
    // across versions; replacing bad bytes by U+FFFD first keeps it defined.
    size_t pos = 0;
    while (pos < text.size()) AppendUtf8(NextCodePoint(text, &pos), &clean);
    text = clean;
  }
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfkc_cf = icu::Normalizer2::getNFKCCasefoldInstance(status);
  if (U_FAILURE(status)) return AsciiLower(text);
  std::string folded;
  folded.reserve(text.size());
  icu::StringByteSink<std::string> sink(&folded);
  nfkc_cf->normalizeUTF8(0, icu::StringPiece(text.data(), static_cast<int32_t>(text.size())),
                         sink, nullptr, status);
  if (U_FAILURE(status)) return AsciiLower(text);
  return folded;
}

// Decomposes `segment` (NFD) and removes combining marks that follow a Latin
// letter; marks on other scripts carry meaning and stay.
std::u32string StripLatinAccents(std::string_view segment) {
  std::u32string out;
  const std::string decomposed = DecomposeNfd(segment);
  bool after_latin = false;
  size_t pos = 0;
  while (pos < decomposed.size()) {
    const char32_t cp = NextCodePoint(decomposed, &pos);
    if (u_charType(static_cast<UChar32>(cp)) == U_NON_SPACING_MARK) {
      if (!after_latin) out.push_back(cp);
      continue;
    }
    UErrorCode script_status = U_ZERO_ERROR;
    after_latin = uscript_getScript(static_cast<UChar32>(cp), &script_status) == USCRIPT_LATIN;
    out.push_back(cp);
  }
  return out;
}

std::u32string DecodeAscii(std::string_view segment) {
  return std::u32string(segment.begin(), segment.end());
}

// Re-composes (NFC) a token that went through NFD.
std::string EncodeToken(std::u32string_view token, bool recompose) {
  std::string utf8;
  utf8.reserve(token.size());
  for (char32_t cp : token) AppendUtf8(cp, &utf8);
  if (!recompose) return utf8;
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(status);
  if (U_FAILURE(status)) return utf8;
  std::string composed;
  icu::StringByteSink<std::string> sink(&composed);
  nfc->normalizeUTF8(0, icu::StringPiece(utf8.data(), static_cast<int32_t>(utf8.size())), sink,
                     nullptr, status);
  return U_SUCCESS(status) ? composed : utf8;
}

// One word BreakIterator per thread: creating one costs tens of microseconds,
// and an instance cannot be shared between threads.
icu::BreakIterator* ThreadWordIterator() {
  thread_local std::unique_ptr<icu::BreakIterator> iterator = [] {
    UErrorCode status = U_ZERO_ERROR;
    std::unique_ptr<icu::BreakIterator> it(
        icu::BreakIterator::createWordInstance(icu::Locale::getRoot(), status));
    if (U_FAILURE(status)) it.reset();
    return it;
  }();
  return iterator.get();
}

struct StemmerDeleter {
  void operator()(sb_stemmer* s) const { sb_stemmer_delete(s); }
};
using StemmerPtr = std::unique_ptr<sb_stemmer, StemmerDeleter>;

// One Snowball stemmer per thread and language (sb_stemmer keeps its working
// buffer inside the object, so it is not thread-safe).
sb_stemmer* ThreadStemmer(const std::string& language) {
  thread_local std::unordered_map<std::string, StemmerPtr> stemmers;
  auto it = stemmers.find(language);
  if (it == stemmers.end()) {
    it = stemmers.emplace(language, StemmerPtr(sb_stemmer_new(language.c_str(), "UTF_8"))).first;
  }
  return it->second.get();
}

bool AllDigits(std::string_view term) {
  for (unsigned char c : term) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace

TextAnalyzer::TextAnalyzer(AnalyzerOptions options) : options_(std::move(options)) {
  use_stop_words_ = options_.remove_stop_words && options_.language == "english";
  if (options_.stem) {
    StemmerPtr probe(sb_stemmer_new(options_.language.c_str(), "UTF_8"));
    use_stemmer_ = probe != nullptr;
    if (!use_stemmer_) {
      spdlog::warn("TextAnalyzer: no Snowball stemmer for language '{}'; stemming disabled",
                   options_.language);
    }
  }
}

std::string TextAnalyzer::Fingerprint() const {
  return "analyzer-v" + std::to_string(kAnalyzerVersion) + ";stem=" + (use_stemmer_ ? "1" : "0") +
         ";stop=" + (use_stop_words_ ? "1" : "0") + ";lang=" + options_.language;
}

std::vector<std::string> TextAnalyzer::Terms(std::string_view text) const {
  if (!IsAscii(text)) return SegmentedTerms(text);
  std::vector<std::string> terms;
  AsciiTerms(AsciiLower(text), &terms);
  return terms;
}

void TextAnalyzer::AsciiTerms(std::string_view folded, std::vector<std::string>* out) const {
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  auto letter = [](char c) { return c >= 'a' && c <= 'z'; };
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  const size_t n = folded.size();
  std::string token;
  auto flush = [&] {
    if (!token.empty()) EmitTerm(std::move(token), out);
    token.clear();
  };
  for (size_t i = 0; i < n; ++i) {
    const char c = folded[i];
    if (alnum(c)) {
      token.push_back(c);
      continue;
    }
    const bool after = i > 0, before = i + 1 < n;
    if (c == '\'') {
      // UAX #29 joins an apostrophe into a word only between two letters
      // (or two digits, where it splits anyway): only there can what
      // follows be a clitic of the word before ("3's" is "3" and "s").
      size_t j = i + 1;
      while (j < n && alnum(folded[j])) ++j;
      const std::string_view suffix = folded.substr(i + 1, j - i - 1);
      if (!token.empty() && letter(folded[i - 1]) && before && letter(folded[i + 1]) && IsEnglishClitic(suffix)) {
        flush();
        i = j - 1;  // skip the clitic
        continue;
      }
      flush();
      continue;
    }
    const bool between_digits = after && before && digit(folded[i - 1]) && digit(folded[i + 1]);
    if (between_digits && c == '.') {
      token.push_back(c);  // "3.5" is one number
      continue;
    }
    if (between_digits && c == ',') continue;  // "1,000" -> "1000"
    flush();
  }
  flush();
}

std::vector<std::string> TextAnalyzer::SegmentedTerms(std::string_view text) const {
  std::vector<std::string> terms;
  if (text.empty()) return terms;
  const std::string folded = FoldCase(text);

  icu::BreakIterator* words = ThreadWordIterator();
  if (words == nullptr) {  // ICU data missing: treat the whole text as one segment
    EmitSegment(folded, &terms);
    return terms;
  }
  UErrorCode status = U_ZERO_ERROR;
  UText utext = UTEXT_INITIALIZER;
  utext_openUTF8(&utext, folded.data(), static_cast<int64_t>(folded.size()), &status);
  words->setText(&utext, status);
  if (U_FAILURE(status)) {
    utext_close(&utext);
    EmitSegment(folded, &terms);
    return terms;
  }
  int32_t start = words->first();
  for (int32_t end = words->next(); end != icu::BreakIterator::DONE; start = end, end = words->next()) {
    // Rule status tells words (letters, numbers, kana, ideographs) from
    // spaces, punctuation and emoji, which all have UBRK_WORD_NONE.
    if (words->getRuleStatus() < UBRK_WORD_NONE_LIMIT) continue;
    EmitSegment(std::string_view(folded).substr(start, end - start), &terms);
  }
  // The iterator keeps a shallow clone of `utext`; point it at nothing before
  // `folded` goes away.
  words->setText(icu::UnicodeString());
  utext_close(&utext);
  return terms;
}

void TextAnalyzer::EmitSegment(std::string_view segment, std::vector<std::string>* out) const {
  const bool ascii = IsAscii(segment);
  const std::u32string cps = ascii ? DecodeAscii(segment) : StripLatinAccents(segment);
  std::u32string token;
  auto flush = [&] {
    if (!token.empty()) EmitTerm(EncodeToken(token, !ascii), out);
    token.clear();
  };
  for (size_t i = 0; i < cps.size(); ++i) {
    const char32_t cp = cps[i];
    if (IsWordChar(cp)) {
      token.push_back(cp);
      continue;
    }
    if (IsApostrophe(cp)) {
      size_t j = i + 1;
      while (j < cps.size() && IsWordChar(cps[j])) ++j;
      const std::u32string_view suffix(cps.data() + i + 1, j - i - 1);
      if (!token.empty() && IsEnglishClitic(suffix)) {
        flush();
        i = j - 1;  // skip the clitic
        continue;
      }
      flush();
      continue;
    }
    const bool between_digits = i > 0 && i + 1 < cps.size() && IsDigit(cps[i - 1]) && IsDigit(cps[i + 1]);
    if (between_digits && cp == U'.') {
      token.push_back(cp);  // "3.5" is one number
      continue;
    }
    if (between_digits && cp == U',') continue;  // "1,000" -> "1000"
    flush();
  }
  flush();
}

void TextAnalyzer::EmitTerm(std::string term, std::vector<std::string>* out) const {
  if (term.size() > kMaxTermBytes) return;
  if (use_stop_words_ && EnglishStopWords().count(term) > 0) return;
  if (use_stemmer_ && !AllDigits(term)) {
    sb_stemmer* stemmer = ThreadStemmer(options_.language);
    if (stemmer != nullptr) {
      const sb_symbol* stemmed = sb_stemmer_stem(
          stemmer, reinterpret_cast<const sb_symbol*>(term.data()), static_cast<int>(term.size()));
      if (stemmed != nullptr) {
        term.assign(reinterpret_cast<const char*>(stemmed),
                    static_cast<size_t>(sb_stemmer_length(stemmer)));
      }
    }
  }
  if (!term.empty()) out->push_back(std::move(term));
}

}  // namespace engram

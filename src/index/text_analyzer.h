// TextAnalyzer: turns text into the terms the lexical (BM25) index stores and
// queries.
//
// Pipeline, in order:
//   1. NFKC case folding (ICU), so "Ｃａｆé", "CAFÉ" and "café" agree;
//   2. word segmentation with ICU's word BreakIterator (UAX #29 plus
//      dictionaries for Thai, Lao, Khmer, Burmese, Chinese and Japanese);
//      punctuation, symbols and emoji are dropped, letters and numbers kept;
//   3. combining accents on Latin letters removed ("café" -> "cafe"), so a
//      query typed without accents still matches; other scripts keep their
//      marks (Devanagari vowel signs are marks too);
//   4. apostrophes: an English clitic is dropped ("caroline's" -> "caroline",
//      "we'll" -> "we"), any other apostrophe splits ("o'neil" -> "o", "neil");
//      dots and colons inside a token split it too, except between digits
//      ("3.5" stays one term; "d1:3" -> "d1", "3");
//   5. English stop words removed (Snowball's list), optional;
//   6. Snowball stemming through libstemmer ("running" -> "run"), optional.
//
// ASCII text (most chat) skips ICU: in ASCII, UAX #29 never breaks a run of
// letters and digits, and it joins a run across punctuation only where the
// steps above split or keep it anyway (an apostrophe between letters or
// digits, a dot or comma between digits), so one scan gives the same terms
// (SegmentedTerms() is the ICU path, for tests that compare the two).
//
// Thread safety: a TextAnalyzer is immutable after construction; Terms() may
// be called from many threads at once. Each thread lazily gets its own ICU
// break iterator and Snowball stemmer (neither is thread-safe).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace engram {

struct AnalyzerOptions {
  // Reduce words to their Snowball stem ("running" -> "run"). Default true.
  bool stem = true;
  // Drop English function words ("the", "did", "to"). Default true.
  bool remove_stop_words = true;
  // Snowball algorithm name for the stemmer ("english", "german", ...). The
  // stop list is English only and is applied only when this is "english".
  // An unknown name disables stemming (a warning is logged). Default "english".
  std::string language = "english";
};

class TextAnalyzer {
 public:
  explicit TextAnalyzer(AnalyzerOptions options = {});

  // The analysed terms of `text`, in text order, duplicates kept. Invalid
  // UTF-8 is tolerated (bad bytes act as separators); never fails.
  std::vector<std::string> Terms(std::string_view text) const;

  // Terms() through ICU's word segmentation whatever the text: the same
  // terms, more slowly for ASCII text.
  std::vector<std::string> SegmentedTerms(std::string_view text) const;

  const AnalyzerOptions& options() const { return options_; }

  // A short string that identifies everything that changes Terms()' output
  // (options plus the analyzer's own version), stored with a serialised
  // index so that a mismatch is detected instead of silently mis-matching.
  std::string Fingerprint() const;

 private:
  // Terms of case-folded ASCII text, in one scan (steps 2 and 4 at once).
  void AsciiTerms(std::string_view folded, std::vector<std::string>* out) const;
  // Appends the terms of one word segment (already case-folded) to `out`.
  void EmitSegment(std::string_view segment, std::vector<std::string>* out) const;
  // Stop-word test, stemming, and the final push.
  void EmitTerm(std::string term, std::vector<std::string>* out) const;

  AnalyzerOptions options_;
  bool use_stop_words_ = false;  // remove_stop_words && language == "english"
  bool use_stemmer_ = false;     // stem && libstemmer knows `language`
};

}  // namespace engram

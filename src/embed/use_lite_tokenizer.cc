#include "embed/use_lite_tokenizer.h"

#include <unicode/normalizer2.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

namespace engram {
namespace {

constexpr char32_t kSpace = U' ';
constexpr char32_t kWordStart = U'\u2581';  // "▁"
// Ids 0..5 are "<unk>", "<s>", "</s>" and three extra tokens; the reference
// never matches them against text.
constexpr int32_t kReservedIds = 6;
constexpr int32_t kUnknownId = 0;

// NFKC of `text` as code points, with the reference's space handling.
std::u32string NormalizeToSymbols(std::string_view text) {
  UErrorCode err = U_ZERO_ERROR;
  const icu::Normalizer2* nfkc = icu::Normalizer2::getNFKCInstance(err);
  icu::UnicodeString source = icu::UnicodeString::fromUTF8(
      icu::StringPiece(text.data(), static_cast<int32_t>(text.size())));
  icu::UnicodeString normalized;
  if (U_SUCCESS(err)) normalized = nfkc->normalize(source, err);
  if (U_FAILURE(err)) normalized = source;  // ICU data missing: tokenize as is
  std::u32string symbols;
  if (normalized.isEmpty()) return symbols;
  symbols.reserve(normalized.length() + 1);
  symbols.push_back(kWordStart);
  for (int32_t i = 0; i < normalized.length(); i = normalized.moveIndex32(i, 1)) {
    char32_t cp = static_cast<char32_t>(normalized.char32At(i));
    symbols.push_back(cp == kSpace ? kWordStart : cp);
  }
  return symbols;
}

}  // namespace

Result<std::unique_ptr<UseLiteTokenizer>> UseLiteTokenizer::Load(const std::string& vocab_path) {
  std::ifstream in(vocab_path, std::ios::binary);
  if (!in) return Status::NotFound("cannot open " + vocab_path);
  std::ostringstream contents;
  contents << in.rdbuf();
  if (!in.good() && !in.eof()) return Status::IOError("cannot read " + vocab_path);
  return FromJson(contents.str(), vocab_path);
}

Result<std::unique_ptr<UseLiteTokenizer>> UseLiteTokenizer::FromJson(std::string_view json,
                                                                     std::string_view source) {
  nlohmann::json vocab = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  auto bad = [&](const std::string& why) {
    return Status::Corruption(std::string(source) + ": " + why);
  };
  if (!vocab.is_array() || vocab.size() <= kReservedIds) {
    return bad("expected a JSON array of [piece, score] pairs");
  }
  std::unique_ptr<UseLiteTokenizer> tok(new UseLiteTokenizer());
  tok->nodes_.emplace_back();  // root
  tok->piece_lengths_.reserve(vocab.size());
  tok->space_id_ = -1;
  for (size_t id = 0; id < vocab.size(); ++id) {
    const nlohmann::json& entry = vocab[id];
    if (!entry.is_array() || entry.size() != 2 || !entry[0].is_string() ||
        !(entry[1].is_number() || entry[1].is_null())) {
      return bad("entry " + std::to_string(id) + " is not [piece, score]");
    }
    std::u32string piece;
    const std::string& utf8 = entry[0].get_ref<const std::string&>();
    icu::UnicodeString u = icu::UnicodeString::fromUTF8(utf8);
    for (int32_t i = 0; i < u.length(); i = u.moveIndex32(i, 1)) {
      piece.push_back(static_cast<char32_t>(u.char32At(i)));
    }
    if (piece.empty()) return bad("entry " + std::to_string(id) + " is an empty piece");
    tok->piece_lengths_.push_back(static_cast<int32_t>(piece.size()));
    if (static_cast<int32_t>(id) < kReservedIds) continue;
    if (piece.find(kWordStart, 1) != std::u32string::npos) tok->words_are_independent_ = false;
    if (piece == std::u32string(1, kWordStart)) tok->space_id_ = static_cast<int32_t>(id);

    int32_t node = 0;
    for (char32_t cp : piece) {
      uint64_t key = (static_cast<uint64_t>(node) << 21) | cp;
      auto [it, inserted] = tok->edges_.try_emplace(key, static_cast<int32_t>(tok->nodes_.size()));
      if (inserted) tok->nodes_.emplace_back();
      node = it->second;
    }
    // A duplicated piece keeps the later id, as the reference's trie does.
    tok->nodes_[node].id = static_cast<int32_t>(id);
    tok->nodes_[node].score = entry[1].is_null() ? 0.0 : entry[1].get<double>();
  }
  if (tok->space_id_ < 0) return bad("no \"\u2581\" piece");
  return tok;
}

int32_t UseLiteTokenizer::Child(int32_t node, char32_t cp) const {
  auto it = edges_.find((static_cast<uint64_t>(node) << 21) | cp);
  return it == edges_.end() ? -1 : it->second;
}

std::vector<int32_t> UseLiteTokenizer::Encode(std::string_view text, size_t max_tokens) const {
  std::u32string symbols = NormalizeToSymbols(text);
  size_t n = symbols.size();
  // Each word ("▁" and what follows up to the next "▁") yields at least one
  // token of its own, so the first max_tokens words hold the first
  // max_tokens tokens.
  if (words_are_independent_ && max_tokens < n) {
    size_t words = 0;
    for (size_t i = 0; i < n; ++i) {
      if (symbols[i] == kWordStart && ++words > max_tokens) {
        n = i;
        break;
      }
    }
  }

  // Viterbi, relaxing edges in order of their start so that, for each end,
  // candidates arrive in the order the reference visits them.
  std::vector<double> scores(n + 1, 0.0);
  std::vector<int32_t> words(n + 1, kUnknownId);
  auto relax = [&](size_t end, size_t start, int32_t id, double score) {
    double s = score + scores[start];
    if (scores[end] == 0.0 || s >= scores[end]) {
      scores[end] = s;
      words[end] = id;
    }
  };
  for (size_t start = 0; start < n; ++start) {
    bool matched = false;
    int32_t node = 0;
    for (size_t j = start; j < n; ++j) {
      node = Child(node, symbols[j]);
      if (node < 0) break;
      if (nodes_[node].id >= 0) {
        matched = true;
        relax(j + 1, start, nodes_[node].id, nodes_[node].score);
      }
    }
    if (!matched) relax(start + 1, start, kUnknownId, 0.0);
  }

  // Walk back from the end; collapse runs of unknowns.
  std::vector<int32_t> tokens;
  for (size_t cur = n; cur > 0;) {
    int32_t id = words[cur];
    if (!(id == kUnknownId && !tokens.empty() && tokens.back() == kUnknownId)) tokens.push_back(id);
    // An unknown (or unreachable) position covers one character; the
    // reference gets the same from the length of its one-character "<unk>".
    size_t len = id == kUnknownId ? 1 : static_cast<size_t>(piece_lengths_[id]);
    cur = len <= cur ? cur - len : 0;
  }
  std::reverse(tokens.begin(), tokens.end());
  if (tokens.size() > max_tokens) tokens.resize(max_tokens);
  return tokens;
}

}  // namespace engram

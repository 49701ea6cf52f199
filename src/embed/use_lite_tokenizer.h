// The sentence-piece tokenizer of Universal Sentence Encoder Lite, matching
// the TensorFlow.js reference (@energetic-ai/embeddings@0.2.0) id for id.
//
// Encode(): NFKC (ICU) -> every U+0020 becomes U+2581 "▁" and one "▁" is put
// in front (an empty text stays empty) -> unigram Viterbi over vocab.json ->
// characters no piece covers become id 0, consecutive 0s collapse into one.
// The reference's quirks are kept on purpose, because the network was trained
// on (and golden data comes from) exactly this behaviour:
//  - a `null` piece score counts as 0;
//  - a lattice position whose best score is exactly 0 counts as "not reached
//    yet", so any later candidate replaces it;
//  - on equal scores the candidate that starts later (shorter last piece)
//    wins.
//
// Thread safety: immutable after Load(); Encode() may be called from many
// threads at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engram/status.h"

namespace engram {

class UseLiteTokenizer {
 public:
  // Reads vocab.json: a JSON array of [piece, score-or-null], id = position.
  static Result<std::unique_ptr<UseLiteTokenizer>> Load(const std::string& vocab_path);
  // Same, from the file's contents; `source` names it in error messages.
  static Result<std::unique_ptr<UseLiteTokenizer>> FromJson(std::string_view json,
                                                            std::string_view source);

  // Token ids of `text`, which must be valid UTF-8 (not checked here). At most
  // `max_tokens` ids are returned; they are exactly the first ids of the
  // complete encoding (pieces never hold a "▁" after their first character,
  // so text beyond enough words cannot change them and is not segmented).
  std::vector<int32_t> Encode(std::string_view text,
                              size_t max_tokens = std::numeric_limits<size_t>::max()) const;

  // Number of pieces (8,000 for the shipped vocabulary).
  size_t vocab_size() const { return piece_lengths_.size(); }
  // Id of the lone "▁" piece (what an empty text's space would become).
  int32_t space_id() const { return space_id_; }

 private:
  UseLiteTokenizer() = default;

  // The pieces as a trie over code points: edges_ maps
  // (node << 21 | code point) to the child node.
  struct TrieNode {
    int32_t id = -1;     // piece ending here, -1 if none
    double score = 0;    // its unigram log-probability (null -> 0)
  };
  int32_t Child(int32_t node, char32_t cp) const;

  std::vector<TrieNode> nodes_;
  std::unordered_map<uint64_t, int32_t> edges_;
  std::vector<int32_t> piece_lengths_;  // in code points, by id
  int32_t space_id_ = 0;
  // False if some piece holds "▁" after its first character; then Encode()
  // segments the whole text before clipping.
  bool words_are_independent_ = true;
};

}  // namespace engram

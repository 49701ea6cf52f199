// Relation, persona and entity patterns of the rule-based extractor, applied
// to one sentence of a turn.
//
// Persona facts come from first-person statements ("I love hiking", "I'm a
// nurse", "I work at Google", "I live in Denver", "my sister Anna", "my dog
// Max", "I bought a kayak", "I go running every morning") and their
// stopping forms ("I stopped bouldering", "I no longer eat meat", "I quit my
// job"), which yield negated facts. Relations come from the same statements
// (Anna sister_of Caroline, Caroline lives_in Denver, ...) and from
// co-occurring names (mentioned_with). Entities are the speakers, capitalised
// names (any script), places after in/to/from or in a small gazetteer,
// organisations (suffixes such as Inc or University, or after "work at"),
// events attended and things owned.
//
// Values are normalised: lower-case except proper names and acronyms,
// leading articles, possessives and a few filler adjectives ("new", "own")
// dropped. Times and source ids are left for the caller to fill in.
//
// Thread safety: pure function over immutable tables; safe from any thread.
#pragma once

#include <string>
#include <vector>

#include "engram/types.h"
#include "extract/pronoun_resolver.h"
#include "extract/text_words.h"

namespace engram {

struct SentenceFindings {
  std::vector<PersonaFact> facts;
  std::vector<Relation> relations;
  std::vector<Entity> entities;
};

// Adds what the patterns find in `words` (one sentence) to `out`.
// `known_names` are names known to be people (the participants).
void ExtractSentencePatterns(const std::vector<Word>& words, const Speakers& who,
                             const std::vector<std::string>& known_names, SentenceFindings* out);

// The -ing form of a base verb ("run" -> "running", "bake" -> "baking").
std::string Gerund(std::string_view verb);

}  // namespace engram

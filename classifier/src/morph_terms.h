#pragma once
// Terms under `morphology: stems` (docs/RULES.md "Morphology"): each word of a term is matched as
// written (pinned with '=', digits, too short to stem), as a prefix (a trailing '*'), or by stem.
// A stemmed term is compiled into one Hyperscan literal -- the words before its first stemmed
// word and that word's candidate prefix (the code points its stem keeps) -- and a hit of the
// literal is verified here: only candidate words are stemmed. Also the proper-name test of
// `proper_names: skip`.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "normalizer.h"

namespace sakchy::classifier::internal {

struct StemVariant {
  std::uint8_t lang = 0;  // analyser, one kLang* bit
  bool negated = false;
  std::string stem;
  // Scan bytes every word with this stem starts with (the letters the stem keeps from the term's
  // word, one fewer before an alternating consonant): a cheap test before stemming.
  std::string prefix;
};

struct MorphWord {
  enum class Kind : std::uint8_t { kExact, kStem, kPrefix };
  Kind kind = Kind::kExact;
  std::string scan;       // kExact: the word; kPrefix: the prefix; kStem: the candidate prefix
  std::string written;    // the normalised word of the term (UTF-8)
  std::string separator;  // scan bytes between this word and the next; empty for the last
  std::vector<StemVariant> stems;  // kStem
};

struct MorphTerm {
  std::vector<MorphWord> words;
  std::string scan;  // the Hyperscan literal (scan encoding)
  std::string key;   // equal keys match the same texts: a pattern is shared
};

// The stemmed form of `term` as written (without its trailing '*'; `prefix` when it had one),
// with words pinned by a leading '='. `langs`: the term's language bits (kLangAll: by script).
// std::nullopt when no word of it is stemmed: it is then matched as written.
std::optional<MorphTerm> CompileMorphTerm(const Normalizer& normalizer, std::string_view term,
                                          bool prefix, std::uint8_t langs);

// A hit of `term.scan` starting at the word start `from` of `text`: the end of the match (a word
// end, bytes) when every word matches, else 0. Stems of candidate words are cached per thread
// (at most 16,384 words). Thread safety: any thread.
std::size_t VerifyMorphTerm(const MorphTerm& term, const MatchText& text, std::size_t from);

// The end of the word of `text` that starts at or before `pos` (inner apostrophes included).
std::size_t WordEnd(const MatchText& text, std::size_t pos);

// True when the word at [from, word_end) of `text`, hit by a prefix or stem literal ending at
// `literal_end`, looks like a surname or patronymic: capitalised in `original` (an upper-case
// letter then a lower-case one) and either its letters after the literal contain ов/ев/ёв with at
// most 5 letters after them (Мамбетов, Мамбетовой, Мамбеталиев, Мамбетович), or the next word is
// уулу or кызы.
bool LooksLikeSurname(const MatchText& text, std::string_view original, std::size_t from,
                      std::size_t literal_end, std::size_t word_end);

}  // namespace sakchy::classifier::internal

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
#include <unordered_map>
#include <utility>
#include <vector>

#include "normalizer.h"

namespace sakchy::classifier::internal {

// Stem ids: a rule set's stems numbered at load, so that a hit compares numbers, not strings.
inline constexpr std::uint32_t kNoStem = 0xFFFFFFFF;  // a stem that no term of the rule set has

// The stems of a rule set's stemmed terms: (analyser, stem) -> id, assigned at rule load
// (GroupMorphLiterals). The per-thread stem cache of text words holds these ids; it belongs to one
// MorphStems at a time (StartMorphText) and is emptied when a thread moves to another.
class MorphStems {
 public:
  MorphStems();
  // The id of (lang, stem), assigned when new. Rule load only.
  std::uint32_t Intern(std::uint8_t lang, std::string_view stem);
  // The id of (lang, stem), or kNoStem.
  std::uint32_t Find(std::uint8_t lang, std::string_view stem) const;
  std::uint64_t instance() const { return instance_; }
  std::size_t size() const { return ids_.size(); }

 private:
  std::unordered_map<std::string, std::uint32_t> ids_;  // lang byte + stem -> id
  std::uint64_t instance_;
};

struct StemVariant {
  std::uint8_t lang = 0;  // analyser, one kLang* bit
  bool negated = false;
  std::string stem;
  // Scan bytes every word with this stem starts with (the letters the stem keeps from the term's
  // word, one fewer before an alternating consonant): a cheap test before stemming.
  std::string prefix;
  std::uint32_t stem_id = kNoStem;  // MorphStems id of (lang, stem), set by GroupMorphLiterals
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

// Under `morphology: stems` an Uzbek term also matches in the other script (docs/RULES.md
// "Morphology"): the term as written, transliterated (morphology::UzbekOtherScript) and compiled
// with the Uzbek analyser only. std::nullopt when the term is not Uzbek (`langs` without kLangUz;
// without a language, a term is Uzbek only with ў қ ғ ҳ, o' g', or q not followed by u), is not
// in one script, or has no stemmed word in the other script.
std::optional<MorphTerm> CompileUzbekTwin(const Normalizer& normalizer, std::string_view term,
                                          bool prefix, std::uint8_t langs);

// The index of the lead word of `term`: its first stemmed word, whose candidate prefix ends the
// literal.
std::size_t LeadWord(const MorphTerm& term);

// A hit of `term.scan` starting at the word start `from` of `text`: the end of the match (a word
// end, bytes) when every word matches, else 0. The word `known` (an index, or term.words.size())
// is taken as matched without stemming it: ResolveMorphLiteral has checked it. Thread safety: any
// thread; call StartMorphText() (with the MorphStems that numbered `term`) before the first call
// for each text.
std::size_t VerifyMorphTerm(const MorphTerm& term, const MatchText& text, std::size_t from,
                            std::size_t known);

// Stemmed terms that share one Hyperscan literal (the same words before their lead word and the
// same candidate prefix of it), grouped by the lead word's analyser, negation, stem and prefix: a
// hit of the literal stems the lead word of the text once per analyser and so resolves every term
// of a matching group at once.
// What a term needs right after its lead word: the first bytes (at most 8) of its separator and
// next word as written in the scan encoding (`bytes`, with `mask` over the bytes it fixes; the
// next word must start with them whether it is exact, a prefix or stemmed). A necessary
// condition, tested on 8 bytes of the text before a term is verified: a group of phrases that
// share their first word is then verified only for the phrases whose next word fits (a realistic
// rule set has dozens of phrases per first word). mask 0: nothing is required (the lead word is
// the term's last word).
struct MorphNext {
  std::uint64_t bytes = 0;
  std::uint64_t mask = 0;
};

struct MorphLead {
  std::uint8_t lang = 0;
  bool negated = false;
  std::string stem;
  std::uint32_t stem_id = kNoStem;   // MorphStems id of (lang, stem)
  std::string prefix;                // StemVariant::prefix: the word must start with it
  std::vector<std::uint32_t> terms;  // indexes of the terms (a term with several analysers is in
                                     // several groups)
  std::vector<MorphNext> next;       // per entry of `terms`
};

struct MorphLiteral {
  std::string scan;                // the Hyperscan literal (MorphTerm::scan of its terms)
  std::uint32_t lead_offset = 0;   // bytes of `scan` before the lead word
  std::vector<MorphLead> leads;    // by (lang, negated, stem, prefix), distinct
  std::uint8_t langs = 0;          // the analysers of `leads`
  // (stem id, index into `leads`), sorted: a hit looks up the lead word's stem id per analyser
  // (ids are per analyser) instead of comparing it with every group (a short literal can have
  // hundreds).
  std::vector<std::pair<std::uint32_t, std::uint32_t>> by_stem;
};

// Groups `terms` by literal; each term is in exactly one literal. Numbers the stems of `terms`
// (StemVariant::stem_id, MorphLead::stem_id) in `stems`.
std::vector<MorphLiteral> GroupMorphLiterals(std::vector<MorphTerm>& terms, MorphStems& stems);

struct MorphHit {
  std::uint32_t term;  // index into the terms given to GroupMorphLiterals
  std::uint32_t end;   // the end of the match in the text (bytes)
};

// Appends to `out` every term of `literal` that matches the text at `from` (where the literal
// starts, a word start), once each. Stem ids come from a per-thread memo of this text's words
// (one lookup per word and analyser per text) and a per-thread cache of words' stem ids across
// texts (a flat table, at most 16,384 words; a word is stemmed when it is not there).
// Thread safety: any thread; call StartMorphText() before scanning each text.
void ResolveMorphLiteral(const MorphLiteral& literal, const std::vector<MorphTerm>& terms,
                         const MatchText& text, std::size_t from, std::vector<MorphHit>& out);

// Starts a text on this thread for the terms numbered by `stems`: forgets the stems memoised for
// the previous text, and the cached stem ids when the previous text used another MorphStems.
// Never allocates.
void StartMorphText(const MorphStems& stems);

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

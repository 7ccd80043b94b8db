#pragma once
// Rule files, format v1 (docs/RULES.md): parsing and validation into plain specs. Parsing never
// throws; every problem becomes one "file:line: rule <id>: problem" line in `errors`.

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/types.h"

namespace sakchy::classifier::internal {

// One item of any/all/none: a term ("word", "word*", "a phrase") or a list reference ("@name").
// Language bits of a term: a term written under `{ru: [...], ky: [...]}` is only matched when the
// text's language is one of them (or unknown); other terms always.
inline constexpr std::uint8_t kLangKy = 1;
inline constexpr std::uint8_t kLangRu = 2;
inline constexpr std::uint8_t kLangUz = 4;
inline constexpr std::uint8_t kLangEn = 8;
inline constexpr std::uint8_t kLangAll = 15;

// How single words of terms match (docs/RULES.md "Morphology"): the word form as written, or any
// word with the same stem under the analysers of the term's language.
enum class Morphology : std::uint8_t { kExact, kStems };

struct TermItem {
  std::string text;  // as written
  int line = 0;
  std::uint8_t langs = kLangAll;
};

struct Examples {
  std::vector<std::pair<std::string, int>> match;     // text, line
  std::vector<std::pair<std::string, int>> no_match;
};

struct RuleSpec {
  std::string id;
  std::string file;
  int line = 0;
  std::string description;
  std::string category;
  double weight = 1.0;  // may be negative (not with `severity`); the total score floors at 0
  // The rule set's `morphology` unless the rule sets its own.
  std::optional<Morphology> morphology;
  // A hit with a negation cue near it in the same sentence does not count (RuleSetSpec::negation).
  bool negatable = false;
  std::vector<TermItem> any;
  std::vector<TermItem> all;
  std::vector<TermItem> none;
  // near: [a, b] with within_words: N -- a hit of a and a hit of b at most N words apart.
  std::vector<TermItem> near;  // empty or exactly 2 items
  int within_words = 0;
  // Terms whose hits hide the rule's hits they overlap ("беспорядки в документах").
  std::vector<TermItem> exceptions;
  std::optional<Severity> severity;
  std::vector<std::string> tags;
  Examples examples;
};

inline constexpr int kMaxWithinWords = 50;
inline constexpr std::size_t kMaxAllItems = 64;

struct TensionSpec {
  std::string id;
  std::string file;
  int line = 0;
  std::string description;
  std::string category = "tension";
  double weight = 1.0;
  std::vector<std::string> all_categories;
  std::optional<Severity> severity;
  std::vector<std::string> tags;
  Examples examples;
};

struct ListSpec {
  std::string file;
  int line = 0;
  std::vector<TermItem> terms;
};

inline constexpr double kDefaultPlaceWeight = 0.5;
inline constexpr int kDefaultNegationWindow = 3;
inline constexpr int kMaxNegationWindow = 10;

// `negation:` cues (terms, per language like rule terms) and how far from a hit they reach.
struct NegationSpec {
  std::vector<TermItem> cues;
  int window_words = kDefaultNegationWindow;
};

struct RuleSetSpec {
  // Minimum score for low, medium, high, critical.
  std::array<double, 4> thresholds = {1, 3, 6, 10};
  double place_weight = kDefaultPlaceWeight;
  Morphology morphology = Morphology::kExact;
  NegationSpec negation;
  // `proper_names: skip`: a prefix or stem hit inside a capitalised surname-like word is no hit.
  bool skip_proper_names = false;
  std::map<std::string, ListSpec> lists;
  std::vector<RuleSpec> rules;
  std::vector<TensionSpec> tensions;
  std::vector<std::string> threshold_sources;  // "file:line" of each definition
  std::vector<std::string> place_weight_sources;
  std::vector<std::string> morphology_sources;
  std::vector<std::string> negation_sources;
  std::vector<std::string> proper_names_sources;
};

// Parses one file into `spec`. `name` is used in messages. Cross-file checks (duplicate ids,
// lists, categories) are done by Validate().
void ParseRuleFile(const std::string& name, std::string_view contents, RuleSetSpec& spec,
                   std::vector<std::string>& errors);
// Checks what needs every file: unique ids, known lists, known categories, single settings.
void Validate(const RuleSetSpec& spec, std::vector<std::string>& errors);

}  // namespace sakchy::classifier::internal

#pragma once
// Private to the classifier library: the compiled rule set (ClassifierImpl) and the types its
// parts share. classifier_build.cc compiles rules and places into the Hyperscan database,
// classifier_scan.cc scans a text (match callbacks, stemmed-term verification, masked words),
// classifier_run.cc evaluates the rules of one text (Classify: groups, negation, exceptions,
// near, scoring, places, tension, severity), classifier_load.cc loads rule files and checks
// their examples.

#include <hs/hs.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "classifier/classifier.h"
#include "morph_terms.h"
#include "normalizer.h"
#include "rules.h"

namespace sakchy::classifier::engine {

using internal::MatchText;
using internal::Normalizer;

enum class Clause : std::uint8_t { kAny, kAll, kNone, kNearA, kNearB, kException };

// Rule items are compiled into groups: one group per distinct item (its text as written and its
// languages), shared by every rule that writes the same item (`all: ["@rumour_markers"]` in 200
// rules is one group). A hit marks the groups of its pattern once; rules read their groups when
// they are evaluated.
//
// Where a compiled pattern is used: one term of one group. A hit walks the uses of its pattern.
struct GroupUse {
  std::uint32_t group;
  // The term as written in the rule or list: ClassifierImpl::terms_[term], which is sorted, so
  // the index orders terms like the strings.
  std::uint32_t term;
  std::uint8_t langs;  // internal::kLang* bits
};

// One item of a rule: its group and its role.
struct RuleItem {
  std::uint32_t group;
  Clause clause;
  std::uint8_t index;  // kAll: position among the rule's `all` items (bit of the all mask)
};

inline std::uint8_t LanguageBits(Language language) {
  switch (language) {
    case Language::kKy: return internal::kLangKy;
    case Language::kRu: return internal::kLangRu;
    case Language::kUz: return internal::kLangUz;
    case Language::kEn: return internal::kLangEn;
    case Language::kUnknown: break;
  }
  return internal::kLangAll;
}

constexpr std::uint32_t kNoMorph = 0xFFFFFFFF;

struct Pattern {
  std::string literal;  // normalised term (UTF-8)
  std::string scan;     // `literal` in the scan encoding: the Hyperscan literal
  bool prefix = false;
  std::uint32_t morph = kNoMorph;  // index into ClassifierImpl::morph_terms_ (stemmed terms)
  std::vector<GroupUse> uses;        // while building; then in ClassifierImpl::uses_
  std::vector<std::uint32_t> areas;  // indexes into areas_ for place names
  std::string origin;                // "file:line: rule id: term 'x'" for error messages
};

// What the match callback and Run() read of a pattern, 16 bytes.
struct PatternMeta {
  std::uint32_t length = 0;      // of the literal in the scan encoding, bytes
  std::uint32_t uses_begin = 0;  // [uses_begin, uses_end) in ClassifierImpl::uses_
  std::uint32_t uses_end = 0;
  bool prefix = false;
  bool place = false;
};

// A single-word term for words with masked letters (MatchText::masked): "х*й" is a hit of `хуй`.
struct MaskEntry {
  std::uint32_t pattern;
  std::u32string word;  // normalised
  bool prefix;
};

struct CompiledRule {
  std::string id;
  std::string category;
  double weight = 0;
  std::optional<Severity> severity;
  std::uint32_t any_count = 0;
  std::uint32_t all_count = 0;
  std::uint32_t category_index = 0;
  std::uint32_t id_rank = 0;  // position of `id` in sorted order, to sort matches cheaply
  bool has_near = false;
  bool has_exceptions = false;
  bool negatable = false;
  bool filters_hits = false;  // has_exceptions || negatable: some hits may not count
  int within_words = 0;
  std::uint32_t items_begin = 0;  // [items_begin, items_end) in ClassifierImpl::items_
  std::uint32_t items_end = 0;
  // `all` items required for a text of each language bit combination (indexed by langs bits).
  std::array<std::uint64_t, 16> all_required{};
};

struct CompiledTension {
  std::string id;
  std::string category;
  double weight = 0;
  std::optional<Severity> severity;
  std::vector<std::string> all_categories;
  std::vector<std::uint32_t> all_category_indexes;
  std::uint32_t category_index = 0;
};

// Per-thread working memory of Classify(), reused across calls and classifiers. Group and rule
// states are valid when their stamp equals the current epoch, so nothing is cleared per text.
constexpr std::uint32_t kNoEntry = 0xFFFFFFFF;

struct GroupState {
  std::uint64_t stamp = 0;
  std::uint32_t head = kNoEntry;  // last GroupHit of the group in RunScratch::entries
};

// One hit of one term of a group (terms of other languages than the text's are not recorded).
struct GroupHit {
  std::uint32_t hit;   // index into RunScratch::hits
  std::uint32_t term;  // GroupUse::term
  std::uint32_t next;  // the group's previous GroupHit, or kNoEntry
};

struct MatchRef {
  std::uint64_t span;   // begin << 32 | end
  std::uint64_t order;  // rule id rank << 32 | term rank: sorts like (rule id, term)
  std::uint32_t rule;
  std::uint32_t term;
  std::uint32_t begin() const { return static_cast<std::uint32_t>(span >> 32); }
  std::uint32_t end() const { return static_cast<std::uint32_t>(span); }
};

struct Hit {
  std::uint32_t pattern;
  std::uint32_t begin;  // original offsets
  std::uint32_t end;
};

struct PlaceRef {
  std::uint32_t begin;  // original offsets
  std::uint32_t end;
  std::uint32_t pattern;
};

struct Detail {
  std::vector<std::uint32_t> fired_rules;
  std::vector<std::uint32_t> fired_tensions;
};

// The term or text quoted for error messages, cut to 60 bytes.
std::string Quote(std::string_view text);

struct ScanContext;
struct TextHits;

class ClassifierImpl final : public Classifier {
 public:
  ClassifierImpl();
  ~ClassifierImpl() override;

  // Builds everything from parsed specs; appends problems to `errors`.
  void Build(const internal::RuleSetSpec& spec, const config::AreaTree& areas,
             std::vector<std::string>& errors);
  void CheckExamples(const internal::RuleSetSpec& spec, std::vector<std::string>& errors) const;

  Classification Classify(std::string_view text) const override { return Run(text, nullptr); }
  const RuleSetInfo& info() const override { return info_; }

  RuleSetInfo& mutable_info() { return info_; }

 private:
  std::uint32_t PatternFor(std::string_view term, bool prefix, const std::string& origin,
                           std::vector<std::string>& errors, bool& ok);
  // The pattern of a term as written (`text`, maybe ending in '*'), stemmed under kStems.
  std::uint32_t TermPattern(const std::string& text, std::uint8_t langs,
                            internal::Morphology morphology, const std::string& origin,
                            std::vector<std::string>& errors, bool& ok);
  void AddNegationCues(const internal::RuleSetSpec& spec, std::vector<std::string>& errors);
  void AddRuleTerms(const internal::RuleSetSpec& spec, std::uint32_t rule_index,
                    const internal::RuleSpec& rule, std::vector<std::string>& errors);
  // Flattens the groups' watchers and the patterns' uses for Run().
  void Flatten();
  // Classify(): scan, then the steps below in order (classifier_run.cc).
  Classification Run(std::string_view text, Detail* detail) const;
  // Marks the groups of every hit (of the text's language) and lists the rules to evaluate and
  // the place-name hits.
  void MarkGroups(TextHits& t) const;
  // The rules of t.to_evaluate that fire, in rule order (the score is summed in that order).
  void EvaluateRules(TextHits& t) const;
  bool Fires(TextHits& t, const CompiledRule& rule) const;
  // A positive item of `rule` holds: a hit of its group that no exception of the rule hides.
  bool ItemHolds(const TextHits& t, const CompiledRule& rule, const RuleItem& item) const;
  // Exceptions hide the overlapping hits of the same rule (not its `none` hits); in a negatable
  // rule, so does negation.
  bool Hidden(const TextHits& t, const CompiledRule& rule, const Hit& hit) const;
  // A negation cue within negation_window_ words of `hit`, in the same sentence, not overlapping.
  bool Negated(const TextHits& t, const Hit& hit) const;
  // True when a hit of the rule's near[0] and one of near[1] are at most within_words apart.
  bool NearOk(TextHits& t, const CompiledRule& rule) const;
  // Score, categories, severity floor and matches of the fired rules.
  void ScoreFired(TextHits& t, Classification& out, Detail* detail) const;
  // Place mentions (overlapping names keep the longest) and the most specific unambiguous area.
  void ResolvePlaces(TextHits& t, Classification& out) const;
  // Tension rules over the categories found so far, the category list and the severity.
  void Grade(TextHits& t, Classification& out, Detail* detail) const;
  void Scan(const MatchText& text, std::string_view original, std::vector<Hit>& hits,
            std::vector<internal::MorphHit>& morph_hits) const;
  // Hits of single-word terms in the words with masked letters of `text`.
  void MatchMasked(const MatchText& text, std::vector<Hit>& hits) const;
  void AddMaskEntry(std::uint32_t pattern);
  hs_scratch_t* Scratch() const;
  static int OnMatch(unsigned int id, unsigned long long from, unsigned long long to,
                     unsigned int flags, void* ctx);
  // OnMatch() of a stemmed terms' literal.
  static void OnMorphMatch(const ScanContext& c, unsigned int id, std::size_t to);

  const std::uint64_t instance_;
  Normalizer normalizer_;
  std::vector<Pattern> patterns_;
  std::vector<PatternMeta> pattern_meta_;  // per pattern
  // Stemmed terms are not Hyperscan patterns of their own: their literals are, shared by every
  // term with the same literal; Hyperscan id morph_literal_base_ + k is morph_literals_[k].
  std::vector<internal::MorphTerm> morph_terms_;
  std::vector<std::uint32_t> morph_patterns_;  // per morph term: its pattern
  std::vector<internal::MorphLiteral> morph_literals_;
  internal::MorphStems morph_stems_;  // the stems of morph_terms_, numbered
  std::uint32_t morph_literal_base_ = 0;
  // The group of the negation cues (uses with their languages; no watchers), or kNoEntry.
  std::uint32_t negation_group_ = kNoEntry;
  // Single-word terms for masked words: exact words by length in code points, and prefixes.
  std::vector<std::vector<MaskEntry>> mask_exact_;
  std::vector<MaskEntry> mask_prefix_;
  int negation_window_ = internal::kDefaultNegationWindow;
  bool skip_proper_names_ = false;
  std::vector<GroupUse> uses_;             // of every pattern, PatternMeta::uses_begin ...
  std::vector<std::string> terms_;      // every term as written, sorted, unique
  std::vector<std::string> use_terms_;  // while building: GroupUse::term -> text
  std::unordered_map<std::string, std::uint32_t> pattern_index_;  // (prefix, expression) -> index
  // Groups. While building: (languages, item text) -> group, whether making its terms failed,
  // and the rules evaluated when the group is hit.
  std::unordered_map<std::string, std::uint32_t> group_index_;
  std::vector<bool> group_failed_;
  std::vector<std::vector<std::uint32_t>> group_watchers_;
  // The rules to evaluate when group g is hit: watchers_[watchers_begin_[g] .. [g + 1]). A rule
  // with `any` items can only fire when one of them hit, so it watches them; a rule without
  // watches its `all` and `near` items (it needs a hit of one of them).
  std::vector<std::uint32_t> watchers_begin_;
  std::vector<std::uint32_t> watchers_;
  std::vector<RuleItem> items_;  // of every rule, CompiledRule::items_begin ...
  std::vector<CompiledRule> rules_;
  std::vector<CompiledTension> tensions_;
  std::vector<std::string> category_names_;  // index -> name; rules and tensions refer by index
  std::uint32_t place_category_ = 0;
  std::vector<config::Area> areas_;
  std::vector<int> area_depth_;
  std::array<double, 4> thresholds_ = {1, 3, 6, 10};
  double place_weight_ = internal::kDefaultPlaceWeight;
  hs_database_t* database_ = nullptr;
  hs_scratch_t* prototype_ = nullptr;
  RuleSetInfo info_;
};

}  // namespace sakchy::classifier::engine

#include "classifier/classifier.h"

#include <hs/hs.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <exception>
#include <filesystem>
#include <map>
#include <set>
#include <unordered_map>
#include <utility>

#include "config/files.h"
#include "core/crypto.h"
#include "core/utf8.h"
#include "morph_terms.h"
#include "normalizer.h"
#include "rules.h"

namespace sakchy::classifier {
namespace {

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

std::uint8_t LanguageBits(Language language) {
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

std::atomic<std::uint64_t> g_next_instance{1};

// True when no sentence ends in original[begin, end): no '!', '?', '…', ';' or line break, and no
// '.' followed by a space or the end (so "3.5" and "г.Ош" do not end a sentence).
bool SameSentence(std::string_view original, std::uint32_t begin, std::uint32_t end) {
  for (std::uint32_t i = begin; i < end && i < original.size(); ++i) {
    const char c = original[i];
    if (c == '!' || c == '?' || c == ';' || c == '\n') return false;
    if (c == '.' && (i + 1 >= original.size() || original[i + 1] == ' ')) return false;
    if (original.substr(i, 3) == "\u2026") return false;
  }
  return true;
}

struct ThreadScratch {
  std::uint64_t owner = 0;
  hs_scratch_t* scratch = nullptr;
  ThreadScratch() = default;
  ThreadScratch(const ThreadScratch&) = delete;
  ThreadScratch& operator=(const ThreadScratch&) = delete;
  ~ThreadScratch() {
    if (scratch != nullptr) hs_free_scratch(scratch);
  }
};
thread_local ThreadScratch t_scratch;

struct RunScratch {
  MatchText normalized;
  std::vector<Hit> hits;
  std::vector<GroupState> groups;
  std::vector<GroupHit> entries;
  std::vector<std::uint64_t> rule_stamps;
  std::vector<std::uint32_t> to_evaluate;  // rules; the first `evaluate_count` are this text's
  std::vector<std::uint32_t> near_a;      // word numbers, for one rule at a time
  std::vector<std::uint32_t> near_b;
  std::vector<MatchRef> matched;
  std::vector<std::uint32_t> fired;
  std::vector<char> categories;
  std::vector<PlaceRef> places;
  std::vector<std::uint32_t> candidates;
  std::vector<internal::MorphHit> morph_hits;  // of one literal hit
  std::uint64_t epoch = 0;
};
thread_local RunScratch t_run;

// The literal for a normalised term, trimmed; empty when it has no letter or digit. The
// normaliser has reduced every separator run to one space, so a phrase is a literal too.
std::string LiteralFor(std::string_view normalized) {
  while (!normalized.empty() && normalized.front() == ' ') normalized.remove_prefix(1);
  while (!normalized.empty() && normalized.back() == ' ') normalized.remove_suffix(1);
  bool has_word = false;
  std::size_t pos = 0;
  while (pos < normalized.size() && !has_word) {
    has_word = internal::IsWordChar(DecodeUtf8(normalized, pos));
  }
  return has_word ? std::string(normalized) : std::string();
}

std::string Quote(std::string_view text) {
  constexpr std::size_t kMax = 60;
  if (text.size() <= kMax) return "'" + std::string(text) + "'";
  std::size_t cut = kMax;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return "'" + std::string(text.substr(0, cut)) + "...'";
}

struct ScanContext;

class ClassifierImpl final : public Classifier {
 public:
  ClassifierImpl() : instance_(g_next_instance.fetch_add(1)) {}
  ~ClassifierImpl() override {
    if (prototype_ != nullptr) hs_free_scratch(prototype_);
    if (database_ != nullptr) hs_free_database(database_);
  }

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
  Classification Run(std::string_view text, Detail* detail) const;
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

std::uint32_t ClassifierImpl::PatternFor(std::string_view term, bool prefix,
                                         const std::string& origin,
                                         std::vector<std::string>& errors, bool& ok) {
  const std::string literal = LiteralFor(normalizer_.NormalizeTerm(term));
  if (literal.empty()) {
    errors.push_back(origin + ": has no letters or digits");
    ok = false;
    return 0;
  }
  ok = true;
  const std::string key = (prefix ? "P" : "W") + literal;
  auto [it, inserted] = pattern_index_.emplace(key, static_cast<std::uint32_t>(patterns_.size()));
  if (inserted) {
    Pattern p;
    p.literal = literal;
    p.scan = internal::ToScanEncoding(literal);
    p.prefix = prefix;
    p.origin = origin;
    patterns_.push_back(std::move(p));
  }
  return it->second;
}

std::uint32_t ClassifierImpl::TermPattern(const std::string& text, std::uint8_t langs,
                                          internal::Morphology morphology,
                                          const std::string& origin,
                                          std::vector<std::string>& errors, bool& ok) {
  const bool prefix = text.size() > 1 && text.back() == '*';
  const std::string_view body =
      prefix ? std::string_view(text).substr(0, text.size() - 1) : std::string_view(text);
  if (morphology == internal::Morphology::kStems) {
    std::optional<internal::MorphTerm> morph =
        internal::CompileMorphTerm(normalizer_, body, prefix, langs);
    if (morph && !morph->scan.empty()) {
      ok = true;
      auto [it, inserted] =
          pattern_index_.emplace(morph->key, static_cast<std::uint32_t>(patterns_.size()));
      if (inserted) {
        Pattern p;
        p.scan = morph->scan;
        internal::AppendScanAsUtf8(morph->scan, p.literal);
        p.prefix = prefix;
        p.morph = static_cast<std::uint32_t>(morph_terms_.size());
        p.origin = origin;
        morph_terms_.push_back(std::move(*morph));
        morph_patterns_.push_back(it->second);
        patterns_.push_back(std::move(p));
        std::optional<internal::MorphTerm> twin =
            internal::CompileUzbekTwin(normalizer_, body, prefix, langs);
        if (twin && !twin->scan.empty()) {  // the same term in the other Uzbek script
          morph_terms_.push_back(std::move(*twin));
          morph_patterns_.push_back(it->second);
        }
      }
      return it->second;
    }
  }
  return PatternFor(body, prefix, origin, errors, ok);
}

void ClassifierImpl::AddNegationCues(const internal::RuleSetSpec& spec,
                                     std::vector<std::string>& errors) {
  if (spec.negation.cues.empty()) return;
  negation_window_ = spec.negation.window_words;
  negation_group_ = static_cast<std::uint32_t>(group_failed_.size());
  group_failed_.push_back(false);
  group_watchers_.emplace_back();
  for (const internal::TermItem& t : spec.negation.cues) {
    const std::string origin = spec.negation_sources.empty()
                                   ? std::string("negation")
                                   : spec.negation_sources.front() + ": negation cue " +
                                         Quote(t.text);
    bool ok = false;
    const std::uint32_t p = TermPattern(t.text, t.langs, spec.morphology, origin, errors, ok);
    if (!ok) continue;
    patterns_[p].uses.push_back(
        GroupUse{negation_group_, static_cast<std::uint32_t>(use_terms_.size()), t.langs});
    use_terms_.push_back(t.text);
  }
}

void ClassifierImpl::AddRuleTerms(const internal::RuleSetSpec& spec, std::uint32_t rule_index,
                                  const internal::RuleSpec& rule,
                                  std::vector<std::string>& errors) {
  std::vector<internal::TermItem> near_a;
  std::vector<internal::TermItem> near_b;
  if (rule.near.size() == 2) {
    near_a.push_back(rule.near[0]);
    near_b.push_back(rule.near[1]);
  }
  const std::pair<const std::vector<internal::TermItem>*, Clause> clauses[] = {
      {&rule.any, Clause::kAny},    {&rule.all, Clause::kAll},
      {&rule.none, Clause::kNone},  {&near_a, Clause::kNearA},
      {&near_b, Clause::kNearB},    {&rule.exceptions, Clause::kException}};
  CompiledRule& compiled = rules_[rule_index];
  compiled.items_begin = static_cast<std::uint32_t>(items_.size());
  for (const auto& [items, clause] : clauses) {
    for (std::uint32_t i = 0; i < items->size(); ++i) {
      const internal::TermItem& item = (*items)[i];
      struct Term {
        std::string text;
        std::string origin;
        std::uint8_t langs;
      };
      std::vector<Term> terms;
      const bool is_list = item.text.starts_with("@");
      if (is_list && spec.lists.find(item.text.substr(1)) == spec.lists.end()) {
        continue;  // reported by Validate
      }
      const internal::Morphology morphology = rule.morphology.value_or(spec.morphology);
      std::string key(1, static_cast<char>(item.langs));
      key += morphology == internal::Morphology::kStems ? 'S' : 'E';
      key += item.text;
      const auto [group_it, new_group] =
          group_index_.emplace(std::move(key), static_cast<std::uint32_t>(group_failed_.size()));
      const std::uint32_t group = group_it->second;
      if (new_group) {
        group_failed_.push_back(false);
        group_watchers_.emplace_back();
      }
      items_.push_back(RuleItem{group, clause, static_cast<std::uint8_t>(i)});
      // A known group has its uses; its terms are made again only to report their errors for
      // this rule too.
      if (!new_group && !group_failed_[group]) continue;
      if (is_list) {
        auto list = spec.lists.find(item.text.substr(1));
        for (const internal::TermItem& t : list->second.terms) {
          terms.push_back(Term{t.text,
                               list->second.file + ":" + std::to_string(t.line) + ": rule " +
                                   rule.id + ": term " + Quote(t.text) + " (list " + item.text +
                                   ")",
                               static_cast<std::uint8_t>(t.langs & item.langs)});
        }
      } else {
        terms.push_back(Term{item.text,
                             rule.file + ":" + std::to_string(item.line) + ": rule " + rule.id +
                                 ": term " + Quote(item.text),
                             item.langs});
      }
      for (const Term& t : terms) {
        if (t.langs == 0) continue;  // e.g. a Kyrgyz list term under a Russian-only item
        bool ok = false;
        const std::uint32_t p = TermPattern(t.text, t.langs, morphology, t.origin, errors, ok);
        if (!ok) {
          group_failed_[group] = true;
        } else if (new_group) {
          patterns_[p].uses.push_back(
              GroupUse{group, static_cast<std::uint32_t>(use_terms_.size()), t.langs});
          use_terms_.push_back(t.text);
        }
      }
    }
  }
  compiled.items_end = static_cast<std::uint32_t>(items_.size());
  // Watch the `any` items, or else the `all` and `near` items (see watchers_).
  const bool has_any = compiled.any_count > 0;
  for (std::uint32_t k = compiled.items_begin; k < compiled.items_end; ++k) {
    const RuleItem& item = items_[k];
    const bool watch = has_any ? item.clause == Clause::kAny
                               : item.clause == Clause::kAll || item.clause == Clause::kNearA ||
                                     item.clause == Clause::kNearB;
    std::vector<std::uint32_t>& watchers = group_watchers_[item.group];
    if (watch && (watchers.empty() || watchers.back() != rule_index)) {
      watchers.push_back(rule_index);
    }
  }
}

void ClassifierImpl::Flatten() {
  watchers_begin_.clear();
  watchers_.clear();
  for (const std::vector<std::uint32_t>& w : group_watchers_) {
    watchers_begin_.push_back(static_cast<std::uint32_t>(watchers_.size()));
    watchers_.insert(watchers_.end(), w.begin(), w.end());
  }
  watchers_begin_.push_back(static_cast<std::uint32_t>(watchers_.size()));
  group_watchers_ = {};
  group_index_ = {};
  group_failed_ = {};
  pattern_meta_.clear();
  uses_.clear();
  for (Pattern& p : patterns_) {
    PatternMeta m;
    m.length = static_cast<std::uint32_t>(p.scan.size());
    m.prefix = p.prefix;
    m.place = !p.areas.empty();
    if (!p.uses.empty()) AddMaskEntry(static_cast<std::uint32_t>(pattern_meta_.size()));
    m.uses_begin = static_cast<std::uint32_t>(uses_.size());
    uses_.insert(uses_.end(), p.uses.begin(), p.uses.end());
    m.uses_end = static_cast<std::uint32_t>(uses_.size());
    p.uses = {};
    pattern_meta_.push_back(m);
  }
}

void ClassifierImpl::AddMaskEntry(std::uint32_t pattern) {
  const Pattern& p = patterns_[pattern];
  std::string word;
  bool prefix = p.prefix;
  if (p.morph != kNoMorph) {
    const internal::MorphTerm& term = morph_terms_[p.morph];
    if (term.words.size() != 1) return;
    word = term.words[0].written;
    prefix = term.words[0].kind == internal::MorphWord::Kind::kPrefix;
  } else {
    word = p.literal;
  }
  MaskEntry entry{pattern, {}, prefix};
  std::size_t pos = 0;
  while (pos < word.size()) {
    const char32_t c = DecodeUtf8(word, pos);
    if (!internal::IsWordChar(c)) return;  // a phrase, an apostrophe
    entry.word.push_back(c);
  }
  if (entry.word.size() < 2) return;
  if (prefix) {
    mask_prefix_.push_back(std::move(entry));
    return;
  }
  if (mask_exact_.size() <= entry.word.size()) mask_exact_.resize(entry.word.size() + 1);
  mask_exact_[entry.word.size()].push_back(std::move(entry));
}

void ClassifierImpl::MatchMasked(const MatchText& text, std::vector<Hit>& hits) const {
  for (const MatchText::Masked& m : text.masked) {
    const char32_t* chars = text.masked_chars.data() + m.offset;
    // Visible letters equal over `n` positions, more letters than masks, at least one mask.
    auto fits = [chars](const std::u32string& word, std::size_t n) {
      std::size_t masks = 0;
      for (std::size_t k = 0; k < n; ++k) {
        if (chars[k] == MatchText::kMasked) {
          ++masks;
        } else if (chars[k] != word[k]) {
          return false;
        }
      }
      return masks > 0 && masks < n - masks;
    };
    if (m.length < mask_exact_.size()) {
      for (const MaskEntry& e : mask_exact_[m.length]) {
        if (fits(e.word, m.length)) hits.push_back(Hit{e.pattern, m.orig_begin, m.orig_end});
      }
    }
    for (const MaskEntry& e : mask_prefix_) {
      if (e.word.size() <= m.length && fits(e.word, e.word.size())) {
        hits.push_back(Hit{e.pattern, m.orig_begin, m.orig_end});
      }
    }
  }
}

void ClassifierImpl::Build(const internal::RuleSetSpec& spec, const config::AreaTree& areas,
                           std::vector<std::string>& errors) {
  thresholds_ = spec.thresholds;
  info_.thresholds = spec.thresholds;
  place_weight_ = spec.place_weight;
  skip_proper_names_ = spec.skip_proper_names;
  std::map<std::string, std::uint32_t> category_index;
  auto category_of = [&](const std::string& name) {
    auto [it, inserted] =
        category_index.emplace(name, static_cast<std::uint32_t>(category_names_.size()));
    if (inserted) category_names_.push_back(name);
    return it->second;
  };
  place_category_ = category_of("place");
  std::vector<std::string> sorted_ids;
  for (const internal::RuleSpec& r : spec.rules) sorted_ids.push_back(r.id);
  std::sort(sorted_ids.begin(), sorted_ids.end());
  for (const internal::RuleSpec& r : spec.rules) {
    const auto index = static_cast<std::uint32_t>(rules_.size());
    CompiledRule c;
    c.id = r.id;
    c.category = r.category;
    c.weight = r.weight;
    c.severity = r.severity;
    c.any_count = static_cast<std::uint32_t>(r.any.size());
    c.all_count = static_cast<std::uint32_t>(std::min(r.all.size(), internal::kMaxAllItems));
    c.category_index = category_of(r.category);
    c.id_rank = static_cast<std::uint32_t>(
        std::lower_bound(sorted_ids.begin(), sorted_ids.end(), r.id) - sorted_ids.begin());
    c.has_near = r.near.size() == 2;
    c.has_exceptions = !r.exceptions.empty();
    c.negatable = r.negatable;
    c.filters_hits = c.has_exceptions || c.negatable;
    c.within_words = r.within_words;
    for (std::uint32_t bits = 0; bits < 16; ++bits) {
      for (std::uint32_t i = 0; i < c.all_count; ++i) {
        if ((r.all[i].langs & bits) != 0) c.all_required[bits] |= std::uint64_t{1} << i;
      }
    }
    rules_.push_back(std::move(c));
    AddRuleTerms(spec, index, r, errors);
  }
  AddNegationCues(spec, errors);
  for (const internal::TensionSpec& t : spec.tensions) {
    CompiledTension c{t.id, t.category, t.weight, t.severity, t.all_categories, {}, 0};
    for (const std::string& name : t.all_categories) {
      c.all_category_indexes.push_back(category_of(name));
    }
    c.category_index = category_of(t.category);
    tensions_.push_back(std::move(c));
  }
  // Renumber categories in name order, so Classify() lists them without sorting.
  {
    std::vector<std::uint32_t> order(category_names_.size());
    for (std::uint32_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [this](std::uint32_t a, std::uint32_t b) {
      return category_names_[a] < category_names_[b];
    });
    std::vector<std::uint32_t> new_index(order.size());
    std::vector<std::string> names(order.size());
    for (std::uint32_t i = 0; i < order.size(); ++i) {
      new_index[order[i]] = i;
      names[i] = category_names_[order[i]];
    }
    category_names_ = std::move(names);
    place_category_ = new_index[place_category_];
    for (CompiledRule& r : rules_) r.category_index = new_index[r.category_index];
    for (CompiledTension& t : tensions_) {
      t.category_index = new_index[t.category_index];
      for (std::uint32_t& c : t.all_category_indexes) c = new_index[c];
    }
  }
  info_.term_count = patterns_.size();
  {  // Terms as written, sorted and unique; uses refer to them by index.
    terms_ = use_terms_;
    std::sort(terms_.begin(), terms_.end());
    terms_.erase(std::unique(terms_.begin(), terms_.end()), terms_.end());
    for (Pattern& p : patterns_) {
      for (GroupUse& use : p.uses) {
        use.term = static_cast<std::uint32_t>(
            std::lower_bound(terms_.begin(), terms_.end(), use_terms_[use.term]) - terms_.begin());
      }
    }
    use_terms_ = {};
  }

  // Place names: every alias (or, for an area without aliases, its names).
  areas_ = areas.areas();
  std::size_t place_patterns = 0;
  for (std::uint32_t a = 0; a < areas_.size(); ++a) {
    const config::Area& area = areas_[a];
    area_depth_.push_back(static_cast<int>(areas.Ancestors(area.code).size()));
    std::vector<std::string> names = area.aliases;
    if (names.empty()) names = {area.name_en, area.name_ru, area.name_ky};
    for (const std::string& name : names) {
      if (name.empty()) continue;
      bool ok = false;
      const std::size_t before = patterns_.size();
      const std::uint32_t p = PatternFor(
          name, false, "areas: " + area.code + ": alias " + Quote(name), errors, ok);
      if (!ok) continue;
      if (patterns_.size() > before || patterns_[p].areas.empty()) ++place_patterns;
      if (std::find(patterns_[p].areas.begin(), patterns_[p].areas.end(), a) ==
          patterns_[p].areas.end()) {
        patterns_[p].areas.push_back(a);
      }
    }
  }
  info_.place_pattern_count = place_patterns;
  info_.rule_count = rules_.size() + tensions_.size();
  if (!errors.empty() || patterns_.empty()) return;
  Flatten();

  // Every pattern is a literal over normalised text (separators are single spaces), so the
  // literal compiler is used: the same matches as escaped regexes, far faster to compile.
  std::vector<const char*> literals;
  std::vector<std::size_t> lengths;
  std::vector<unsigned int> flags;
  std::vector<unsigned int> ids;
  std::vector<const std::string*> origins;
  for (std::uint32_t i = 0; i < patterns_.size(); ++i) {
    if (patterns_[i].morph != kNoMorph) continue;  // matched through its literal, below
    literals.push_back(patterns_[i].scan.data());
    lengths.push_back(patterns_[i].scan.size());
    flags.push_back(0);
    ids.push_back(i);
    origins.push_back(&patterns_[i].origin);
  }
  morph_literals_ = internal::GroupMorphLiterals(morph_terms_);
  morph_literal_base_ = static_cast<std::uint32_t>(patterns_.size());
  for (std::uint32_t k = 0; k < morph_literals_.size(); ++k) {
    literals.push_back(morph_literals_[k].scan.data());
    lengths.push_back(morph_literals_[k].scan.size());
    flags.push_back(0);
    ids.push_back(morph_literal_base_ + k);
    const std::uint32_t term = morph_literals_[k].leads.front().terms.front();
    origins.push_back(&patterns_[morph_patterns_[term]].origin);
  }
  hs_compile_error_t* compile_error = nullptr;
  if (hs_compile_lit_multi(literals.data(), flags.data(), ids.data(), lengths.data(),
                           static_cast<unsigned int>(literals.size()), HS_MODE_BLOCK, nullptr,
                           &database_, &compile_error) != HS_SUCCESS) {
    std::string where = "hyperscan";
    if (compile_error != nullptr && compile_error->expression >= 0 &&
        static_cast<std::size_t>(compile_error->expression) < origins.size()) {
      where = *origins[static_cast<std::size_t>(compile_error->expression)];
    }
    errors.push_back(where + ": cannot compile: " +
                     (compile_error != nullptr ? compile_error->message : "unknown error"));
    hs_free_compile_error(compile_error);
    database_ = nullptr;
    return;
  }
  if (hs_alloc_scratch(database_, &prototype_) != HS_SUCCESS) {
    errors.push_back("hyperscan: cannot allocate scratch space");
  }
}

hs_scratch_t* ClassifierImpl::Scratch() const {
  if (t_scratch.owner != instance_) {
    if (t_scratch.scratch != nullptr) hs_free_scratch(t_scratch.scratch);
    t_scratch.scratch = nullptr;
    t_scratch.owner = 0;
    if (hs_clone_scratch(prototype_, &t_scratch.scratch) != HS_SUCCESS) return nullptr;
    t_scratch.owner = instance_;
  }
  return t_scratch.scratch;
}

struct ScanContext {
  const PatternMeta* patterns;
  const MatchText* text;
  std::vector<Hit>* hits;
  const ClassifierImpl* classifier;
  std::vector<internal::MorphHit>* morph_hits;
  std::string_view original;  // the text as given, for the proper-name test
  bool skip_proper_names;
};

void ClassifierImpl::OnMorphMatch(const ScanContext& c, unsigned int id, std::size_t to) {
  const ClassifierImpl& self = *c.classifier;
  const internal::MorphLiteral& literal = self.morph_literals_[id - self.morph_literal_base_];
  const MatchText& text = *c.text;
  const std::size_t length = literal.scan.size();
  if (to > text.size || to < length || length == 0) return;
  const std::size_t from = to - length;
  if ((text.flags[from] & MatchText::kContinuation) != 0) return;
  if (from > 0 && (text.flags[from - 1] & MatchText::kWord) != 0) return;
  c.morph_hits->clear();
  internal::ResolveMorphLiteral(literal, self.morph_terms_, text, from, *c.morph_hits);
  if (c.morph_hits->empty()) return;
  if (c.skip_proper_names &&
      internal::LooksLikeSurname(text, c.original, from, to, internal::WordEnd(text, from))) {
    return;
  }
  const std::uint32_t begin = text.OriginalBegin(from);
  for (const internal::MorphHit& h : *c.morph_hits) {
    c.hits->push_back(Hit{self.morph_patterns_[h.term], begin, text.OriginalEnd(h.end)});
  }
}

int ClassifierImpl::OnMatch(unsigned int id, unsigned long long /*from*/, unsigned long long to,
                            unsigned int /*flags*/, void* ctx) {
  const auto* c = static_cast<const ScanContext*>(ctx);
  if (id >= c->classifier->morph_literal_base_) {
    OnMorphMatch(*c, id, to);
    return 0;
  }
  // Literals and the text are in the scan encoding, so a match that starts on the first byte of
  // a code point ends on the last byte of one; text->flags tells code point starts and whether
  // the code point before `from` or at `to` is a word character.
  const std::size_t size = c->text->size;
  const std::uint8_t* flags = c->text->flags.data();
  const PatternMeta& pattern = c->patterns[id];
  const std::size_t length = pattern.length;  // start = end - length
  if (to > size || to < length || length == 0) return 0;
  const std::size_t from = to - length;
  if ((flags[from] & MatchText::kContinuation) != 0) return 0;  // inside an escaped code point
  if (from > 0 && (flags[from - 1] & MatchText::kWord) != 0) return 0;
  std::size_t end = to;
  if (end < size && (flags[end] & MatchText::kWord) != 0) {
    if (!pattern.prefix) return 0;
    while (end < size && (flags[end] & MatchText::kWord) != 0) ++end;  // the whole word
  }
  if (c->skip_proper_names && pattern.prefix &&
      internal::LooksLikeSurname(*c->text, c->original, from, to, end)) {
    return 0;
  }
  c->hits->push_back(Hit{id, c->text->OriginalBegin(from), c->text->OriginalEnd(end)});
  return 0;
}

void ClassifierImpl::Scan(const MatchText& text, std::string_view original,
                          std::vector<Hit>& hits,
                          std::vector<internal::MorphHit>& morph_hits) const {
  // `text` is the normalised text followed by its transliterated Latin runs (one pass).
  if (database_ == nullptr || text.size == 0) return;
  hs_scratch_t* scratch = Scratch();
  if (scratch == nullptr) return;
  if (!morph_literals_.empty()) internal::StartMorphText();
  ScanContext ctx{pattern_meta_.data(), &text,    &hits, this, &morph_hits, original,
                  skip_proper_names_};
  hs_scan(database_, text.text.data(), static_cast<unsigned int>(text.size), 0, scratch,
          &ClassifierImpl::OnMatch, &ctx);
}

Classification ClassifierImpl::Run(std::string_view text, Detail* detail) const {
  Classification out;
  RunScratch& rs = t_run;
  rs.hits.clear();
  normalizer_.NormalizeForMatching(text, rs.normalized, &out.language);
  // Hits in scan order. The same hit twice (a pattern in a Latin word and in its
  // transliteration) changes nothing below: matches and place mentions are merged by span.
  Scan(rs.normalized, text, rs.hits, rs.morph_hits);
  if (!rs.normalized.masked.empty()) MatchMasked(rs.normalized, rs.hits);
  const std::uint8_t lang_bits = LanguageBits(out.language);

  const std::uint64_t epoch = ++rs.epoch;
  if (rs.groups.size() < watchers_begin_.size()) rs.groups.resize(watchers_begin_.size());
  if (rs.rule_stamps.size() < rules_.size()) rs.rule_stamps.resize(rules_.size());
  // Each rule is evaluated at most once per text: room for all, no growth checks.
  if (rs.to_evaluate.size() < rules_.size()) rs.to_evaluate.resize(rules_.size());
  GroupState* const groups = rs.groups.data();
  std::uint64_t* const rule_stamps = rs.rule_stamps.data();
  std::uint32_t* const to_evaluate = rs.to_evaluate.data();
  std::size_t evaluate_count = 0;
  rs.entries.clear();
  rs.matched.clear();
  std::vector<PlaceRef>& mentions = rs.places;
  mentions.clear();

  // Every hit marks the groups of its terms (of the text's language); the first hit of a group
  // puts its watchers to be evaluated.
  for (std::uint32_t h = 0; h < rs.hits.size(); ++h) {
    const PatternMeta& p = pattern_meta_[rs.hits[h].pattern];
    for (std::uint32_t u = p.uses_begin; u < p.uses_end; ++u) {
      const GroupUse& use = uses_[u];
      if ((use.langs & lang_bits) == 0) continue;
      GroupState& g = groups[use.group];
      if (g.stamp != epoch) {
        g.stamp = epoch;
        g.head = kNoEntry;
        for (std::uint32_t w = watchers_begin_[use.group]; w < watchers_begin_[use.group + 1];
             ++w) {
          const std::uint32_t rule = watchers_[w];
          if (rule_stamps[rule] == epoch) continue;
          rule_stamps[rule] = epoch;
          to_evaluate[evaluate_count++] = rule;
        }
      }
      rs.entries.push_back(GroupHit{h, use.term, g.head});
      g.head = static_cast<std::uint32_t>(rs.entries.size() - 1);
    }
    if (p.place) mentions.push_back(PlaceRef{rs.hits[h].begin, rs.hits[h].end, rs.hits[h].pattern});
  }
  const GroupHit* const entries = rs.entries.data();
  const Hit* const hits = rs.hits.data();
  auto group_hit = [&](std::uint32_t group) { return groups[group].stamp == epoch; };
  // Word number of an original offset: words of the normalised text (before the transliteration).
  auto word_of = [&rs](std::uint32_t original_offset) -> std::uint32_t {
    const std::vector<std::uint32_t>& starts = rs.normalized.word_starts;
    const auto it = std::upper_bound(starts.begin(), starts.end(), original_offset);
    return static_cast<std::uint32_t>(it - starts.begin());
  };
  // A negation cue within negation_window_ words of `hit`, in the same sentence, not overlapping.
  auto negated = [&](const Hit& hit) {
    if (negation_group_ == kNoEntry || !group_hit(negation_group_)) return false;
    const std::uint32_t first = word_of(hit.begin);
    const std::uint32_t last = word_of(hit.end - 1);
    const auto window = static_cast<std::uint32_t>(negation_window_);
    for (std::uint32_t e = groups[negation_group_].head; e != kNoEntry; e = entries[e].next) {
      const Hit& cue = hits[entries[e].hit];
      if (cue.begin < hit.end && hit.begin < cue.end) continue;
      if (cue.end <= hit.begin) {
        if (first - word_of(cue.end - 1) > window) continue;
        if (!SameSentence(text, cue.end, hit.begin)) continue;
      } else {
        if (word_of(cue.begin) - last > window) continue;
        if (!SameSentence(text, hit.end, cue.begin)) continue;
      }
      return true;
    }
    return false;
  };
  // Exceptions hide the overlapping hits of the same rule (not its `none` hits); in a negatable
  // rule, so does negation.
  auto hidden = [&](const CompiledRule& rule, const Hit& hit) {
    if (rule.negatable && negated(hit)) return true;
    for (std::uint32_t k = rule.items_begin; k < rule.items_end; ++k) {
      const RuleItem& item = items_[k];
      if (item.clause != Clause::kException || !group_hit(item.group)) continue;
      for (std::uint32_t e = groups[item.group].head; e != kNoEntry; e = entries[e].next) {
        const Hit& x = hits[entries[e].hit];
        if (x.begin < hit.end && hit.begin < x.end) return true;
      }
    }
    return false;
  };
  // A positive item of `rule` holds: a hit of its group that no exception of the rule hides.
  auto item_holds = [&](const CompiledRule& rule, const RuleItem& item) {
    if (!group_hit(item.group)) return false;
    if (!rule.filters_hits) return true;
    for (std::uint32_t e = groups[item.group].head; e != kNoEntry; e = entries[e].next) {
      if (!hidden(rule, hits[entries[e].hit])) return true;
    }
    return false;
  };
  // True when a hit of near[0] and one of near[1] are at most within_words words apart.
  auto near_ok = [&](const CompiledRule& rule) {
    rs.near_a.clear();
    rs.near_b.clear();
    for (std::uint32_t k = rule.items_begin; k < rule.items_end; ++k) {
      const RuleItem& item = items_[k];
      if (item.clause != Clause::kNearA && item.clause != Clause::kNearB) continue;
      if (!group_hit(item.group)) continue;
      std::vector<std::uint32_t>& words = item.clause == Clause::kNearA ? rs.near_a : rs.near_b;
      for (std::uint32_t e = groups[item.group].head; e != kNoEntry; e = entries[e].next) {
        const Hit& hit = hits[entries[e].hit];
        if (rule.filters_hits && hidden(rule, hit)) continue;
        words.push_back(word_of(hit.begin));
      }
    }
    const auto within = static_cast<std::uint32_t>(rule.within_words);
    for (std::uint32_t a : rs.near_a) {
      for (std::uint32_t b : rs.near_b) {
        const std::uint32_t d = a > b ? a - b : b - a;
        if (d <= within) return true;
      }
    }
    return false;
  };

  rs.categories.assign(category_names_.size(), 0);
  std::optional<Severity> floor;
  auto raise = [&floor](std::optional<Severity> s) {
    if (s && (!floor || *s > *floor)) floor = s;
  };
  rs.fired.clear();
  for (std::size_t t = 0; t < evaluate_count; ++t) {
    const std::uint32_t index = to_evaluate[t];
    const CompiledRule& rule = rules_[index];
    bool any = false;
    bool none = false;
    bool positive = false;  // some any/all/near item holds
    std::uint64_t all_mask = 0;
    for (std::uint32_t k = rule.items_begin; k < rule.items_end; ++k) {
      const RuleItem& item = items_[k];
      switch (item.clause) {
        case Clause::kAny:
          if (!any && item_holds(rule, item)) any = positive = true;
          break;
        case Clause::kAll:
          if (item_holds(rule, item)) {
            all_mask |= std::uint64_t{1} << item.index;
            positive = true;
          }
          break;
        case Clause::kNone:
          if (group_hit(item.group)) none = true;
          break;
        case Clause::kNearA:
        case Clause::kNearB:
          if (!positive && item_holds(rule, item)) positive = true;
          break;
        case Clause::kException: break;
      }
    }
    const std::uint64_t required = rule.all_required[lang_bits];
    const bool fires = positive && !none && (rule.any_count == 0 || any) &&
                       (all_mask & required) == required && (!rule.has_near || near_ok(rule));
    if (fires) rs.fired.push_back(index);
  }
  std::sort(rs.fired.begin(), rs.fired.end());  // the score is summed in rule order
  for (std::uint32_t index : rs.fired) {
    const CompiledRule& rule = rules_[index];
    if (detail != nullptr) detail->fired_rules.push_back(index);
    out.score += rule.weight;
    rs.categories[rule.category_index] = 1;
    raise(rule.severity);
    // Matches: every hit of a positive item that no exception of the rule hides.
    for (std::uint32_t k = rule.items_begin; k < rule.items_end; ++k) {
      const RuleItem& item = items_[k];
      if (item.clause == Clause::kNone || item.clause == Clause::kException ||
          !group_hit(item.group)) {
        continue;
      }
      for (std::uint32_t e = groups[item.group].head; e != kNoEntry; e = entries[e].next) {
        const Hit& hit = hits[entries[e].hit];
        if (rule.filters_hits && hidden(rule, hit)) continue;
        rs.matched.push_back(MatchRef{std::uint64_t{hit.begin} << 32 | hit.end,
                                      std::uint64_t{rule.id_rank} << 32 | entries[e].term, index,
                                      entries[e].term});
      }
    }
  }
  // Ordered by (begin, end, rule id, term), one per span and rule.
  std::sort(rs.matched.begin(), rs.matched.end(), [](const MatchRef& a, const MatchRef& b) {
    return a.span != b.span ? a.span < b.span : a.order < b.order;
  });
  out.matches.reserve(rs.matched.size());
  for (std::size_t i = 0; i < rs.matched.size(); ++i) {
    const MatchRef& m = rs.matched[i];
    if (i > 0 && rs.matched[i - 1].span == m.span && rs.matched[i - 1].rule == m.rule) continue;
    const CompiledRule& rule = rules_[m.rule];
#if defined(__cpp_aggregate_paren_init)  // built in place, strings copy-constructed
    out.matches.emplace_back(rule.id, rule.category, terms_[m.term], m.begin(), m.end());
#else  // clang 14 (the fuzz build) has no parenthesised aggregate init
    out.matches.push_back(Match{rule.id, rule.category, terms_[m.term], m.begin(), m.end()});
#endif
  }

  // Place mentions: overlapping names keep the longest; the same span merges candidates.
  std::sort(mentions.begin(), mentions.end(), [](const PlaceRef& a, const PlaceRef& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end > b.end;
  });
  std::vector<std::uint32_t>& candidates = rs.candidates;  // area indexes of out.places.back()
  // The most specific unambiguous area; a tie between different areas at that depth -> none.
  int best_depth = -1;
  std::uint32_t best_area = 0;
  bool tie = false;
  auto finish_place = [&] {  // candidates of out.places.back() are complete
    PlaceMention& m = out.places.back();
    for (std::uint32_t a : candidates) m.candidates.push_back(areas_[a].code);
    std::sort(m.candidates.begin(), m.candidates.end());
    if (candidates.size() != 1) return;
    const int depth = area_depth_[candidates[0]];
    if (depth > best_depth) {
      best_depth = depth;
      best_area = candidates[0];
      tie = false;
    } else if (depth == best_depth && best_area != candidates[0]) {
      tie = true;
    }
  };
  for (const PlaceRef& m : mentions) {
    if (!out.places.empty()) {
      const PlaceMention& last = out.places.back();
      if (m.begin == last.begin && m.end == last.end) {
        for (std::uint32_t a : patterns_[m.pattern].areas) {
          if (std::find(candidates.begin(), candidates.end(), a) == candidates.end()) {
            candidates.push_back(a);
          }
        }
        continue;
      }
      if (m.begin < last.end) continue;
      finish_place();
    }
    PlaceMention& place = out.places.emplace_back();
    place.name = std::string(text.substr(m.begin, m.end - m.begin));
    place.begin = m.begin;
    place.end = m.end;
    candidates.assign(patterns_[m.pattern].areas.begin(), patterns_[m.pattern].areas.end());
  }
  if (!out.places.empty()) {
    finish_place();
    rs.categories[place_category_] = 1;
    out.score += place_weight_;
    if (best_depth >= 0) out.area = areas_[best_area].code;
  }
  if (tie) out.area.reset();

  // Tension: combinations of categories found by the rules above (not by other tension rules).
  std::vector<std::uint32_t> tension_categories;
  for (std::uint32_t i = 0; i < tensions_.size(); ++i) {
    const CompiledTension& t = tensions_[i];
    const bool fires = std::all_of(t.all_category_indexes.begin(), t.all_category_indexes.end(),
                                   [&rs](std::uint32_t c) { return rs.categories[c] != 0; });
    if (!fires) continue;
    if (detail != nullptr) detail->fired_tensions.push_back(i);
    out.score += t.weight;
    tension_categories.push_back(t.category_index);
    raise(t.severity);
  }
  for (std::uint32_t c : tension_categories) rs.categories[c] = 1;
  std::size_t category_count = 0;
  for (char c : rs.categories) category_count += c != 0 ? 1 : 0;
  out.categories.reserve(category_count);
  for (std::uint32_t c = 0; c < category_names_.size(); ++c) {  // in name order
    if (rs.categories[c] != 0) out.categories.push_back(category_names_[c]);
  }

  if (out.score < 0) out.score = 0;  // negative rule weights (docs/RULES.md "Scoring")
  out.rules_score = out.score;     // the rules' part, after the clamp (docs/MODELS.md)
  Severity severity = Severity::kInfo;
  for (int i = 3; i >= 0; --i) {
    if (out.score >= thresholds_[static_cast<std::size_t>(i)]) {
      severity = static_cast<Severity>(i + 1);
      break;
    }
  }
  if (floor && *floor > severity) severity = *floor;
  out.severity = severity;
  return out;
}

void ClassifierImpl::CheckExamples(const internal::RuleSetSpec& spec,
                                   std::vector<std::string>& errors) const {
  auto check = [&](const std::string& file, const std::string& id, const internal::Examples& ex,
                   bool tension, std::uint32_t index) {
    for (const auto& [want, list] : {std::pair{true, &ex.match}, std::pair{false, &ex.no_match}}) {
      for (const auto& [text, line] : *list) {
        Detail detail;
        Run(text, &detail);
        const auto& fired = tension ? detail.fired_tensions : detail.fired_rules;
        const bool got = std::find(fired.begin(), fired.end(), index) != fired.end();
        if (got == want) continue;
        const char* problem =
            want ? " expected match but got none" : " expected no match but matched";
        errors.push_back(file + ":" + std::to_string(line) + ": rule " + id + ": example " +
                         Quote(text) + problem);
      }
    }
  };
  for (std::uint32_t i = 0; i < spec.rules.size(); ++i) {
    check(spec.rules[i].file, spec.rules[i].id, spec.rules[i].examples, false, i);
  }
  for (std::uint32_t i = 0; i < spec.tensions.size(); ++i) {
    check(spec.tensions[i].file, spec.tensions[i].id, spec.tensions[i].examples, true, i);
  }
}

std::string BaseName(const std::string& path) {
  std::string_view p = path;
  if (p.starts_with(config::kEmbeddedPrefix)) p.remove_prefix(config::kEmbeddedPrefix.size());
  const std::size_t slash = p.find_last_of('/');
  return std::string(slash == std::string_view::npos ? p : p.substr(slash + 1));
}

// Parses, validates, compiles and checks `files` (name, contents); `names` are the paths reported
// in info().files.
Result<std::shared_ptr<const Classifier>> BuildFromSources(
    const std::vector<std::pair<std::string, std::string>>& files, std::vector<std::string> errors,
    const config::AreaTree& areas, TimeMs now) {
  internal::RuleSetSpec spec;
  std::vector<std::pair<std::string, std::string>> hashed;  // base name, contents
  std::vector<std::string> names;
  for (const auto& [path, contents] : files) {
    internal::ParseRuleFile(path, contents, spec, errors);
    hashed.emplace_back(BaseName(path), contents);
    names.push_back(path);
  }
  internal::Validate(spec, errors);
  auto classifier = std::make_shared<ClassifierImpl>();
  if (errors.empty()) classifier->Build(spec, areas, errors);
  if (errors.empty()) classifier->CheckExamples(spec, errors);
  if (!errors.empty()) {
    std::string message;
    for (const std::string& e : errors) message += (message.empty() ? "" : "\n") + e;
    return MakeError(ErrorCode::kInvalidArgument, message);
  }
  std::sort(hashed.begin(), hashed.end());
  std::string material;
  for (const auto& [name, contents] : hashed) {
    material += name + '\0' + std::to_string(contents.size()) + '\0' + contents;
  }
  RuleSetInfo& info = classifier->mutable_info();
  info.version = Sha256Hex(material);
  info.loaded_at = now;
  info.files = std::move(names);
  return std::shared_ptr<const Classifier>(std::move(classifier));
}

Result<std::shared_ptr<const Classifier>> LoadImpl(const std::string& rules_dir,
                                                   const config::AreaTree& areas, TimeMs now) {
  Result<std::vector<std::string>> files = config::ListYamlFiles(rules_dir);
  if (!files) return tl::unexpected(files.error());
  std::vector<std::string> errors;
  std::vector<std::pair<std::string, std::string>> sources;
  for (const std::string& path : *files) {
    Result<std::string> contents = config::ReadTextFile(path);
    if (!contents) {
      errors.push_back(contents.error().message);
      continue;
    }
    sources.emplace_back(path, std::move(*contents));
  }
  return BuildFromSources(sources, std::move(errors), areas, now);
}

}  // namespace

Result<std::shared_ptr<const Classifier>> Classifier::Load(const std::string& rules_dir,
                                                           const config::AreaTree& areas,
                                                           TimeMs now) {
  try {
    return LoadImpl(rules_dir, areas, now);
  } catch (const std::exception& e) {
    return MakeError(ErrorCode::kInternal, std::string("loading rules failed: ") + e.what());
  }
}

Result<std::shared_ptr<const Classifier>> Classifier::LoadFromSources(
    const std::vector<std::pair<std::string, std::string>>& files, const config::AreaTree& areas,
    TimeMs now) {
  try {
    return BuildFromSources(files, {}, areas, now);
  } catch (const std::exception& e) {
    return MakeError(ErrorCode::kInternal, std::string("loading rules failed: ") + e.what());
  }
}

}  // namespace sakchy::classifier

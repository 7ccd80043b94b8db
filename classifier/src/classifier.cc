#include "classifier/classifier.h"

#include <hs/hs.h>

#include <algorithm>
#include <atomic>
#include <exception>
#include <filesystem>
#include <map>
#include <set>
#include <unordered_map>
#include <utility>

#include "config/files.h"
#include "core/crypto.h"
#include "normalizer.h"
#include "rules.h"

namespace sakchy::classifier {
namespace {

using internal::NormalizedText;
using internal::Normalizer;

enum class Clause : std::uint8_t { kAny, kAll, kNone };

// Where a compiled pattern is used: one item of one rule.
struct TermUse {
  std::uint32_t rule;
  Clause clause;
  std::uint32_t item;
  std::string term;  // as written in the rule or list
};

struct Pattern {
  std::string literal;  // normalised term; matched as a Hyperscan literal
  bool prefix = false;
  std::vector<TermUse> uses;
  std::vector<std::uint32_t> areas;  // indexes into areas_ for place names
  std::string origin;                // "file:line: rule id: term 'x'" for error messages
};

struct CompiledRule {
  std::string id;
  std::string category;
  double weight = 0;
  std::optional<Severity> severity;
  std::uint32_t any_count = 0;
  std::uint32_t all_count = 0;
};

struct CompiledTension {
  std::string id;
  std::string category;
  double weight = 0;
  std::optional<Severity> severity;
  std::vector<std::string> all_categories;
};

struct Hit {
  std::uint32_t pattern;
  std::uint32_t begin;  // original offsets
  std::uint32_t end;
  bool operator<(const Hit& o) const {
    return std::tie(pattern, begin, end) < std::tie(o.pattern, o.begin, o.end);
  }
  bool operator==(const Hit& o) const {
    return pattern == o.pattern && begin == o.begin && end == o.end;
  }
};

struct Detail {
  std::vector<std::uint32_t> fired_rules;
  std::vector<std::uint32_t> fired_tensions;
};

std::atomic<std::uint64_t> g_next_instance{1};

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

// The literal for a normalised term, trimmed; empty when it has no letter or digit. The
// normaliser has reduced every separator run to one space, so a phrase is a literal too.
std::string LiteralFor(std::string_view normalized) {
  while (!normalized.empty() && normalized.front() == ' ') normalized.remove_prefix(1);
  while (!normalized.empty() && normalized.back() == ' ') normalized.remove_suffix(1);
  bool has_word = false;
  std::size_t pos = 0;
  while (pos < normalized.size() && !has_word) {
    has_word = internal::IsWordChar(internal::DecodeUtf8(normalized, pos));
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
  void AddRuleTerms(const internal::RuleSetSpec& spec, std::uint32_t rule_index,
                    const internal::RuleSpec& rule, std::vector<std::string>& errors);
  Classification Run(std::string_view text, Detail* detail) const;
  void Scan(const NormalizedText& text, std::vector<Hit>& hits) const;
  hs_scratch_t* Scratch() const;
  static int OnMatch(unsigned int id, unsigned long long from, unsigned long long to,
                     unsigned int flags, void* ctx);

  const std::uint64_t instance_;
  Normalizer normalizer_;
  std::vector<Pattern> patterns_;
  std::unordered_map<std::string, std::uint32_t> pattern_index_;  // (prefix, expression) -> index
  std::vector<CompiledRule> rules_;
  std::vector<CompiledTension> tensions_;
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
    p.prefix = prefix;
    p.origin = origin;
    patterns_.push_back(std::move(p));
  }
  return it->second;
}

void ClassifierImpl::AddRuleTerms(const internal::RuleSetSpec& spec, std::uint32_t rule_index,
                                  const internal::RuleSpec& rule,
                                  std::vector<std::string>& errors) {
  const std::pair<const std::vector<internal::TermItem>*, Clause> clauses[] = {
      {&rule.any, Clause::kAny}, {&rule.all, Clause::kAll}, {&rule.none, Clause::kNone}};
  for (const auto& [items, clause] : clauses) {
    for (std::uint32_t i = 0; i < items->size(); ++i) {
      const internal::TermItem& item = (*items)[i];
      std::vector<std::pair<std::string, std::string>> terms;  // term, origin
      if (item.text.starts_with("@")) {
        auto list = spec.lists.find(item.text.substr(1));
        if (list == spec.lists.end()) continue;  // reported by Validate
        for (const internal::TermItem& t : list->second.terms) {
          terms.emplace_back(t.text, list->second.file + ":" + std::to_string(t.line) +
                                         ": rule " + rule.id + ": term " + Quote(t.text) +
                                         " (list " + item.text + ")");
        }
      } else {
        terms.emplace_back(item.text, rule.file + ":" + std::to_string(item.line) + ": rule " +
                                          rule.id + ": term " + Quote(item.text));
      }
      for (const auto& [term, origin] : terms) {
        const bool prefix = term.size() > 1 && term.back() == '*';
        bool ok = false;
        const std::uint32_t p =
            PatternFor(prefix ? std::string_view(term).substr(0, term.size() - 1) : term, prefix,
                       origin, errors, ok);
        if (ok) patterns_[p].uses.push_back(TermUse{rule_index, clause, i, term});
      }
    }
  }
}

void ClassifierImpl::Build(const internal::RuleSetSpec& spec, const config::AreaTree& areas,
                           std::vector<std::string>& errors) {
  thresholds_ = spec.thresholds;
  place_weight_ = spec.place_weight;
  for (const internal::RuleSpec& r : spec.rules) {
    const auto index = static_cast<std::uint32_t>(rules_.size());
    rules_.push_back(CompiledRule{r.id, r.category, r.weight, r.severity,
                                  static_cast<std::uint32_t>(r.any.size()),
                                  static_cast<std::uint32_t>(r.all.size())});
    AddRuleTerms(spec, index, r, errors);
  }
  for (const internal::TensionSpec& t : spec.tensions) {
    tensions_.push_back(CompiledTension{t.id, t.category, t.weight, t.severity, t.all_categories});
  }
  info_.term_count = patterns_.size();

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

  // Every pattern is a literal over normalised text (separators are single spaces), so the
  // literal compiler is used: the same matches as escaped regexes, far faster to compile.
  std::vector<const char*> literals;
  std::vector<std::size_t> lengths;
  std::vector<unsigned int> flags;
  std::vector<unsigned int> ids;
  for (std::uint32_t i = 0; i < patterns_.size(); ++i) {
    literals.push_back(patterns_[i].literal.data());
    lengths.push_back(patterns_[i].literal.size());
    flags.push_back(0);
    ids.push_back(i);
  }
  hs_compile_error_t* compile_error = nullptr;
  if (hs_compile_lit_multi(literals.data(), flags.data(), ids.data(), lengths.data(),
                           static_cast<unsigned int>(literals.size()), HS_MODE_BLOCK, nullptr,
                           &database_, &compile_error) != HS_SUCCESS) {
    std::string where = "hyperscan";
    if (compile_error != nullptr && compile_error->expression >= 0 &&
        static_cast<std::size_t>(compile_error->expression) < patterns_.size()) {
      where = patterns_[static_cast<std::size_t>(compile_error->expression)].origin;
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
  const std::vector<Pattern>* patterns;
  const NormalizedText* text;
  std::vector<Hit>* hits;
};

int ClassifierImpl::OnMatch(unsigned int id, unsigned long long /*from*/, unsigned long long to,
                            unsigned int /*flags*/, void* ctx) {
  const auto* c = static_cast<const ScanContext*>(ctx);
  const std::string& s = c->text->text;
  const std::size_t length = (*c->patterns)[id].literal.size();  // start = end - length
  if (to > s.size() || to < length || length == 0) return 0;
  const std::size_t from = to - length;
  if (internal::IsWordChar(internal::DecodeUtf8Before(s, from))) return 0;
  std::size_t end = to;
  if (end < s.size()) {
    std::size_t pos = end;
    const bool word_follows = internal::IsWordChar(internal::DecodeUtf8(s, pos));
    if (word_follows && !(*c->patterns)[id].prefix) return 0;
    if ((*c->patterns)[id].prefix) {  // report the whole word
      while (end < s.size()) {
        pos = end;
        if (!internal::IsWordChar(internal::DecodeUtf8(s, pos))) break;
        end = pos;
      }
    }
  }
  c->hits->push_back(Hit{id, c->text->OriginalBegin(from), c->text->OriginalEnd(end)});
  return 0;
}

void ClassifierImpl::Scan(const NormalizedText& text, std::vector<Hit>& hits) const {
  if (database_ == nullptr || text.text.empty()) return;
  hs_scratch_t* scratch = Scratch();
  if (scratch == nullptr) return;
  ScanContext ctx{&patterns_, &text, &hits};
  hs_scan(database_, text.text.data(), static_cast<unsigned int>(text.text.size()), 0, scratch,
          &ClassifierImpl::OnMatch, &ctx);
}

Classification ClassifierImpl::Run(std::string_view text, Detail* detail) const {
  Classification out;
  std::vector<Hit> hits;
  const NormalizedText normalized = normalizer_.Normalize(text);
  Scan(normalized, hits);
  NormalizedText transliterated;
  if (normalizer_.Transliterate(normalized, transliterated)) Scan(transliterated, hits);
  std::sort(hits.begin(), hits.end());
  hits.erase(std::unique(hits.begin(), hits.end()), hits.end());

  // Rule logic, only for rules with hits.
  struct RuleState {
    std::vector<bool> any;
    std::vector<bool> all;
    bool none = false;
    std::vector<std::pair<const Hit*, const TermUse*>> matched;
  };
  std::map<std::uint32_t, RuleState> states;
  std::vector<PlaceMention> mentions;
  for (const Hit& hit : hits) {
    const Pattern& p = patterns_[hit.pattern];
    for (const TermUse& use : p.uses) {
      auto [it, inserted] = states.try_emplace(use.rule);
      RuleState& st = it->second;
      if (inserted) {
        st.any.assign(rules_[use.rule].any_count, false);
        st.all.assign(rules_[use.rule].all_count, false);
      }
      switch (use.clause) {
        case Clause::kAny: st.any[use.item] = true; break;
        case Clause::kAll: st.all[use.item] = true; break;
        case Clause::kNone: st.none = true; break;
      }
      if (use.clause != Clause::kNone) st.matched.emplace_back(&hit, &use);
    }
    if (!p.areas.empty()) {
      PlaceMention m;
      m.name = std::string(text.substr(hit.begin, hit.end - hit.begin));
      m.begin = hit.begin;
      m.end = hit.end;
      for (std::uint32_t a : p.areas) m.candidates.push_back(areas_[a].code);
      mentions.push_back(std::move(m));
    }
  }

  std::set<std::string> categories;
  std::optional<Severity> floor;
  auto raise = [&floor](std::optional<Severity> s) {
    if (s && (!floor || *s > *floor)) floor = s;
  };
  for (auto& [index, st] : states) {
    const CompiledRule& rule = rules_[index];
    const bool any_ok = rule.any_count == 0 || std::find(st.any.begin(), st.any.end(), true) !=
                                                   st.any.end();
    const bool all_ok = std::find(st.all.begin(), st.all.end(), false) == st.all.end();
    if (!any_ok || !all_ok || st.none) continue;
    if (detail != nullptr) detail->fired_rules.push_back(index);
    out.score += rule.weight;
    categories.insert(rule.category);
    raise(rule.severity);
    for (const auto& [hit, use] : st.matched) {
      out.matches.push_back(Match{rule.id, rule.category, use->term, hit->begin, hit->end});
    }
  }

  // Place mentions: overlapping names keep the longest; the same span merges candidates.
  std::sort(mentions.begin(), mentions.end(), [](const PlaceMention& a, const PlaceMention& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end > b.end;
  });
  for (PlaceMention& m : mentions) {
    if (!out.places.empty()) {
      PlaceMention& last = out.places.back();
      if (m.begin == last.begin && m.end == last.end) {
        for (AreaCode& c : m.candidates) {
          if (std::find(last.candidates.begin(), last.candidates.end(), c) ==
              last.candidates.end()) {
            last.candidates.push_back(std::move(c));
          }
        }
        continue;
      }
      if (m.begin < last.end) continue;
    }
    out.places.push_back(std::move(m));
  }
  for (PlaceMention& m : out.places) std::sort(m.candidates.begin(), m.candidates.end());
  if (!out.places.empty()) {
    categories.insert("place");
    out.score += place_weight_;
  }

  // The most specific unambiguous area; a tie between different areas at that depth -> none.
  int best_depth = -1;
  bool tie = false;
  for (const PlaceMention& m : out.places) {
    if (m.candidates.size() != 1) continue;
    auto it = std::find_if(areas_.begin(), areas_.end(),
                           [&m](const config::Area& a) { return a.code == m.candidates[0]; });
    const int depth = area_depth_[static_cast<std::size_t>(it - areas_.begin())];
    if (depth > best_depth) {
      best_depth = depth;
      out.area = m.candidates[0];
      tie = false;
    } else if (depth == best_depth && *out.area != m.candidates[0]) {
      tie = true;
    }
  }
  if (tie) out.area.reset();

  // Tension: combinations of categories found by the rules above.
  std::set<std::string> tension_categories;
  for (std::uint32_t i = 0; i < tensions_.size(); ++i) {
    const CompiledTension& t = tensions_[i];
    const bool fires = std::all_of(t.all_categories.begin(), t.all_categories.end(),
                                   [&categories](const std::string& c) {
                                     return categories.contains(c);
                                   });
    if (!fires) continue;
    if (detail != nullptr) detail->fired_tensions.push_back(i);
    out.score += t.weight;
    tension_categories.insert(t.category);
    raise(t.severity);
  }
  categories.insert(tension_categories.begin(), tension_categories.end());
  out.categories.assign(categories.begin(), categories.end());

  Severity severity = Severity::kInfo;
  for (int i = 3; i >= 0; --i) {
    if (out.score >= thresholds_[static_cast<std::size_t>(i)]) {
      severity = static_cast<Severity>(i + 1);
      break;
    }
  }
  if (floor && *floor > severity) severity = *floor;
  out.severity = severity;

  std::sort(out.matches.begin(), out.matches.end(), [](const Match& a, const Match& b) {
    return std::tie(a.begin, a.end, a.rule_id, a.term) <
           std::tie(b.begin, b.end, b.rule_id, b.term);
  });
  out.matches.erase(std::unique(out.matches.begin(), out.matches.end(),
                                [](const Match& a, const Match& b) {
                                  return a.begin == b.begin && a.end == b.end &&
                                         a.rule_id == b.rule_id;
                                }),
                    out.matches.end());
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

Result<std::shared_ptr<const Classifier>> LoadImpl(const std::string& rules_dir,
                                                   const config::AreaTree& areas, TimeMs now) {
  Result<std::vector<std::string>> files = config::ListYamlFiles(rules_dir);
  if (!files) return tl::unexpected(files.error());
  std::vector<std::string> errors;
  internal::RuleSetSpec spec;
  std::vector<std::pair<std::string, std::string>> hashed;  // base name, contents
  for (const std::string& path : *files) {
    Result<std::string> contents = config::ReadTextFile(path);
    if (!contents) {
      errors.push_back(contents.error().message);
      continue;
    }
    internal::ParseRuleFile(path, *contents, spec, errors);
    hashed.emplace_back(BaseName(path), std::move(*contents));
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
  info.files = *files;
  return std::shared_ptr<const Classifier>(std::move(classifier));
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

}  // namespace sakchy::classifier

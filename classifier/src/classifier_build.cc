// Compiling a rule set: terms into patterns (stemmed terms into their shared literals), rule
// items into groups and watchers, place names, and the one Hyperscan literal database.
#include <algorithm>
#include <map>
#include <utility>

#include "classifier_impl.h"
#include "core/utf8.h"

namespace sakchy::classifier::engine {
namespace {


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

}  // namespace

std::string Quote(std::string_view text) {
  constexpr std::size_t kMax = 60;
  if (text.size() <= kMax) return "'" + std::string(text) + "'";
  std::size_t cut = kMax;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return "'" + std::string(text.substr(0, cut)) + "...'";
}

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
  morph_literals_ = internal::GroupMorphLiterals(morph_terms_, morph_stems_);
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

}  // namespace sakchy::classifier::engine

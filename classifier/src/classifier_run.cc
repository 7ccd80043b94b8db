// Classify(): the rules of one text evaluated from its hits (groups, negation, exceptions, near),
// matches, places, tension rules, the score and the severity. Run() is the outline; each step is
// a member function below, in the order Run() calls them.
#include <algorithm>

#include "classifier_impl.h"

namespace sakchy::classifier::engine {
namespace {

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

}  // namespace

// Per-thread working memory of Run(), reused across calls and classifiers.
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

namespace {
thread_local RunScratch t_run;
}  // namespace

// One text during Run(): the scratch and the text's hits by group. A group was hit by this text
// when its stamp is this text's epoch; its hits are a list through `entries` from its head. The
// pointers are set once MarkGroups() has filled the vectors.
struct TextHits {
  RunScratch& rs;
  std::string_view original;
  std::uint64_t epoch = 0;
  std::uint8_t lang_bits = 0;
  std::size_t evaluate_count = 0;  // rs.to_evaluate[0, evaluate_count)
  GroupState* groups = nullptr;
  const GroupHit* entries = nullptr;
  const Hit* hits = nullptr;
  std::optional<Severity> floor;  // the highest severity a fired rule or tension sets

  bool IsHit(std::uint32_t group) const { return groups[group].stamp == epoch; }
  // Word number of an original offset: words of the normalised text (before the
  // transliteration).
  std::uint32_t WordOf(std::uint32_t original_offset) const {
    const std::vector<std::uint32_t>& starts = rs.normalized.word_starts;
    const auto it = std::upper_bound(starts.begin(), starts.end(), original_offset);
    return static_cast<std::uint32_t>(it - starts.begin());
  }
  void Raise(std::optional<Severity> s) {
    if (s && (!floor || *s > *floor)) floor = s;
  }
};

Classification ClassifierImpl::Run(std::string_view text, Detail* detail) const {
  Classification out;
  RunScratch& rs = t_run;
  rs.hits.clear();
  normalizer_.NormalizeForMatching(text, rs.normalized, &out.language);
  // Hits in scan order. The same hit twice (a pattern in a Latin word and in its
  // transliteration) changes nothing below: matches and place mentions are merged by span.
  Scan(rs.normalized, text, rs.hits, rs.morph_hits);
  if (!rs.normalized.masked.empty()) MatchMasked(rs.normalized, rs.hits);

  TextHits t{rs, text};
  t.epoch = ++rs.epoch;
  t.lang_bits = LanguageBits(out.language);
  MarkGroups(t);
  EvaluateRules(t);
  ScoreFired(t, out, detail);
  ResolvePlaces(t, out);
  Grade(t, out, detail);
  return out;
}

void ClassifierImpl::MarkGroups(TextHits& t) const {
  RunScratch& rs = t.rs;
  if (rs.groups.size() < watchers_begin_.size()) rs.groups.resize(watchers_begin_.size());
  if (rs.rule_stamps.size() < rules_.size()) rs.rule_stamps.resize(rules_.size());
  // Each rule is evaluated at most once per text: room for all, no growth checks.
  if (rs.to_evaluate.size() < rules_.size()) rs.to_evaluate.resize(rules_.size());
  GroupState* const groups = rs.groups.data();
  std::uint64_t* const rule_stamps = rs.rule_stamps.data();
  std::uint32_t* const to_evaluate = rs.to_evaluate.data();
  const std::uint64_t epoch = t.epoch;
  std::size_t evaluate_count = 0;
  rs.entries.clear();
  rs.places.clear();
  // The first hit of a group puts its watchers to be evaluated.
  for (std::uint32_t h = 0; h < rs.hits.size(); ++h) {
    const PatternMeta& p = pattern_meta_[rs.hits[h].pattern];
    for (std::uint32_t u = p.uses_begin; u < p.uses_end; ++u) {
      const GroupUse& use = uses_[u];
      if ((use.langs & t.lang_bits) == 0) continue;
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
    if (p.place) rs.places.push_back(PlaceRef{rs.hits[h].begin, rs.hits[h].end, rs.hits[h].pattern});
  }
  t.evaluate_count = evaluate_count;
  t.groups = groups;
  t.entries = rs.entries.data();
  t.hits = rs.hits.data();
}

bool ClassifierImpl::Negated(const TextHits& t, const Hit& hit) const {
  if (negation_group_ == kNoEntry || !t.IsHit(negation_group_)) return false;
  const std::uint32_t first = t.WordOf(hit.begin);
  const std::uint32_t last = t.WordOf(hit.end - 1);
  const auto window = static_cast<std::uint32_t>(negation_window_);
  for (std::uint32_t e = t.groups[negation_group_].head; e != kNoEntry; e = t.entries[e].next) {
    const Hit& cue = t.hits[t.entries[e].hit];
    if (cue.begin < hit.end && hit.begin < cue.end) continue;
    if (cue.end <= hit.begin) {
      if (first - t.WordOf(cue.end - 1) > window) continue;
      if (!SameSentence(t.original, cue.end, hit.begin)) continue;
    } else {
      if (t.WordOf(cue.begin) - last > window) continue;
      if (!SameSentence(t.original, hit.end, cue.begin)) continue;
    }
    return true;
  }
  return false;
}

bool ClassifierImpl::Hidden(const TextHits& t, const CompiledRule& rule, const Hit& hit) const {
  if (rule.negatable && Negated(t, hit)) return true;
  for (std::uint32_t k = rule.items_begin; k < rule.items_end; ++k) {
    const RuleItem& item = items_[k];
    if (item.clause != Clause::kException || !t.IsHit(item.group)) continue;
    for (std::uint32_t e = t.groups[item.group].head; e != kNoEntry; e = t.entries[e].next) {
      const Hit& x = t.hits[t.entries[e].hit];
      if (x.begin < hit.end && hit.begin < x.end) return true;
    }
  }
  return false;
}

bool ClassifierImpl::ItemHolds(const TextHits& t, const CompiledRule& rule,
                               const RuleItem& item) const {
  if (!t.IsHit(item.group)) return false;
  if (!rule.filters_hits) return true;
  for (std::uint32_t e = t.groups[item.group].head; e != kNoEntry; e = t.entries[e].next) {
    if (!Hidden(t, rule, t.hits[t.entries[e].hit])) return true;
  }
  return false;
}

bool ClassifierImpl::NearOk(TextHits& t, const CompiledRule& rule) const {
  RunScratch& rs = t.rs;
  rs.near_a.clear();
  rs.near_b.clear();
  for (std::uint32_t k = rule.items_begin; k < rule.items_end; ++k) {
    const RuleItem& item = items_[k];
    if (item.clause != Clause::kNearA && item.clause != Clause::kNearB) continue;
    if (!t.IsHit(item.group)) continue;
    std::vector<std::uint32_t>& words = item.clause == Clause::kNearA ? rs.near_a : rs.near_b;
    for (std::uint32_t e = t.groups[item.group].head; e != kNoEntry; e = t.entries[e].next) {
      const Hit& hit = t.hits[t.entries[e].hit];
      if (rule.filters_hits && Hidden(t, rule, hit)) continue;
      words.push_back(t.WordOf(hit.begin));
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
}

bool ClassifierImpl::Fires(TextHits& t, const CompiledRule& rule) const {
  bool any = false;
  bool none = false;
  bool positive = false;  // some any/all/near item holds
  std::uint64_t all_mask = 0;
  for (std::uint32_t k = rule.items_begin; k < rule.items_end; ++k) {
    const RuleItem& item = items_[k];
    switch (item.clause) {
      case Clause::kAny:
        if (!any && ItemHolds(t, rule, item)) any = positive = true;
        break;
      case Clause::kAll:
        if (ItemHolds(t, rule, item)) {
          all_mask |= std::uint64_t{1} << item.index;
          positive = true;
        }
        break;
      case Clause::kNone:
        if (t.IsHit(item.group)) none = true;
        break;
      case Clause::kNearA:
      case Clause::kNearB:
        if (!positive && ItemHolds(t, rule, item)) positive = true;
        break;
      case Clause::kException: break;
    }
  }
  const std::uint64_t required = rule.all_required[t.lang_bits];
  return positive && !none && (rule.any_count == 0 || any) &&
         (all_mask & required) == required && (!rule.has_near || NearOk(t, rule));
}

void ClassifierImpl::EvaluateRules(TextHits& t) const {
  std::vector<std::uint32_t>& fired = t.rs.fired;
  fired.clear();
  const std::uint32_t* const to_evaluate = t.rs.to_evaluate.data();
  for (std::size_t i = 0; i < t.evaluate_count; ++i) {
    if (Fires(t, rules_[to_evaluate[i]])) fired.push_back(to_evaluate[i]);
  }
  std::sort(fired.begin(), fired.end());
}

void ClassifierImpl::ScoreFired(TextHits& t, Classification& out, Detail* detail) const {
  RunScratch& rs = t.rs;
  rs.categories.assign(category_names_.size(), 0);
  rs.matched.clear();
  for (std::uint32_t index : rs.fired) {
    const CompiledRule& rule = rules_[index];
    if (detail != nullptr) detail->fired_rules.push_back(index);
    out.score += rule.weight;
    rs.categories[rule.category_index] = 1;
    t.Raise(rule.severity);
    // Matches: every hit of a positive item that no exception of the rule hides.
    for (std::uint32_t k = rule.items_begin; k < rule.items_end; ++k) {
      const RuleItem& item = items_[k];
      if (item.clause == Clause::kNone || item.clause == Clause::kException ||
          !t.IsHit(item.group)) {
        continue;
      }
      for (std::uint32_t e = t.groups[item.group].head; e != kNoEntry; e = t.entries[e].next) {
        const Hit& hit = t.hits[t.entries[e].hit];
        if (rule.filters_hits && Hidden(t, rule, hit)) continue;
        rs.matched.push_back(MatchRef{std::uint64_t{hit.begin} << 32 | hit.end,
                                      std::uint64_t{rule.id_rank} << 32 | t.entries[e].term,
                                      index, t.entries[e].term});
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
}

void ClassifierImpl::ResolvePlaces(TextHits& t, Classification& out) const {
  std::vector<PlaceRef>& mentions = t.rs.places;
  // Overlapping names keep the longest; the same span merges candidates.
  std::sort(mentions.begin(), mentions.end(), [](const PlaceRef& a, const PlaceRef& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end > b.end;
  });
  std::vector<std::uint32_t>& candidates = t.rs.candidates;  // area indexes of out.places.back()
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
    place.name = std::string(t.original.substr(m.begin, m.end - m.begin));
    place.begin = m.begin;
    place.end = m.end;
    candidates.assign(patterns_[m.pattern].areas.begin(), patterns_[m.pattern].areas.end());
  }
  if (!out.places.empty()) {
    finish_place();
    t.rs.categories[place_category_] = 1;
    out.score += place_weight_;
    if (best_depth >= 0) out.area = areas_[best_area].code;
  }
  if (tie) out.area.reset();
}

void ClassifierImpl::Grade(TextHits& t, Classification& out, Detail* detail) const {
  std::vector<char>& categories = t.rs.categories;
  // Tension: combinations of categories found by the rules above (not by other tension rules).
  std::vector<std::uint32_t> tension_categories;
  for (std::uint32_t i = 0; i < tensions_.size(); ++i) {
    const CompiledTension& tension = tensions_[i];
    const bool fires = std::all_of(tension.all_category_indexes.begin(),
                                   tension.all_category_indexes.end(),
                                   [&categories](std::uint32_t c) { return categories[c] != 0; });
    if (!fires) continue;
    if (detail != nullptr) detail->fired_tensions.push_back(i);
    out.score += tension.weight;
    tension_categories.push_back(tension.category_index);
    t.Raise(tension.severity);
  }
  for (std::uint32_t c : tension_categories) categories[c] = 1;
  std::size_t category_count = 0;
  for (char c : categories) category_count += c != 0 ? 1 : 0;
  out.categories.reserve(category_count);
  for (std::uint32_t c = 0; c < category_names_.size(); ++c) {  // in name order
    if (categories[c] != 0) out.categories.push_back(category_names_[c]);
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
  if (t.floor && *t.floor > severity) severity = *t.floor;
  out.severity = severity;
}

}  // namespace sakchy::classifier::engine

// Classify(): the rules of one text evaluated from its hits (groups, negation, exceptions, near),
// matches, places, tension rules, the score and the severity.
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

}  // namespace

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

}  // namespace sakchy::classifier::engine

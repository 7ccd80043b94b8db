#include "alerts/notifier.h"

#include <boost/json.hpp>

#include <algorithm>
#include <functional>
#include <queue>
#include <vector>

#include "alerts/contacts.h"
#include "core/crypto.h"
#include "core/json_text.h"
#include "notifier_state.h"
#include "route_tree.h"
#include "spread_json.h"

namespace sakchy::alerts {
namespace {

using namespace notifier_internal;  // NOLINT: the state types of notifier_state.h

}  // namespace

struct Notifier::Impl {
  Impl(const config::AlertsConfig& c, const config::AreaTree& a)
      : cfg(c), areas(a), routes(cfg.route, areas) {}

  config::AlertsConfig cfg;
  const config::AreaTree& areas;
  RouteTree routes;

  std::vector<config::Contact> contacts;
  std::unordered_map<std::string, std::size_t> contact_index;
  std::vector<Silence> silences;

  std::unordered_map<std::string, GroupState> groups;
  std::unordered_map<std::string, Rate> rates;
  std::unordered_map<std::string, Inhibition> inhibited;
  std::set<std::string> unnotified;  // groups that have not notified anyone yet
  DueQueue due;

  std::set<std::string> dirty_groups;
  std::set<std::string> dirty_rates;
  std::set<std::string> dirty_inhibited;

  // ---- Recipients ----

  const config::Contact* FindContact(const std::string& id) const {
    auto it = contact_index.find(id);
    return it == contact_index.end() ? nullptr : &contacts[it->second];
  }

  bool RoleOk(const std::vector<std::string>& roles, const config::Contact& c) const {
    return roles.empty() || Contains(roles, c.role);
  }

  // Contacts the route sends `in` to: explicit ones, or those whose areas cover the input's
  // (ancestors only from parent_min_severity up).
  std::vector<const config::Contact*> Recipients(const Route& r, const RoutingInput& in,
                                                 std::vector<std::string>& unreachable) const {
    std::vector<const config::Contact*> out;
    auto consider = [&](const config::Contact& c) {
      if (UsableChannels(c, cfg.channels).empty()) {
        if (!Contains(unreachable, c.id)) unreachable.push_back(c.id);
        return;
      }
      out.push_back(&c);
    };
    if (!r.contacts.empty()) {
      for (const auto& id : r.contacts) {
        const config::Contact* c = FindContact(id);
        if (c == nullptr || !RoleOk(r.roles, *c) || in.severity < c->min_severity) continue;
        consider(*c);
      }
      return out;
    }
    const std::vector<AreaCode> chain =
        in.area.empty() ? std::vector<AreaCode>{areas.root()} : areas.Ancestors(in.area);
    for (const auto& c : contacts) {
      if (!RoleOk(r.roles, c) || in.severity < c.min_severity) continue;
      if (!WantsCategories(c, in.categories)) continue;
      // The nearest of the contact's areas on the chain from the input's area up.
      std::optional<std::size_t> distance;
      for (const auto& a : c.areas) {
        for (std::size_t d = 0; d < chain.size(); ++d) {
          if (chain[d] == a && (!distance || d < *distance)) distance = d;
        }
      }
      if (!distance) continue;
      if (*distance > 0 && !r.parent_min_severity.empty()) {
        const std::size_t i = std::min(*distance - 1, r.parent_min_severity.size() - 1);
        if (in.severity < r.parent_min_severity[i]) continue;
      }
      consider(c);
    }
    return out;
  }

  // ---- Scheduling ----

  void Schedule(TimeMs at, DueType type, const std::string& key) { due.push(Due{at, type, key}); }

  // One pending expiry entry per group, so the schedule does not grow with every input (it held
  // one per routed event until resolve_after: ~45 bytes per event, 160 MB an hour at 1,000/s).
  void ScheduleExpiry(GroupState& g) {
    if (g.expiry_check_at != 0) return;
    g.expiry_check_at = g.last_input_at + cfg.resolve_after_ms;
    Schedule(g.expiry_check_at, DueType::kExpiry, g.key);
  }

  void ScheduleFlush(GroupState& g, TimeMs at) {
    if (g.next_flush_at != 0 && g.next_flush_at <= at) return;
    g.next_flush_at = at;
    Schedule(at, DueType::kFlush, g.key);
  }

  // ---- Inputs ----

  bool IsInhibited(const std::string& event_id, TimeMs now) const {
    auto it = inhibited.find(event_id);
    return it != inhibited.end() && it->second.until > now;
  }

  AddOutcome Add(const RoutingInput& in, TimeMs now) {
    AddOutcome outcome;
    if (in.kind == AlertKind::kEvent && IsInhibited(in.key, now)) {
      outcome.inhibited = true;
      return outcome;
    }
    for (const Route* leaf : routes.Destinations(in)) {
      const Route& r = *leaf;
      const std::string key = RouteTree::GroupKey(r, in);
      auto [it, created] = groups.try_emplace(key);
      GroupState& g = it->second;
      if (created) {
        g.key = key;
        g.route_id = r.id;
        g.kind = in.kind;
        g.subject = in.subject;
        g.area = in.area;
        g.severity = in.severity;
        g.first_at = now;
        unnotified.insert(key);
        ScheduleFlush(g, now + r.group_wait);
      } else {
        ScheduleFlush(g, std::max(now, g.last_flush_at + r.group_interval));
      }
      g.severity = std::max(g.severity, in.severity);
      for (const auto& c : in.categories) {
        if (!Contains(g.categories, c)) g.categories.push_back(c);
      }
      std::sort(g.categories.begin(), g.categories.end());
      for (const auto& e : in.event_ids) {
        if (Contains(g.event_ids, e)) continue;
        g.event_ids.push_back(e);
        ++g.events;
        if (g.event_ids.size() > kMaxGroupEvents) g.event_ids.erase(g.event_ids.begin());
      }
      if (!in.source.empty() && !Contains(g.sources, in.source) &&
          g.sources.size() < kMaxGroupSources) {
        g.sources.push_back(in.source);
      }
      g.signal_sources = std::max(g.signal_sources, in.sources);
      if (!in.summary.empty()) g.summary = in.summary;
      if (!in.reason.empty()) g.signal_reason = in.reason;
      if (in.spread) g.spread = in.spread;
      g.last_input_at = now;
      ScheduleExpiry(g);
      for (const config::Contact* c : Recipients(r, in, outcome.unreachable)) {
        g.recipients.try_emplace(c->id);
      }
      dirty_groups.insert(key);
      outcome.groups.push_back(key);
    }
    outcome.closed_for_capacity = KeepWithinCapacity(outcome.groups);
    MaybeCompactSchedule();
    return outcome;
  }

  // Whether a group's entry is the one the group waits for, not one superseded by a later
  // schedule (Tick acts only on these).
  static bool Current(const Due& d, const GroupState& g) {
    switch (d.type) {
      case DueType::kFlush: return g.next_flush_at == d.at;
      case DueType::kEscalation: return g.next_escalation_at == d.at;
      case DueType::kExpiry: return g.expiry_check_at == d.at;
      case DueType::kDigest: break;
    }
    return false;
  }

  // An entry Tick would pass over: its group or rate is gone, or it was superseded.
  bool Stale(const Due& d) const {
    if (d.type == DueType::kDigest) return !rates.contains(d.key);
    auto it = groups.find(d.key);
    return it == groups.end() || !Current(d, it->second);
  }

  // A group has at most three live entries (flush, escalation, expiry check) and a rate one
  // (digest); entries of closed groups wait for their time otherwise (up to resolve_after). The
  // schedule is swept when it holds far more than that: O(1) amortised per entry.
  void MaybeCompactSchedule() {
    if (due.size() <= 4 * (groups.size() + rates.size()) + 1024) return;
    due.EraseIf([this](const Due& d) { return Stale(d); });
  }

  // Closes groups while more than max_open_groups are open: in one pass down to 99 % of it, so
  // the O(groups) selection runs once per 1 % of the capacity. Never the groups of `keep` (the
  // input just added). Returns how many closed.
  std::size_t KeepWithinCapacity(const std::vector<std::string>& keep) {
    const std::size_t cap = std::max<std::size_t>(cfg.max_open_groups, 1);
    if (groups.size() <= cap) return 0;
    const std::size_t target = cap - cap / 100;
    struct Candidate {
      bool unnotified;
      TimeMs last_input_at;
      const std::string* key;
    };
    std::vector<Candidate> order;
    order.reserve(groups.size());
    for (const auto& [key, g] : groups) {
      if (Contains(keep, key)) continue;
      order.push_back({unnotified.contains(key), g.last_input_at, &key});
    }
    const std::size_t drop = std::min(groups.size() - target, order.size());
    auto older = [](const Candidate& a, const Candidate& b) {
      if (a.unnotified != b.unnotified) return !a.unnotified;  // notified ones first
      return a.last_input_at < b.last_input_at;
    };
    std::nth_element(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(drop),
                     order.end(), older);
    std::vector<std::string> victims;
    victims.reserve(drop);
    for (std::size_t i = 0; i < drop; ++i) victims.push_back(*order[i].key);
    for (const auto& key : victims) EraseGroup(key);
    return drop;
  }

  // ---- Decisions ----

  const Silence* MatchingSilence(const GroupState& g, TimeMs now) const {
    for (const auto& s : silences) {
      if (now < s.starts_at || now >= s.ends_at) continue;
      if (!s.areas.empty()) {
        bool within = false;
        for (const auto& a : s.areas) within = within || (!g.area.empty() && areas.IsWithin(g.area, a));
        if (!within) continue;
      }
      if (!s.categories.empty()) {
        bool any = false;
        for (const auto& c : g.categories) any = any || Contains(s.categories, c);
        if (!any) continue;
      }
      return &s;
    }
    return nullptr;
  }

  Decision MakeDecision(const GroupState& g, const config::Contact& c, const std::string& reason,
                        int sequence, int step, TimeMs now) const {
    Decision d;
    d.kind = g.kind;
    d.reason = reason;
    d.group_key = g.key;
    d.route_id = g.route_id;
    d.contact_id = c.id;
    const std::vector<int> usable = UsableChannels(c, cfg.channels);
    d.channel_index = usable.front();
    d.channel = c.channels[static_cast<std::size_t>(d.channel_index)].type;
    d.target = c.channels[static_cast<std::size_t>(d.channel_index)].address;
    d.sequence = sequence;
    d.escalation_step = step;
    d.event_ids = g.event_ids;
    d.subject = g.subject;
    d.area = g.area;
    d.severity = g.severity;
    d.categories = g.categories;
    d.events = g.events;
    d.sources = g.Sources();
    d.summary = g.summary;
    d.signal_reason = g.signal_reason;
    d.spread = g.spread;
    d.first_at = g.first_at;
    d.at = now;
    d.not_before = now;
    if (g.severity < Severity::kCritical) {
      if (auto until = QuietUntil(c, now)) d.not_before = *until;
    }
    return d;
  }

  // Counts a notification against the contact's rate limit; false: held for the digest.
  bool Admit(const config::Contact& c, const GroupState& g, TimeMs now, TickResult& result) {
    if (cfg.rate_limit.max <= 0 || g.severity >= Severity::kCritical) return true;
    Rate& rate = rates[c.id];
    if (now >= rate.window_start + cfg.rate_limit.per_ms && rate.held.empty()) {
      rate.window_start = now;
      rate.count = 0;
    }
    dirty_rates.insert(c.id);
    if (rate.count < cfg.rate_limit.max) {
      ++rate.count;
      return true;
    }
    DigestItem item;
    item.group_key = g.key;
    item.kind = g.kind;
    item.area = g.area;
    item.severity = g.severity;
    item.categories = g.categories;
    item.events = g.events;
    item.event_id = g.event_ids.empty() ? std::string() : g.event_ids.back();
    item.at = now;
    const bool first_held = rate.held.empty();
    auto same = std::find_if(rate.held.begin(), rate.held.end(),
                             [&](const DigestItem& h) { return h.group_key == g.key; });
    if (same != rate.held.end()) {
      *same = item;  // one line per group: its latest state
    } else if (rate.held.size() < kMaxHeld) {
      rate.held.push_back(item);
    } else {
      rate.held.back().events += item.events;  // the list is capped; the count is not lost
    }
    if (first_held) Schedule(rate.window_start + cfg.rate_limit.per_ms, DueType::kDigest, c.id);
    ++result.held;
    return false;
  }

  void StartEscalation(GroupState& g, const Route& r, TimeMs now) {
    if (!r.escalation || r.escalation->after_ms <= 0 || g.acked || g.escalation_step > 0 ||
        g.next_escalation_at != 0 || g.severity < r.escalation->min_severity) {
      return;
    }
    g.next_escalation_at = now + r.escalation->after_ms;
    Schedule(g.next_escalation_at, DueType::kEscalation, g.key);
  }

  void Flush(GroupState& g, TimeMs now, TickResult& result) {
    const Route& r = routes.Find(g.route_id);
    g.next_flush_at = 0;
    dirty_groups.insert(g.key);
    const Silence* silence = MatchingSilence(g, now);
    bool held_back = false;
    TimeMs next_repeat = 0;
    for (auto& [id, rec] : g.recipients) {
      const config::Contact* c = FindContact(id);
      if (c == nullptr || UsableChannels(*c, cfg.channels).empty()) continue;
      std::string reason;
      if (rec.sequence == 0) {
        reason = "new";
      } else if (g.severity > rec.last_severity || g.Sources() > rec.last_sources) {
        reason = "changed";
      } else if (!g.acked && r.repeat_interval > 0 && now - rec.last_at >= r.repeat_interval) {
        reason = "repeat";
      }
      if (reason.empty()) {
        if (!g.acked && r.repeat_interval > 0) {
          const TimeMs at = rec.last_at + r.repeat_interval;
          next_repeat = next_repeat == 0 ? at : std::min(next_repeat, at);
        }
        continue;
      }
      if (silence != nullptr) {
        held_back = true;
        ++g.silenced;
        g.silenced_by = silence->id;
        ++result.silenced;
        continue;
      }
      const int sequence = rec.sequence + 1;
      rec.sequence = sequence;
      rec.last_at = now;
      rec.last_severity = g.severity;
      rec.last_sources = g.Sources();
      if (!g.acked && r.repeat_interval > 0) {
        const TimeMs at = now + r.repeat_interval;
        next_repeat = next_repeat == 0 ? at : std::min(next_repeat, at);
      }
      g.notified = true;
      g.last_flush_at = now;  // group_interval counts from the last notification
      unnotified.erase(g.key);
      if (!Admit(*c, g, now, result)) continue;
      result.notifications.push_back(MakeDecision(g, *c, reason, sequence, rec.step, now));
    }
    if (g.notified) StartEscalation(g, r, now);
    if (held_back) {
      ScheduleFlush(g, std::max(silence->ends_at, now + 1));
    } else if (next_repeat != 0) {
      ScheduleFlush(g, std::max(next_repeat, now + 1));
    }
  }

  // The contacts of the next ancestor area (above the last one escalated to) that has any.
  std::vector<const config::Contact*> NextStepContacts(GroupState& g, const config::EscalationConfig& e,
                                                       int step) {
    std::vector<const config::Contact*> out;
    auto eligible = [&](const config::Contact& c) {
      return !g.recipients.contains(c.id) && RoleOk(e.roles, c) &&
             !UsableChannels(c, cfg.channels).empty();
    };
    if (!e.steps.empty()) {
      if (step - 1 >= static_cast<int>(e.steps.size())) return out;
      for (const auto& id : e.steps[static_cast<std::size_t>(step - 1)]) {
        const config::Contact* c = FindContact(id);
        if (c != nullptr && eligible(*c)) out.push_back(c);
      }
      return out;
    }
    const AreaCode from = g.escalation_area.empty() ? g.area : g.escalation_area;
    const std::vector<AreaCode> chain =
        from.empty() ? std::vector<AreaCode>{} : areas.Ancestors(from);
    for (std::size_t i = 1; i < chain.size(); ++i) {
      for (const auto& c : contacts) {
        if (Contains(c.areas, chain[i]) && eligible(c)) out.push_back(&c);
      }
      if (!out.empty()) {
        g.escalation_area = chain[i];
        break;
      }
    }
    return out;
  }

  void Escalate(GroupState& g, TimeMs now, TickResult& result) {
    const Route& r = routes.Find(g.route_id);
    g.next_escalation_at = 0;
    dirty_groups.insert(g.key);
    if (g.acked || !r.escalation || g.escalation_step >= r.escalation->max_steps) return;
    const int step = g.escalation_step + 1;
    g.escalation_step = step;
    Escalation e;
    e.group_key = g.key;
    e.step = step;
    for (const config::Contact* c : NextStepContacts(g, *r.escalation, step)) {
      Recipient& rec = g.recipients[c->id];
      rec.step = step;
      rec.sequence += 1;
      rec.last_at = now;
      rec.last_severity = g.severity;
      rec.last_sources = g.Sources();
      e.contacts.push_back(c->id);
      result.notifications.push_back(
          MakeDecision(g, *c, "escalation", rec.sequence, step, now));
    }
    if (!e.contacts.empty() && step < r.escalation->max_steps) {
      g.next_escalation_at = now + r.escalation->after_ms;
      Schedule(g.next_escalation_at, DueType::kEscalation, g.key);
    }
    result.escalations.push_back(std::move(e));
  }

  void EmitDigest(const std::string& contact_id, TimeMs now, TickResult& result) {
    auto it = rates.find(contact_id);
    if (it == rates.end() || it->second.held.empty()) return;
    Rate& rate = it->second;
    const config::Contact* c = FindContact(contact_id);
    std::vector<DigestItem> held = std::move(rate.held);
    rate.held.clear();
    rate.window_start = now;
    rate.count = 0;
    dirty_rates.insert(contact_id);
    if (c == nullptr || UsableChannels(*c, cfg.channels).empty()) return;
    GroupState pseudo;
    pseudo.key = "digest:" + contact_id + ":" + std::to_string(now);
    pseudo.kind = AlertKind::kDigest;
    pseudo.first_at = held.front().at;
    for (const auto& item : held) {
      pseudo.severity = std::max(pseudo.severity, item.severity);
      pseudo.events += item.events;
      if (!item.event_id.empty()) pseudo.event_ids.push_back(item.event_id);
      for (const auto& cat : item.categories) {
        if (!Contains(pseudo.categories, cat)) pseudo.categories.push_back(cat);
      }
    }
    if (pseudo.event_ids.size() > kMaxGroupEvents) {
      pseudo.event_ids.erase(pseudo.event_ids.begin(),
                             pseudo.event_ids.end() - static_cast<std::ptrdiff_t>(kMaxGroupEvents));
    }
    std::set<AreaCode> areas_seen;
    for (const auto& item : held) areas_seen.insert(item.area);
    if (areas_seen.size() == 1) pseudo.area = *areas_seen.begin();
    Decision d = MakeDecision(pseudo, *c, "digest", 1, 0, now);
    d.digest = std::move(held);
    result.notifications.push_back(std::move(d));
  }

  void EraseGroup(const std::string& key) {
    groups.erase(key);
    unnotified.erase(key);
    dirty_groups.insert(key);
  }

  TickResult Tick(TimeMs now) {
    TickResult result;
    while (!due.empty() && due.top().at <= now) {
      Due d = due.top();
      due.pop();
      if (d.type == DueType::kDigest) {
        auto it = rates.find(d.key);
        if (it != rates.end() && !it->second.held.empty() &&
            it->second.window_start + cfg.rate_limit.per_ms <= now) {
          EmitDigest(d.key, now, result);
        }
        continue;
      }
      auto it = groups.find(d.key);
      if (it == groups.end() || !Current(d, it->second)) continue;
      GroupState& g = it->second;
      switch (d.type) {
        case DueType::kFlush:
          Flush(g, now, result);
          break;
        case DueType::kEscalation:
          Escalate(g, now, result);
          break;
        case DueType::kExpiry:
          g.expiry_check_at = 0;
          if (g.last_input_at + cfg.resolve_after_ms <= now) {
            EraseGroup(d.key);
          } else {
            ScheduleExpiry(g);  // inputs came since: check again resolve_after after the last
          }
          break;
        case DueType::kDigest:
          break;
      }
    }
    MaybeCompactSchedule();
    return result;
  }
};

std::string NotificationKey(std::string_view group_key, std::string_view contact_id,
                            std::string_view channel, std::string_view address, int sequence) {
  std::string material;
  material.reserve(group_key.size() + contact_id.size() + channel.size() + address.size() + 16);
  material.append(group_key).append("\n");
  material.append(contact_id).append("\n");
  material.append(channel).append("\n");
  material.append(address).append("\n");
  material.append(std::to_string(sequence));
  return Sha256Hex(material).substr(0, 32);
}

Notifier::Notifier(const config::AlertsConfig& cfg, const config::AreaTree& areas)
    : impl_(std::make_unique<Impl>(cfg, areas)) {}

Notifier::~Notifier() = default;

void Notifier::SetContacts(std::vector<config::Contact> contacts) {
  impl_->contacts = std::move(contacts);
  impl_->contact_index.clear();
  for (std::size_t i = 0; i < impl_->contacts.size(); ++i) {
    impl_->contact_index[impl_->contacts[i].id] = i;
  }
}

void Notifier::SetSilences(std::vector<Silence> silences) { impl_->silences = std::move(silences); }

void Notifier::Unsilence(const std::string& silence_id, TimeMs now) {
  for (auto& [key, g] : impl_->groups) {
    if (g.silenced_by == silence_id && g.next_flush_at > now) impl_->ScheduleFlush(g, now);
  }
}

AddOutcome Notifier::Add(const RoutingInput& input, TimeMs now) { return impl_->Add(input, now); }

TickResult Notifier::Tick(TimeMs now) { return impl_->Tick(now); }

std::optional<TimeMs> Notifier::NextDue() const {
  if (impl_->due.empty()) return std::nullopt;
  return impl_->due.top().at;
}

void Notifier::Acknowledge(const std::string& group_key, TimeMs /*now*/) {
  auto it = impl_->groups.find(group_key);
  if (it == impl_->groups.end()) return;
  it->second.acked = true;
  it->second.next_escalation_at = 0;
  impl_->dirty_groups.insert(group_key);
}

int Notifier::Resolve(const std::string& subject, TimeMs now) {
  int touched = 0;
  for (auto& [key, g] : impl_->groups) {
    if (g.subject != subject) continue;
    Acknowledge(key, now);
    ++touched;
  }
  return touched;
}

std::vector<std::string> Notifier::Inhibit(const std::vector<std::string>& event_ids,
                                           const std::string& by, TimeMs now) {
  std::vector<std::string> affected;
  for (const auto& id : event_ids) {
    impl_->inhibited[id] = Inhibition{by, now + impl_->cfg.resolve_after_ms};
    impl_->dirty_inhibited.insert(id);
    affected.push_back(id);
  }
  // Groups that have not notified anyone yet drop the covered events.
  std::vector<std::string> emptied;
  for (const auto& key : impl_->unnotified) {
    auto it = impl_->groups.find(key);
    if (it == impl_->groups.end() || it->second.kind != AlertKind::kEvent) continue;
    GroupState& g = it->second;
    const auto before = g.event_ids.size();
    std::erase_if(g.event_ids, [&](const std::string& e) { return Contains(event_ids, e); });
    if (g.event_ids.size() == before) continue;
    g.events -= static_cast<int>(before - g.event_ids.size());
    impl_->dirty_groups.insert(key);
    if (g.event_ids.empty() || g.events <= 0) emptied.push_back(key);
  }
  for (const auto& key : emptied) impl_->EraseGroup(key);
  // Drop expired inhibitions now and then.
  if (impl_->inhibited.size() > 100'000) {
    std::erase_if(impl_->inhibited, [&](const auto& kv) {
      if (kv.second.until > now) return false;
      impl_->dirty_inhibited.insert(kv.first);
      return true;
    });
  }
  return affected;
}

bool Notifier::IsInhibited(const std::string& event_id) const {
  return impl_->inhibited.contains(event_id);
}

std::vector<storage::RecordWrite> Notifier::TakeDirty() {
  std::vector<storage::RecordWrite> out;
  for (const auto& key : impl_->dirty_groups) {
    auto it = impl_->groups.find(key);
    out.push_back({std::string(kGroupsTable), key,
                   it == impl_->groups.end() ? std::nullopt
                                             : std::optional<std::string>(EncodeGroup(it->second))});
  }
  for (const auto& id : impl_->dirty_rates) {
    auto it = impl_->rates.find(id);
    out.push_back({std::string(kRatesTable), id,
                   it == impl_->rates.end() ? std::nullopt
                                            : std::optional<std::string>(EncodeRate(it->second))});
  }
  for (const auto& id : impl_->dirty_inhibited) {
    auto it = impl_->inhibited.find(id);
    std::optional<std::string> value;
    if (it != impl_->inhibited.end()) {
      value = ToJsonText(json::value(json::object{{"by", it->second.by}, {"until", it->second.until}}));
    }
    out.push_back({std::string(kInhibitedTable), id, std::move(value)});
  }
  impl_->dirty_groups.clear();
  impl_->dirty_rates.clear();
  impl_->dirty_inhibited.clear();
  return out;
}

std::vector<std::string> Notifier::Restore(const std::vector<storage::Record>& groups,
                                           const std::vector<storage::Record>& rates,
                                           const std::vector<storage::Record>& inhibited,
                                           TimeMs now) {
  std::vector<std::string> problems;
  Impl& s = *impl_;
  for (const auto& r : groups) {
    auto g = DecodeGroup(r.value);
    if (!g) {
      problems.push_back("alert group record '" + r.key + "' is damaged; skipped");
      continue;
    }
    const std::string key = g->key;
    GroupState& slot = s.groups[key] = std::move(*g);
    if (!slot.notified) s.unnotified.insert(key);
    if (slot.next_flush_at != 0) s.Schedule(slot.next_flush_at, DueType::kFlush, key);
    if (slot.next_escalation_at != 0) s.Schedule(slot.next_escalation_at, DueType::kEscalation, key);
    slot.expiry_check_at = 0;
    s.ScheduleExpiry(slot);
  }
  for (const auto& r : rates) {
    auto rate = DecodeRate(r.value);
    if (!rate) {
      problems.push_back("alert rate record '" + r.key + "' is damaged; skipped");
      continue;
    }
    if (!rate->held.empty()) {
      s.Schedule(rate->window_start + s.cfg.rate_limit.per_ms, DueType::kDigest, r.key);
    }
    s.rates[r.key] = std::move(*rate);
  }
  for (const auto& r : inhibited) {
    boost::system::error_code ec;
    json::value v = json::parse(r.value, ec);
    if (ec || !v.is_object()) {
      problems.push_back("inhibition record '" + r.key + "' is damaged; skipped");
      continue;
    }
    Inhibition inh{Str(v.as_object(), "by"), Int(v.as_object(), "until")};
    if (inh.until <= now) {
      s.dirty_inhibited.insert(r.key);  // expired: deleted with the next write
      continue;
    }
    s.inhibited[r.key] = std::move(inh);
  }
  return problems;
}

std::optional<Notifier::GroupView> Notifier::Group(const std::string& key) const {
  auto it = impl_->groups.find(key);
  if (it == impl_->groups.end()) return std::nullopt;
  const auto& g = it->second;
  GroupView v;
  v.key = g.key;
  v.route_id = g.route_id;
  v.severity = g.severity;
  v.events = g.events;
  v.sources = g.Sources();
  v.acked = g.acked;
  v.escalation_step = g.escalation_step;
  v.silenced_by = g.silenced_by;
  v.silenced = g.silenced;
  v.recipients = g.recipients;
  return v;
}

std::size_t Notifier::group_count() const { return impl_->groups.size(); }
std::size_t Notifier::scheduled_count() const { return impl_->due.size(); }

}  // namespace sakchy::alerts

#include "composer.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "alerts/templates.h"
#include "area_names.h"
#include "core/json_text.h"
#include "core/key_id.h"
#include "engine_records.h"
#include "spread_json.h"

namespace sakchy::alerts {

std::optional<Event> Composer::LoadEvent(const std::string& id) {
  auto cached = events_cache_.find(id);
  if (cached != events_cache_.end()) return cached->second;
  auto event = store_.events.GetEvent(id);
  if (!event || !event->has_value()) return std::nullopt;
  events_cache_[id] = **event;
  return **event;
}

std::string Composer::AreaName(const AreaCode& code, Language language) const {
  const config::Area* area = areas_.Find(code);
  return area == nullptr ? std::string() : AreaDisplayName(*area, language);
}

// A decision becomes an outbox entry with its payload rendered for its contact.
Alert Composer::Materialize(const Decision& d, TimeMs now) {
  Alert a;
  a.id = ids_.Next();
  a.kind = d.kind;
  a.group_key = d.group_key;
  a.event_ids = d.event_ids;
  a.event_id = d.event_ids.empty() ? std::string() : d.event_ids.front();
  a.subject_id = d.subject;
  a.area = d.area;
  a.severity = d.severity;
  a.categories = d.categories;
  a.contact_id = d.contact_id;
  a.channel = d.channel;
  a.target = d.target;
  a.channel_index = d.channel_index;
  a.sequence = d.sequence;
  a.escalation_step = d.escalation_step;
  a.idempotency_key = NotificationKey(a.group_key, a.contact_id, a.channel, a.target,
                                      a.sequence);
  if (shared_ids_) {
    // The same on every node: the key is (group, contact, channel, address, sequence), the time
    // the newest covered event's id (set where the report was received).
    std::optional<TimeMs> newest;
    auto consider = [&newest](const std::string& event_id) {
      if (auto t = IdTime(event_id); t && (!newest || *t > *newest)) newest = t;
    };
    for (const auto& id : d.event_ids) consider(id);
    for (const DigestItem& item : d.digest) consider(item.event_id);
    if (newest) a.id = IdFromKey(*newest, a.idempotency_key);
  }
  a.state = DeliveryState::kPending;
  a.created_at = now;
  a.next_attempt_at = std::max(now, d.not_before);
  const config::Contact* contact = directory_.Current(d.contact_id);
  RenderContext ctx;
  ctx.channels = &cfg_.channels;
  ctx.language = ContactLanguage(contact);
  ctx.area_name = AreaName(a.area, ctx.language);
  ctx.events = std::max(d.events, 1);
  ctx.sources = std::max(d.sources, 1);
  ctx.now = now;
  std::optional<Event> event;
  if (d.kind == AlertKind::kEvent && !d.event_ids.empty()) {
    event = LoadEvent(d.event_ids.back());
    if (event) {
      ctx.event = &*event;
      AddEventVerdict(ctx, *event);
    }
  }
  if (d.kind == AlertKind::kSignal) {
    event = SignalEvent(a, d.summary, d.first_at);
    ctx.event = &*event;
    ctx.reason = d.signal_reason;
    AddSignalContext(ctx, a.subject_id, d.signal_reason, d.summary, d.sources, d.spread);
  }
  if (d.kind == AlertKind::kDigest) {
    boost::json::array items;
    for (const DigestItem& item : d.digest) {
      DigestLine line;
      line.severity = item.severity;
      line.area_name = item.area.empty() ? std::string() : AreaName(item.area, ctx.language);
      if (line.area_name.empty()) line.area_name = item.area;
      line.categories = item.categories;
      line.events = item.events;
      ctx.digest.push_back(std::move(line));
      boost::json::array cats;
      for (const auto& c : item.categories) cats.emplace_back(c);
      items.push_back(boost::json::object{{"group_key", item.group_key},
                                          {"area", item.area},
                                          {"severity", SeverityName(item.severity)},
                                          {"categories", std::move(cats)},
                                          {"events", item.events},
                                          {"event_id", item.event_id}});
    }
    ctx.extra_json = ToJsonText(boost::json::value(
        boost::json::object{{"type", "sakchy.digest"}, {"items", std::move(items)}}));
  }
  a.payload = RenderPayload(a, ctx);
  return a;
}

// ---- Signals and verdicts ----

// The text of a signal as an event, so the event templates render it: the summary is the
// report, observed when the signal's group started.
Event Composer::SignalEvent(const Alert& a, const std::string& summary, TimeMs first_seen) {
  Event e;
  e.report.id = a.subject_id;
  e.report.text = summary.empty() ? a.subject_id : summary;
  e.report.channel = "signal";
  e.report.observed_at = first_seen;
  e.scored = true;
  e.area = a.area;
  e.severity = a.severity;
  e.categories = a.categories;
  return e;
}

// What the webhook body and the templates say about a signal: its reason (for a cluster
// spread, the figures in the contact's language as `why`) and the cluster's verdict.
void Composer::AddSignalContext(RenderContext& ctx, const std::string& subject, const std::string& reason,
                      const std::string& summary, int sources,
                      const std::optional<SpreadWhy>& spread) {
  boost::json::object signal{
      {"subject_id", subject}, {"reason", reason}, {"summary", summary}, {"sources", sources}};
  if (spread) {
    ctx.spread = spread;
    for (const auto& code : spread->new_areas) {
      const std::string name = AreaName(code, ctx.language);
      ctx.new_area_names.push_back(name.empty() ? code : name);
    }
    boost::json::object figures = SpreadWhyJson(*spread);
    for (auto& [key, value] : figures) signal[key] = value;
    signal["why"] = SpreadWhyText(LanguageCode(ctx.language), *spread, ctx.new_area_names);
  }
  boost::json::object body{{"signal", std::move(signal)}};
  if (verdict_lookup_.of_cluster) {
    ctx.verdict = Shown(verdict_lookup_.of_cluster(subject), "cluster " + subject);
  }
  if (ctx.verdict) body["verdict"] = VerdictJson(*ctx.verdict, ctx.language);
  ctx.extra_json = ToJsonText(boost::json::value(std::move(body)));
}

// An event that joined a rumour cluster judged false or misleading: the verdict, in the text
// and in the webhook body.
void Composer::AddEventVerdict(RenderContext& ctx, const Event& event) {
  if (!verdict_lookup_.of_event) return;
  const bool known = std::any_of(
      event.categories.begin(), event.categories.end(), [](const std::string& c) {
        return c == KnownRumourCategory(VerdictStatus::kFalse) ||
               c == KnownRumourCategory(VerdictStatus::kMisleading);
      });
  if (!known) return;
  ctx.verdict = Shown(verdict_lookup_.of_event(event.report.id), "event " + event.report.id);
  if (ctx.verdict) {
    ctx.extra_json = ToJsonText(boost::json::value(
        boost::json::object{{"verdict", VerdictJson(*ctx.verdict, ctx.language)}}));
  }
}

// A looked-up verdict worth showing: decided (not unverified) and read without error.
std::optional<Verdict> Composer::Shown(Result<std::optional<Verdict>> looked,
                                    const std::string& what) {
  if (!looked) {
    spdlog::warn("alerts: the verdict of {} could not be read; the alert goes without it: {}",
                 what, looked.error().ToString());
    return std::nullopt;
  }
  if (!*looked || (*looked)->status == VerdictStatus::kUnverified) return std::nullopt;
  return std::move(*looked);
}

boost::json::object Composer::VerdictJson(const Verdict& v, Language language) {
  return boost::json::object{
      {"cluster_id", v.cluster_id},
      {"status", VerdictStatusName(v.status)},
      {"statement", v.statement},
      {"decided_by", v.decided_by},
      {"decided_at", v.decided_at},
      {"text", VerdictNoteText(LanguageCode(language), v.status, v.statement, 1000)}};
}

// Renders `a` from what is stored (a fallback channel, a notice): the group's latest event,
// digest lines from the covered events, the undelivered alert of a notice.
void Composer::RenderStored(Alert& a, const Alert* failed) {
  const config::Contact* contact = directory_.Current(a.contact_id);
  RenderContext ctx;
  ctx.channels = &cfg_.channels;
  ctx.language = ContactLanguage(contact);
  ctx.area_name = AreaName(a.area, ctx.language);
  ctx.events = std::max<int>(1, static_cast<int>(a.event_ids.size()));
  ctx.now = clock_.NowMs();
  std::optional<Event> event;
  if (a.kind == AlertKind::kNotice) {
    std::optional<Alert> loaded;
    if (failed == nullptr) {
      auto stored = store_.outbox.GetAlert(a.subject_id);
      if (stored && stored->has_value()) loaded = **stored;
      failed = loaded ? &*loaded : nullptr;
    }
    if (failed != nullptr) {
      const config::Contact* recipient = directory_.Current(failed->contact_id);
      ctx.notice.code = AlertCode(failed->id);
      ctx.notice.severity = failed->severity;
      ctx.notice.area_name = ctx.area_name.empty() ? failed->area : ctx.area_name;
      ctx.notice.contact = recipient != nullptr && !recipient->name.empty() ? recipient->name
                                                                            : failed->contact_id;
      ctx.notice.channel = failed->channel;
      ctx.notice.error = failed->last_error;
      ctx.extra_json = ToJsonText(boost::json::value(boost::json::object{
          {"type", "sakchy.notice"},
          {"undelivered",
           boost::json::object{{"alert_id", failed->id},
                               {"contact_id", failed->contact_id},
                               {"channel", failed->channel},
                               {"state", DeliveryStateName(failed->state)},
                               {"attempts", failed->attempts},
                               {"error", failed->last_error}}}}));
    }
    a.payload = RenderPayload(a, ctx);
    return;
  }
  if (a.kind == AlertKind::kSignal) {
    auto stored = store_.records.GetRecord(kSignalsTable, a.subject_id);
    boost::system::error_code ec;
    boost::json::value v = stored && *stored ? boost::json::parse(**stored, ec)
                                             : boost::json::value();
    std::string summary, reason;
    TimeMs first_seen = a.created_at;
    int sources = 1;
    std::optional<SpreadWhy> spread;
    if (!ec && v.is_object()) {
      spread = SpreadWhyFromJson(v.as_object().if_contains("spread"));
      const auto& o = v.as_object();
      if (auto* x = o.if_contains("summary"); x && x->is_string()) summary = x->as_string();
      if (auto* x = o.if_contains("reason"); x && x->is_string()) reason = x->as_string();
      if (auto* x = o.if_contains("first_seen"); x && x->is_int64()) first_seen = x->as_int64();
      if (auto* x = o.if_contains("sources"); x && x->is_int64()) {
        sources = static_cast<int>(x->as_int64());
      }
    }
    event = SignalEvent(a, summary, first_seen);
    ctx.event = &*event;
    ctx.reason = reason;
    ctx.sources = std::max(sources, 1);
    AddSignalContext(ctx, a.subject_id, reason, summary, sources, spread);
    a.payload = RenderPayload(a, ctx);
    return;
  }
  if (a.kind == AlertKind::kFollowUp) {
    auto stored = store_.records.GetRecord(kVerdictsTable, a.subject_id);
    if (stored && *stored) {
      boost::system::error_code ec;
      boost::json::value v = boost::json::parse(**stored, ec);
      if (!ec && v.is_object()) {
        const auto& o = v.as_object();
        if (auto* x = o.if_contains("status"); x && x->is_string()) {
          ctx.follow_up.status = ParseVerdictStatus(x->as_string()).value_or(
              VerdictStatus::kUnverified);
        }
        if (auto* x = o.if_contains("statement"); x && x->is_string()) {
          ctx.follow_up.statement = x->as_string();
        }
        if (auto* x = o.if_contains("decided_at"); x && x->is_int64()) {
          ctx.follow_up.decided_at = x->as_int64();
        }
        ctx.extra_json = ToJsonText(boost::json::value(boost::json::object{
            {"type", "sakchy.follow_up"}, {"verdict", v}}));
      }
    }
    a.payload = RenderPayload(a, ctx);
    return;
  }
  if (a.kind == AlertKind::kDigest) {
    for (const auto& id : a.event_ids) {
      auto e = LoadEvent(id);
      if (!e) continue;
      DigestLine line;
      line.severity = e->severity;
      line.area_name = AreaName(e->area, ctx.language);
      if (line.area_name.empty()) line.area_name = e->area;
      line.categories = e->categories;
      ctx.digest.push_back(std::move(line));
    }
  } else if (!a.event_ids.empty()) {
    event = LoadEvent(a.event_ids.back());
    if (event) {
      ctx.event = &*event;
      AddEventVerdict(ctx, *event);
    }
  }
  a.payload = RenderPayload(a, ctx);
}


void Composer::RenderFollowUp(Alert& f, const Verdict& verdict,
                              const boost::json::object& verdict_json, TimeMs now) const {
  const config::Contact* contact = directory_.Current(f.contact_id);
  RenderContext ctx;
  ctx.channels = &cfg_.channels;
  ctx.language = ContactLanguage(contact);
  ctx.area_name = AreaName(f.area, ctx.language);
  ctx.now = now;
  ctx.follow_up.status = verdict.status;
  ctx.follow_up.statement = verdict.statement;
  ctx.follow_up.decided_at = verdict.decided_at;
  ctx.extra_json = ToJsonText(boost::json::value(
      boost::json::object{{"type", "sakchy.follow_up"}, {"verdict", verdict_json}}));
  f.payload = RenderPayload(f, ctx);
}

}  // namespace sakchy::alerts

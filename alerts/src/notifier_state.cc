#include "notifier_state.h"

#include "core/json_text.h"
#include "spread_json.h"

namespace sakchy::alerts::notifier_internal {
namespace {

Severity Sev(std::int64_t v) {
  return static_cast<Severity>(std::clamp<std::int64_t>(v, 0, kSeverityCount - 1));
}

json::object EncodeItem(const DigestItem& item) {
  return json::object{{"group_key", item.group_key},
                      {"kind", static_cast<int>(item.kind)},
                      {"area", item.area},
                      {"severity", static_cast<int>(item.severity)},
                      {"categories", StringArray(item.categories)},
                      {"events", item.events},
                      {"event_id", item.event_id},
                      {"at", item.at}};
}

DigestItem DecodeItem(const json::object& o) {
  DigestItem item;
  item.group_key = Str(o, "group_key");
  item.kind = static_cast<AlertKind>(std::clamp<std::int64_t>(Int(o, "kind"), 0, kAlertKindCount - 1));
  item.area = Str(o, "area");
  item.severity = Sev(Int(o, "severity"));
  item.categories = Strings(o.if_contains("categories"));
  item.events = static_cast<int>(Int(o, "events"));
  item.event_id = Str(o, "event_id");
  item.at = Int(o, "at");
  return item;
}

}  // namespace

json::array StringArray(const std::vector<std::string>& list) {
  json::array a;
  for (const auto& s : list) a.emplace_back(s);
  return a;
}

std::vector<std::string> Strings(const json::value* v) {
  std::vector<std::string> out;
  if (v == nullptr || !v->is_array()) return out;
  for (const auto& item : v->as_array()) {
    if (item.is_string()) out.emplace_back(item.as_string());
  }
  return out;
}

std::string Str(const json::object& o, const char* key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

std::int64_t Int(const json::object& o, const char* key) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr) return 0;
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64()) return static_cast<std::int64_t>(v->as_uint64());
  return 0;
}

std::string EncodeGroup(const GroupState& g) {
  json::object recipients;
  for (const auto& [id, r] : g.recipients) {
    recipients[id] = json::array{r.sequence, r.last_at, static_cast<int>(r.last_severity),
                                 r.last_sources, r.step};
  }
  json::object o{{"key", g.key},
                 {"route", g.route_id},
                 {"kind", static_cast<int>(g.kind)},
                 {"subject", g.subject},
                 {"area", g.area},
                 {"severity", static_cast<int>(g.severity)},
                 {"categories", StringArray(g.categories)},
                 {"event_ids", StringArray(g.event_ids)},
                 {"events", g.events},
                 {"sources", StringArray(g.sources)},
                 {"signal_sources", g.signal_sources},
                 {"summary", g.summary},
                 {"signal_reason", g.signal_reason},
                 {"first_at", g.first_at},
                 {"last_input_at", g.last_input_at},
                 {"last_flush_at", g.last_flush_at},
                 {"next_flush_at", g.next_flush_at},
                 {"acked", g.acked},
                 {"escalation_step", g.escalation_step},
                 {"next_escalation_at", g.next_escalation_at},
                 {"escalation_area", g.escalation_area},
                 {"silenced_by", g.silenced_by},
                 {"silenced", g.silenced},
                 {"notified", g.notified},
                 {"recipients", std::move(recipients)}};
  if (g.spread) o["spread"] = SpreadWhyJson(*g.spread);
  return ToJsonText(json::value(o));
}

std::optional<GroupState> DecodeGroup(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const json::object& o = v.as_object();
  GroupState g;
  g.key = Str(o, "key");
  if (g.key.empty()) return std::nullopt;
  g.route_id = Str(o, "route");
  g.kind = static_cast<AlertKind>(std::clamp<std::int64_t>(Int(o, "kind"), 0, kAlertKindCount - 1));
  g.subject = Str(o, "subject");
  g.area = Str(o, "area");
  g.severity = Sev(Int(o, "severity"));
  g.categories = Strings(o.if_contains("categories"));
  g.event_ids = Strings(o.if_contains("event_ids"));
  g.events = static_cast<int>(Int(o, "events"));
  g.sources = Strings(o.if_contains("sources"));
  g.signal_sources = static_cast<int>(Int(o, "signal_sources"));
  g.summary = Str(o, "summary");
  g.signal_reason = Str(o, "signal_reason");
  g.spread = SpreadWhyFromJson(o.if_contains("spread"));
  g.first_at = Int(o, "first_at");
  g.last_input_at = Int(o, "last_input_at");
  g.last_flush_at = Int(o, "last_flush_at");
  g.next_flush_at = Int(o, "next_flush_at");
  const json::value* acked = o.if_contains("acked");
  g.acked = acked != nullptr && acked->is_bool() && acked->as_bool();
  g.escalation_step = static_cast<int>(Int(o, "escalation_step"));
  g.next_escalation_at = Int(o, "next_escalation_at");
  g.escalation_area = Str(o, "escalation_area");
  g.silenced_by = Str(o, "silenced_by");
  g.silenced = static_cast<int>(Int(o, "silenced"));
  const json::value* notified = o.if_contains("notified");
  g.notified = notified != nullptr && notified->is_bool() && notified->as_bool();
  if (const json::value* r = o.if_contains("recipients"); r != nullptr && r->is_object()) {
    for (const auto& [id, value] : r->as_object()) {
      if (!value.is_array() || value.as_array().size() != 5) continue;
      const json::array& a = value.as_array();
      auto num = [&](std::size_t i) { return a[i].is_int64() ? a[i].as_int64() : 0; };
      Recipient rec;
      rec.sequence = static_cast<int>(num(0));
      rec.last_at = num(1);
      rec.last_severity = Sev(num(2));
      rec.last_sources = static_cast<int>(num(3));
      rec.step = static_cast<int>(num(4));
      g.recipients[std::string(id)] = rec;
    }
  }
  return g;
}

std::string EncodeRate(const Rate& r) {
  json::array held;
  for (const auto& item : r.held) held.push_back(EncodeItem(item));
  return ToJsonText(json::value(
      json::object{{"window_start", r.window_start}, {"count", r.count}, {"held", std::move(held)}}));
}

std::optional<Rate> DecodeRate(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const json::object& o = v.as_object();
  Rate r;
  r.window_start = Int(o, "window_start");
  r.count = static_cast<int>(Int(o, "count"));
  if (const json::value* h = o.if_contains("held"); h != nullptr && h->is_array()) {
    for (const auto& item : h->as_array()) {
      if (item.is_object()) r.held.push_back(DecodeItem(item.as_object()));
    }
  }
  return r;
}

}  // namespace sakchy::alerts::notifier_internal

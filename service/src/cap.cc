#include "service/cap.h"

#include <boost/json.hpp>

#include <charconv>

#include "xml_text.h"

namespace sakchy::service {

namespace json = boost::json;

namespace {

constexpr std::string_view kCapNamespace = "urn:oasis:names:tc:emergency:cap:1.2";
constexpr std::string_view kRestriction =
    "Partner agencies only: unverified reports scored by Sakchy, not for public release";

// "<name>text</name>\n" at `depth` (two spaces a level).
void Leaf(std::string& out, int depth, std::string_view name, std::string_view text) {
  out.append(static_cast<std::size_t>(depth) * 2, ' ');
  out += '<';
  out += name;
  out += '>';
  AppendXmlEscaped(out, text);
  out += "</";
  out += name;
  out += ">\n";
}

void Open(std::string& out, int depth, std::string_view name) {
  out.append(static_cast<std::size_t>(depth) * 2, ' ');
  out += '<';
  out += name;
  out += ">\n";
}

void Close(std::string& out, int depth, std::string_view name) {
  out.append(static_cast<std::size_t>(depth) * 2, ' ');
  out += "</";
  out += name;
  out += ">\n";
}

// <parameter>, <geocode> and <eventCode> share this shape.
void NameValue(std::string& out, int depth, std::string_view element, std::string_view name,
               std::string_view value) {
  Open(out, depth, element);
  Leaf(out, depth + 1, "valueName", name);
  Leaf(out, depth + 1, "value", value);
  Close(out, depth, element);
}

// CAP severity: critical is an extraordinary threat, high a significant one.
std::string_view CapSeverity(Severity s) {
  switch (s) {
    case Severity::kCritical: return "Extreme";
    case Severity::kHigh: return "Severe";
    case Severity::kMedium: return "Moderate";
    case Severity::kLow:
    case Severity::kInfo: return "Minor";
  }
  return "Unknown";
}

std::string_view CapUrgency(Severity s) {
  switch (s) {
    case Severity::kCritical:
    case Severity::kHigh: return "Immediate";
    case Severity::kMedium: return "Expected";
    case Severity::kLow:
    case Severity::kInfo: return "Future";
  }
  return "Unknown";
}

// Reports are unverified: possible. A spreading cluster or a tension spike: likely.
std::string_view CapCertainty(AlertKind k) {
  switch (k) {
    case AlertKind::kEvent: return "Possible";
    case AlertKind::kSignal: return "Likely";
    default: return "Unknown";
  }
}

// The CAP <event> text. A signal's subject is an area code (tension spike) or a cluster id.
std::string EventName(const Alert& a, const config::Area* area) {
  switch (a.kind) {
    case AlertKind::kEvent: return "Rumour, hate speech or incitement report";
    case AlertKind::kSignal:
      return area != nullptr && a.subject_id == area->code ? "Tension spike in an area"
                                                           : "Rumour spreading";
    case AlertKind::kFollowUp: return "Verdict on a rumour";
    case AlertKind::kDigest: return "Digest of reports";
    case AlertKind::kNotice: return "Alert delivery problem";
    case AlertKind::kReply: return "Answer to a reporter";  // never in the feed (api_cap.cc)
    case AlertKind::kRoute: break;
  }
  return "Sakchy alert";
}

std::string AreaDesc(const Alert& a, const config::Area* area) {
  if (area == nullptr) return a.area.empty() ? "Kyrgyzstan" : a.area;
  std::string d = area->name_en;
  if (!area->name_ru.empty()) d += " (" + area->name_ru + ")";
  return d;
}

std::string Joined(const std::vector<std::string>& items) {
  std::string s;
  for (const auto& i : items) s += (s.empty() ? "" : ", ") + i;
  return s;
}

std::string Headline(const Alert& a, const config::Area* area) {
  std::string severity(SeverityName(a.severity));
  if (!severity.empty()) severity[0] = static_cast<char>(severity[0] - 'a' + 'A');
  return severity + ": " + EventName(a, area) + " in " +
         (area != nullptr ? area->name_en : a.area.empty() ? "Kyrgyzstan" : a.area);
}

std::string Description(const Alert& a, const config::Area* area) {
  const std::size_t events = a.event_ids.empty() && !a.event_id.empty() ? 1 : a.event_ids.size();
  std::string d = "Sakchy rated this " + std::string(SeverityName(a.severity)) + " (" +
                  EventName(a, area) + ", area " + (a.area.empty() ? "KG" : a.area) + ")";
  if (events > 0) d += ", from " + std::to_string(events) + (events == 1 ? " report" : " reports");
  if (!a.categories.empty()) d += "; categories: " + Joined(a.categories);
  d += ". Reports are not verified; the texts are available to authorised analysts in Sakchy.";
  return d;
}

void AppendNumber(std::string& out, double v) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  if (ec == std::errc()) out.append(buf, end);
}

void AppendArea(std::string& out, const CapInput& in) {
  const Alert& a = *in.alert;
  Open(out, 2, "area");
  Leaf(out, 3, "areaDesc", AreaDesc(a, in.area));
  if (in.geometry != nullptr) {
    for (const auto& polygon : CapPolygons(*in.geometry)) Leaf(out, 3, "polygon", polygon);
  }
  if (in.area != nullptr && !in.area->pcode.empty()) {
    NameValue(out, 3, "geocode", "pcode", in.area->pcode);
  }
  NameValue(out, 3, "geocode", "sakchy:area", a.area.empty() ? "KG" : a.area);
  Close(out, 2, "area");
}

void AppendInfo(std::string& out, const CapInput& in, const CapContext& ctx) {
  const Alert& a = *in.alert;
  Open(out, 1, "info");
  Leaf(out, 2, "language", "en");
  Leaf(out, 2, "category", "Security");
  Leaf(out, 2, "event", EventName(a, in.area));
  Leaf(out, 2, "responseType", a.kind == AlertKind::kFollowUp ? "None" : "Monitor");
  Leaf(out, 2, "urgency", CapUrgency(a.severity));
  Leaf(out, 2, "severity", CapSeverity(a.severity));
  Leaf(out, 2, "certainty", CapCertainty(a.kind));
  NameValue(out, 2, "eventCode", "sakchy:kind", AlertKindName(a.kind));
  Leaf(out, 2, "effective", CapTime(a.created_at));
  Leaf(out, 2, "senderName", "Sakchy");
  Leaf(out, 2, "headline", Headline(a, in.area));
  Leaf(out, 2, "description", Description(a, in.area));
  Leaf(out, 2, "instruction",
       "Verify with local sources before acting. Acknowledge in Sakchy to stop escalation.");
  Leaf(out, 2, "web", ctx.base_url + "/v1/alerts/" + a.id);
  NameValue(out, 2, "parameter", "sakchy:severity", SeverityName(a.severity));
  if (!a.categories.empty()) NameValue(out, 2, "parameter", "sakchy:categories", Joined(a.categories));
  if (!a.group_key.empty()) NameValue(out, 2, "parameter", "sakchy:group_key", a.group_key);
  if (!a.subject_id.empty()) NameValue(out, 2, "parameter", "sakchy:subject_id", a.subject_id);
  const std::size_t events = a.event_ids.empty() && !a.event_id.empty() ? 1 : a.event_ids.size();
  NameValue(out, 2, "parameter", "sakchy:events", std::to_string(events));
  AppendArea(out, in);
  Close(out, 1, "info");
}

}  // namespace

CapContext CapContextFor(std::string_view host, std::string_view forwarded_proto) {
  bool ok = !host.empty() && host.size() <= 255;
  for (char c : host) {
    const bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                         c == '.' || c == '-' || c == ':' || c == '[' || c == ']';
    ok = ok && allowed;
  }
  const std::string h = ok ? std::string(host) : "localhost";
  std::string name = h;  // without the port
  if (!name.empty() && name.front() == '[') {
    name = name.substr(0, name.find(']') + 1);
  } else if (auto colon = name.find(':'); colon != std::string::npos) {
    name = name.substr(0, colon);
  }
  const bool tls = forwarded_proto == "https";
  return CapContext{"sakchy@" + name, std::string(tls ? "https://" : "http://") + h};
}

std::string CapTime(TimeMs t) {
  // FormatRfc3339: "2024-06-01T12:00:00.250Z"; CAP wants seconds and a numeric offset.
  const TimeMs seconds = t >= 0 ? t / 1000 * 1000 : (t - 999) / 1000 * 1000;
  return FormatRfc3339(seconds).substr(0, 19) + "-00:00";
}

std::vector<std::string> CapPolygons(std::string_view geojson_geometry) {
  std::vector<std::string> out;
  boost::system::error_code ec;
  json::value g = json::parse(geojson_geometry, ec);
  if (ec || !g.is_object()) return out;
  const json::value* type = g.as_object().if_contains("type");
  const json::value* coordinates = g.as_object().if_contains("coordinates");
  if (type == nullptr || coordinates == nullptr || !coordinates->is_array()) return out;
  std::vector<const json::value*> polygons;
  if (*type == "Polygon") {
    polygons.push_back(coordinates);
  } else if (*type == "MultiPolygon") {
    for (const auto& p : coordinates->as_array()) polygons.push_back(&p);
  }
  for (const json::value* p : polygons) {
    if (!p->is_array() || p->as_array().empty() || !p->as_array()[0].is_array()) continue;
    const auto& ring = p->as_array()[0].as_array();  // exterior only: CAP has no holes
    if (ring.size() < 4) continue;
    std::string text;
    bool good = true;
    for (const auto& pos : ring) {
      if (!pos.is_array() || pos.as_array().size() < 2 || !pos.as_array()[0].is_number() ||
          !pos.as_array()[1].is_number()) {
        good = false;
        break;
      }
      if (!text.empty()) text += ' ';
      AppendNumber(text, pos.as_array()[1].to_number<double>());  // latitude first
      text += ',';
      AppendNumber(text, pos.as_array()[0].to_number<double>());
    }
    if (good) out.push_back(std::move(text));
  }
  return out;
}

std::string RenderCapAlert(const CapInput& in, const CapContext& ctx, bool xml_declaration) {
  const Alert& a = *in.alert;
  std::string out;
  out.reserve(4096);
  if (xml_declaration) out += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += "<alert xmlns=\"";
  out += kCapNamespace;
  out += "\">\n";
  Leaf(out, 1, "identifier", a.id);
  Leaf(out, 1, "sender", ctx.sender);
  Leaf(out, 1, "sent", CapTime(a.created_at));
  Leaf(out, 1, "status", "Actual");
  const bool first = in.first_id.empty() || in.first_id == a.id;
  Leaf(out, 1, "msgType", first ? "Alert" : "Update");
  Leaf(out, 1, "scope", "Restricted");
  Leaf(out, 1, "restriction", kRestriction);
  if (!first) {
    Leaf(out, 1, "references",
         ctx.sender + "," + std::string(in.first_id) + "," + CapTime(in.first_created_at));
  }
  Leaf(out, 1, "incidents", first ? a.id : std::string(in.first_id));
  AppendInfo(out, in, ctx);
  out += "</alert>\n";
  return out;
}

std::string RenderCapAtomFeed(std::span<const CapInput> entries, const CapContext& ctx,
                              TimeMs updated, std::string_view next_url) {
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += "<feed xmlns=\"http://www.w3.org/2005/Atom\">\n";
  const std::string self = ctx.base_url + "/v1/alerts.atom";
  Leaf(out, 1, "id", self);
  Leaf(out, 1, "title", "Sakchy alerts (CAP 1.2)");
  Leaf(out, 1, "updated", FormatRfc3339(updated));
  out += "  <author>\n";
  Leaf(out, 2, "name", "Sakchy");
  out += "  </author>\n  <link rel=\"self\" type=\"application/atom+xml\" href=\"";
  AppendXmlEscaped(out, self);
  out += "\"/>\n";
  if (!next_url.empty()) {
    out += "  <link rel=\"next\" type=\"application/atom+xml\" href=\"";
    AppendXmlEscaped(out, next_url);
    out += "\"/>\n";
  }
  for (const CapInput& in : entries) {
    const Alert& a = *in.alert;
    const std::string cap_url = ctx.base_url + "/v1/alerts/" + a.id + ".cap";
    out += "  <entry>\n";
    Leaf(out, 2, "id", cap_url);
    Leaf(out, 2, "title", Headline(a, in.area));
    Leaf(out, 2, "updated", FormatRfc3339(a.created_at));
    out += "    <link rel=\"alternate\" type=\"application/cap+xml\" href=\"";
    AppendXmlEscaped(out, cap_url);
    out += "\"/>\n";
    Leaf(out, 2, "summary", Description(a, in.area));
    out += "    <content type=\"application/cap+xml\">\n";
    out += RenderCapAlert(in, ctx, false);
    out += "    </content>\n  </entry>\n";
  }
  out += "</feed>\n";
  return out;
}

}  // namespace sakchy::service

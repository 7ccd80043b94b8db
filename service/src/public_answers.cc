#include "public_answers.h"

#include <boost/json.hpp>

#include <cstdio>

#include "core/json_text.h"
#include "core/time.h"
#include "xml_text.h"

namespace sakchy::service {
namespace json = boost::json;
namespace {

constexpr std::size_t kScanLimit = 5000;

std::string Key(const PublicAnswer& a) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%016lld", static_cast<long long>(a.published_at));
  return std::string(buf) + ":" + a.cluster_id;
}

std::optional<PublicAnswer> Decode(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const auto& o = v.as_object();
  PublicAnswer a;
  auto str = [&](std::string_view k) {
    const auto* x = o.if_contains(k);
    return x != nullptr && x->is_string() ? std::string(x->as_string()) : std::string();
  };
  a.cluster_id = str("cluster_id");
  a.statement = str("statement");
  a.status = ParseVerdictStatus(str("status")).value_or(VerdictStatus::kUnverified);
  if (const auto* t = o.if_contains("published_at"); t != nullptr && t->is_int64()) {
    a.published_at = t->as_int64();
  }
  if (const auto* ar = o.if_contains("areas"); ar != nullptr && ar->is_array()) {
    for (const auto& x : ar->as_array()) {
      if (x.is_string()) a.areas.emplace_back(x.as_string());
    }
  }
  return a;
}

std::string AreaNames(const PublicAnswer& a, const config::AreaTree& areas) {
  std::string out;
  for (const auto& code : a.areas) {
    const config::Area* area = areas.Find(code);
    if (!out.empty()) out += ", ";
    out += area != nullptr && !area->name_ky.empty() ? area->name_ky + " / " + area->name_ru
                                                     : code;
  }
  return out;
}

std::string StatusTitle(VerdictStatus s) {
  switch (s) {
    case VerdictStatus::kFalse: return "ЖАЛГАН / ЛОЖЬ / FALSE";
    case VerdictStatus::kConfirmed: return "ЧЫН / ПОДТВЕРЖДЕНО / CONFIRMED";
    case VerdictStatus::kMisleading: return "ЧАТАШТЫРАТ / ВВОДИТ В ЗАБЛУЖДЕНИЕ / MISLEADING";
    case VerdictStatus::kUnverified: return "ТЕКШЕРИЛҮҮДӨ / ПРОВЕРЯЕТСЯ / UNVERIFIED";
  }
  return "";
}

}  // namespace

Status PublishAnswer(storage::Store& store, const PublicAnswer& answer) {
  json::array areas;
  for (const auto& a : answer.areas) areas.emplace_back(a);
  storage::RecordWrite w{std::string(kPublicAnswersTable), Key(answer),
                         ToJsonText(json::value(json::object{
                             {"cluster_id", answer.cluster_id},
                             {"status", VerdictStatusName(answer.status)},
                             {"statement", answer.statement},
                             {"areas", std::move(areas)},
                             {"published_at", answer.published_at}}))};
  return store.WriteRecords(std::span<const storage::RecordWrite>(&w, 1));
}

Result<std::vector<PublicAnswer>> ListPublicAnswers(storage::Store& store,
                                                    const config::AreaTree& areas,
                                                    const std::optional<AreaCode>& area,
                                                    std::size_t limit) {
  if (area && areas.Find(*area) == nullptr) {
    return MakeError(ErrorCode::kInvalidArgument, "unknown area code '" + *area + "'");
  }
  storage::RecordScan scan;
  scan.reverse = true;
  scan.limit = kScanLimit;
  auto records = store.ScanRecords(kPublicAnswersTable, scan);
  if (!records) return tl::unexpected(records.error());
  std::vector<PublicAnswer> out;
  for (const auto& r : *records) {
    if (out.size() >= limit) break;
    auto a = Decode(r.value);
    if (!a) continue;
    if (area) {
      bool match = false;
      for (const auto& code : a->areas) {
        match = match || areas.IsWithin(code, *area) || areas.IsWithin(*area, code);
      }
      if (!match) continue;
    }
    out.push_back(std::move(*a));
  }
  return out;
}

std::string PublicAnswersJson(const std::vector<PublicAnswer>& answers,
                              const config::AreaTree& areas) {
  json::array items;
  for (const auto& a : answers) {
    json::array codes;
    for (const auto& code : a.areas) {
      const config::Area* area = areas.Find(code);
      json::object o{{"code", code}};
      if (area != nullptr) {
        o["name_ky"] = area->name_ky;
        o["name_ru"] = area->name_ru;
        o["name_en"] = area->name_en;
      }
      codes.push_back(std::move(o));
    }
    items.push_back(json::object{{"id", "urn:sakchy:answer:" + a.cluster_id + ":" +
                                            std::to_string(a.published_at)},
                                 {"status", VerdictStatusName(a.status)},
                                 {"statement", a.statement},
                                 {"areas", std::move(codes)},
                                 {"published_at", FormatRfc3339(a.published_at)}});
  }
  return ToJsonText(json::value(json::object{{"answers", std::move(items)}}));
}

std::string PublicAnswersAtom(const std::vector<PublicAnswer>& answers,
                              const config::AreaTree& areas, const std::string& self_url,
                              const std::optional<AreaCode>& area, TimeMs now) {
  std::string out = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
                    "<feed xmlns=\"http://www.w3.org/2005/Atom\">\n  <id>urn:sakchy:answers";
  if (area) AppendXmlEscaped(out += ":", *area);
  out += "</id>\n  <title>Сакчы: текшерилген жооптор / Проверенные ответы / Verified answers";
  if (area) {
    const config::Area* a = areas.Find(*area);
    out += " — ";
    AppendXmlEscaped(out, a != nullptr ? a->name_ky + " / " + a->name_ru : *area);
  }
  out += "</title>\n  <link rel=\"self\" type=\"application/atom+xml\" href=\"";
  AppendXmlEscaped(out, self_url);
  out += "\"/>\n  <updated>" + FormatRfc3339(answers.empty() ? now : answers.front().published_at) +
         "</updated>\n  <author><name>Sakchy</name></author>\n";
  for (const auto& a : answers) {
    out += "  <entry>\n    <id>urn:sakchy:answer:";
    AppendXmlEscaped(out, a.cluster_id);
    out += ":" + std::to_string(a.published_at) + "</id>\n    <title>";
    std::string title = StatusTitle(a.status);
    const std::string names = AreaNames(a, areas);
    if (!names.empty()) title += " — " + names;
    AppendXmlEscaped(out, title);
    out += "</title>\n    <updated>" + FormatRfc3339(a.published_at) + "</updated>\n";
    for (const auto& code : a.areas) {
      out += "    <category term=\"";
      AppendXmlEscaped(out, code);
      out += "\"/>\n";
    }
    out += "    <content type=\"text\">";
    AppendXmlEscaped(out, a.statement);
    out += "</content>\n  </entry>\n";
  }
  out += "</feed>\n";
  return out;
}

}  // namespace sakchy::service

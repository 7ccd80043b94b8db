#include "reply_desk.h"

#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include <map>
#include <set>

#include "core/channel.h"
#include "core/crypto.h"
#include "core/json_text.h"
#include "storage/audit.h"

namespace sakchy::alerts {
namespace json = boost::json;

namespace {
constexpr TimeMs kWhatsAppWindowMs = 24LL * 3600 * 1000;
constexpr std::size_t kMaxAnswerEvents = 5000;

std::int64_t IntOf(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_int64() ? v->as_int64() : 0;
}
std::string StrOf(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}
}  // namespace

// One entry of the reporter directory.
struct ReplyDesk::Reporter {
  std::string channel;
  std::string address;  // sealed
  std::string language;
  bool stopped = false;
  TimeMs stopped_at = 0;
  TimeMs last_in = 0;
  bool asked_text = false;
  std::vector<TimeMs> acks;  // recent acknowledgement times

  static Reporter Decode(const std::string& text) {
    Reporter r;
    boost::system::error_code ec;
    json::value v = json::parse(text, ec);
    if (ec || !v.is_object()) return r;
    const auto& o = v.as_object();
    r.channel = StrOf(o, "channel");
    r.address = StrOf(o, "address");
    r.language = StrOf(o, "language");
    r.stopped = o.if_contains("stopped") && o.at("stopped").is_bool() && o.at("stopped").as_bool();
    r.stopped_at = IntOf(o, "stopped_at");
    r.last_in = IntOf(o, "last_in");
    r.asked_text = o.if_contains("asked_text") && o.at("asked_text").is_bool() &&
                   o.at("asked_text").as_bool();
    if (const auto* a = o.if_contains("acks"); a != nullptr && a->is_array()) {
      for (const auto& t : a->as_array()) {
        if (t.is_int64()) r.acks.push_back(t.as_int64());
      }
    }
    return r;
  }
  std::string Encode() const {
    json::array a;
    for (TimeMs t : acks) a.emplace_back(t);
    return ToJsonText(json::value(json::object{{"channel", channel},
                                               {"address", address},
                                               {"language", language},
                                               {"stopped", stopped},
                                               {"stopped_at", stopped_at},
                                               {"last_in", last_in},
                                               {"asked_text", asked_text},
                                               {"acks", std::move(a)}}));
  }
};

ReplyDesk::ReplyDesk(AlertStore store, config::RepliesConfig cfg,
                     const config::ChannelsConfig& channels, ReplyCatalog catalog,
                     const Clock& clock, IdGenerator& ids, MetricsRegistry& metrics)
    : store_(store),
      cfg_(std::move(cfg)),
      channels_(channels),
      catalog_(std::move(catalog)),
      clock_(clock),
      ids_(ids),
      acks_(metrics.GetCounter("sakchy_replies_total", "Replies to reporters created",
                               {{"kind", "ack"}})),
      answers_(metrics.GetCounter("sakchy_replies_total", "Replies to reporters created",
                                  {{"kind", "answer"}})),
      limited_(metrics.GetCounter("sakchy_replies_skipped_total",
                                  "Replies to reporters not sent", {{"reason", "rate_limit"}})),
      stops_(metrics.GetCounter("sakchy_replies_skipped_total", "Replies to reporters not sent",
                                {{"reason", "stopped"}})),
      unreachable_(metrics.GetCounter("sakchy_replies_skipped_total",
                                      "Replies to reporters not sent",
                                      {{"reason", "unreachable"}})) {}

std::string ReplyDesk::Language(const std::string& language) const {
  return catalog_.HasLanguage(language) ? language : cfg_.default_language;
}

bool ReplyDesk::Reachable(const std::string& channel, const std::string& sealed) const {
  if (sealed.empty()) return false;
  const std::optional<ChannelKind> kind = ParseChannel(channel);
  if (kind == ChannelKind::kSms) return channels_.sms.has_value();
  if (kind == ChannelKind::kWhatsApp) return channels_.whatsapp.has_value();
  if (kind == ChannelKind::kTelegram) {
    auto address = OpenText(channels_.reply_key, sealed);
    if (!address) return false;
    const auto colon = address->find(':');
    return colon != std::string::npos ? channels_.source_bots.count(address->substr(0, colon)) > 0
                                      : channels_.telegram.has_value();
  }
  return false;
}

std::optional<Alert> ReplyDesk::MakeReply(const std::string& pseudonym, const Reporter& reporter,
                                          const std::string& text, const std::string& group_key,
                                          TimeMs now) {
  if (!Reachable(reporter.channel, reporter.address)) {
    unreachable_.Inc();
    return std::nullopt;
  }
  Alert a;
  a.id = ids_.Next();
  a.kind = AlertKind::kReply;
  a.contact_id = "reporter:" + pseudonym;
  a.channel = reporter.channel;
  a.target = reporter.address;
  a.group_key = group_key;
  a.sequence = 1;
  a.idempotency_key = Sha256Hex(group_key + "\n" + pseudonym).substr(0, 32);
  a.created_at = now;
  a.next_attempt_at = now;
  const std::optional<ChannelKind> kind = ParseChannel(reporter.channel);
  if (kind == ChannelKind::kSms) {
    a.payload = text;
  } else if (kind == ChannelKind::kTelegram) {
    a.payload = ToJsonText(json::value(json::object{{"text", text}}));
  } else {  // whatsapp: free text inside the customer service window, else the template
    json::object body{{"messaging_product", "whatsapp"}, {"recipient_type", "individual"}};
    if (now - reporter.last_in < kWhatsAppWindowMs) {
      body["type"] = "text";
      body["text"] = json::object{{"body", text}};
    } else if (!channels_.whatsapp->template_name.empty()) {
      json::object param{{"type", "text"}, {"text", text}};
      body["type"] = "template";
      body["template"] = json::object{
          {"name", channels_.whatsapp->template_name},
          {"language", json::object{{"code", channels_.whatsapp->template_language}}},
          {"components", json::array{json::object{{"type", "body"},
                                                  {"parameters", json::array{param}}}}}};
    } else {
      unreachable_.Inc();
      return std::nullopt;
    }
    a.payload = ToJsonText(json::value(body));
  }
  return a;
}

Result<std::vector<Alert>> ReplyDesk::OnMessage(const ReporterMessage& m) {
  std::vector<Alert> created;
  if (m.pseudonym.empty()) return created;
  if (const auto kind = ParseChannel(m.channel); kind != ChannelKind::kSms &&
                                                 kind != ChannelKind::kWhatsApp &&
                                                 kind != ChannelKind::kTelegram) {
    return created;
  }
  const TimeMs now = clock_.NowMs();
  auto stored = store_.records.GetRecord(kReportersTable, m.pseudonym);
  if (!stored) return tl::unexpected(stored.error());
  Reporter r = *stored ? Reporter::Decode(**stored) : Reporter{};
  r.channel = m.channel;
  if (!m.reply_address.empty()) r.address = SealText(channels_.reply_key, m.reply_address);
  if (catalog_.HasLanguage(m.language)) r.language = m.language;
  r.last_in = now;
  std::vector<storage::RecordWrite> records;
  if (m.kind == ReporterMessage::Kind::kStop) {
    if (!r.stopped) {
      r.stopped = true;
      r.stopped_at = now;
      storage::AuditEntry e{ids_.Next(), now, m.pseudonym, "reply.stop", m.pseudonym,
                            "{\"channel\":\"" + m.channel + "\"}"};
      records.push_back(storage::AuditRecord(e));
    }
  } else if (!m.report_id.empty()) {
    records.push_back({std::string(kReporterOfTable), m.report_id, m.pseudonym});
    const std::string lang = Language(r.language);
    const std::string ref = ReportReference(m.report_id);
    if (r.stopped) {
      stops_.Inc();
    } else if (m.kind == ReporterMessage::Kind::kMedia) {
      if (!r.asked_text) {
        r.asked_text = true;
        if (auto a = MakeReply(m.pseudonym, r, catalog_.Text("reply.send_text", lang),
                               "reply:text:" + m.report_id, now)) {
          created.push_back(std::move(*a));
        }
      }
    } else if (m.new_report && cfg_.acknowledge) {
      std::erase_if(r.acks, [&](TimeMs t) { return now - t >= cfg_.ack_per_ms; });
      if (static_cast<int>(r.acks.size()) >= cfg_.ack_max) {
        limited_.Inc();
      } else if (auto a = MakeReply(m.pseudonym, r,
                                    catalog_.Text("reply.ack", lang, {{"ref", ref}}),
                                    "reply:ack:" + m.report_id, now)) {
        a->event_id = m.report_id;
        a->event_ids = {m.report_id};
        r.acks.push_back(now);
        acks_.Inc();
        created.push_back(std::move(*a));
      }
    }
  }
  records.push_back({std::string(kReportersTable), m.pseudonym, r.Encode()});
  if (auto st = store_.outbox.UpdateAlerts(created, records); !st) return tl::unexpected(st.error());
  return created;
}

void ReplyDesk::PostPublic(const Verdict& verdict, const std::string& area,
                           const std::string& group_key, TimeMs now,
                           std::vector<Alert>& created) {
  Reporter channel;
  channel.channel = ChannelName(ChannelKind::kTelegram);
  channel.address = SealText(channels_.reply_key, cfg_.public_telegram_chat);
  const std::string lang = cfg_.default_language;
  const std::string text = catalog_.Text(
      "public.answer", lang,
      {{"area", area},
       {"status",
        catalog_.Text("status." + std::string(VerdictStatusName(verdict.status)), lang)},
       {"statement", verdict.statement}});
  if (auto a = MakeReply("public", channel, text, "public:" + group_key, now)) {
    a->subject_id = verdict.cluster_id;
    created.push_back(std::move(*a));
  }
}

Result<std::vector<Alert>> ReplyDesk::Answer(const Verdict& verdict,
                                             std::optional<std::string> public_area) {
  std::vector<Alert> created;
  if (verdict.status == VerdictStatus::kUnverified) return created;
  const TimeMs now = clock_.NowMs();
  const std::string group_key =
      "answer:" + verdict.cluster_id + ":" + std::to_string(verdict.decided_at);
  storage::AlertFilter done_filter;
  done_filter.group_key = group_key;
  auto done = store_.outbox.ListAlerts(done_filter, 10000, {});
  if (!done) return tl::unexpected(done.error());
  std::set<std::string> answered;
  for (const Alert& a : *done) answered.insert(a.contact_id);

  std::map<std::string, std::string> reporters;  // pseudonym -> their first report of the cluster
  for (std::size_t i = 0; i < verdict.event_ids.size() && i < kMaxAnswerEvents; ++i) {
    auto who = store_.records.GetRecord(kReporterOfTable, verdict.event_ids[i]);
    if (!who) return tl::unexpected(who.error());
    if (*who) reporters.emplace(**who, verdict.event_ids[i]);
  }
  std::vector<storage::RecordWrite> records;
  for (const auto& [pseudonym, report_id] : reporters) {
    if (answered.count("reporter:" + pseudonym)) continue;
    auto stored = store_.records.GetRecord(kReportersTable, pseudonym);
    if (!stored) return tl::unexpected(stored.error());
    if (!*stored) continue;
    const Reporter r = Reporter::Decode(**stored);
    if (r.stopped) {
      stops_.Inc();
      continue;
    }
    const std::string text =
        AnswerText(catalog_, Language(r.language), verdict.status, verdict.statement,
                   ReportReference(report_id), IsChannel(r.channel, ChannelKind::kSms));
    auto a = MakeReply(pseudonym, r, text, group_key, now);
    if (!a) continue;
    a->event_id = report_id;
    a->event_ids = {report_id};
    a->subject_id = verdict.cluster_id;
    storage::AuditEntry e{ids_.Next(), now, "system", "reply.answer", verdict.cluster_id,
                          ToJsonText(json::value(json::object{
                              {"reporter", pseudonym},
                              {"channel", r.channel},
                              {"alert_id", a->id},
                              {"report_id", report_id},
                              {"status", VerdictStatusName(verdict.status)}}))};
    records.push_back(storage::AuditRecord(e));
    answers_.Inc();
    created.push_back(std::move(*a));
  }
  if (public_area && !cfg_.public_telegram_chat.empty() && channels_.telegram) {
    storage::AlertFilter public_filter;
    public_filter.group_key = "public:" + group_key;
    auto posted = store_.outbox.ListAlerts(public_filter, 1, {});
    if (!posted) return tl::unexpected(posted.error());
    if (posted->empty()) PostPublic(verdict, *public_area, group_key, now, created);
  }
  if (created.empty() && records.empty()) return created;
  if (auto st = store_.outbox.UpdateAlerts(created, records); !st) return tl::unexpected(st.error());
  spdlog::info("replies: verdict on {}: {} answers to reporters", verdict.cluster_id,
               created.size());
  return created;
}

}  // namespace sakchy::alerts

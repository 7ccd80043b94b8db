#include "acknowledgements.h"

#include <spdlog/spdlog.h>

#include <cstdlib>

#include "alerts/templates.h"
#include "audit_write.h"
#include "core/channel.h"
#include "core/language.h"
#include "engine_records.h"

namespace sakchy::alerts {
namespace {

constexpr std::size_t kMaxAcksListed = 1000;
constexpr std::size_t kMaxCodeMatches = 20;

std::string Digits(std::string_view number) {
  std::string out;
  for (char c : number) {
    if (c >= '0' && c <= '9') out += c;
  }
  return out;
}

// The answer the Telegram client shows under the button.
std::string AckAnswer(Language language, bool ok) {
  switch (language) {
    case Language::kKy: return ok ? "Кабыл алынды" : "Эскертүү табылган жок";
    case Language::kUz: return ok ? "Qabul qilindi" : "Ogohlantirish topilmadi";
    case Language::kEn: return ok ? "Acknowledged" : "Unknown alert";
    case Language::kRu: break;
  }
  return ok ? "Принято" : "Тревога не найдена";
}

}  // namespace

Result<std::vector<Ack>> Acknowledgements::List(const std::string& group_key) const {
  storage::RecordScan scan;
  scan.prefix = group_key;
  scan.prefix.push_back('\0');
  scan.limit = kMaxAcksListed;
  auto records = store_.records.ScanRecords(kAcksTable, scan);
  if (!records) return tl::unexpected(records.error());
  std::vector<Ack> out;
  for (const auto& r : *records) {
    auto ack = DecodeAck(r.value);
    if (!ack) return tl::unexpected(ack.error());
    out.push_back(std::move(*ack));
  }
  return out;
}

Result<AckOutcome> Acknowledgements::Acknowledge(const AckRequest& request) {
  auto stored = store_.outbox.GetAlert(request.alert_id);
  if (!stored) return tl::unexpected(stored.error());
  if (!stored->has_value() || (*stored)->kind == AlertKind::kRoute) {
    return MakeError(ErrorCode::kNotFound, "no alert with id " + request.alert_id);
  }
  const Alert& alert = **stored;
  const std::string group_key =
      alert.group_key.empty() ? "event:" + alert.event_id : alert.group_key;
  auto acks = List(group_key);
  if (!acks) return tl::unexpected(acks.error());
  for (const Ack& earlier : *acks) {
    if (earlier.actor == request.actor) return AckOutcome{earlier, true};
  }
  Ack ack;
  ack.id = ids_.Next();
  ack.group_key = group_key;
  ack.alert_id = alert.id;
  ack.contact_id = alert.contact_id;
  ack.actor = request.actor;
  ack.via = request.via;
  ack.note = request.note;
  ack.at = clock_.NowMs();
  storage::RecordWrite audit =
      AuditWrite(ids_, ack.at, ack.actor, "alert.ack", alert.id, EncodeAck(ack));
  notifier_.Acknowledge(group_key, ack.at);
  std::vector<storage::RecordWrite> writes = notifier_.TakeDirty();
  writes.push_back(storage::RecordWrite{std::string(kAcksTable), AckKey(ack), EncodeAck(ack)});
  writes.push_back(std::move(audit));
  if (auto st = store_.records.WriteRecords(writes); !st) return tl::unexpected(st.error());
  metrics_.GetCounter("sakchy_alerts_acked_total", "Alert groups acknowledged", {{"via", ack.via}})
      .Inc();
  spdlog::info("alerts: group {} acknowledged via {} by {} (alert {})", group_key, ack.via,
               ack.actor, alert.id);
  return AckOutcome{std::move(ack), false};
}

Result<std::optional<AckRequest>> Acknowledgements::FromSms(std::string_view sender,
                                                            std::string_view code) const {
  const std::string digits = Digits(sender);
  if (digits.size() < 7 || code.size() != 4) return std::optional<AckRequest>();
  std::vector<std::string> contacts;
  for (const ContactInfo& info : directory_.Contacts()) {
    for (const auto& ch : info.contact.channels) {
      if (IsChannel(ch.type, ChannelKind::kSms) && Digits(ch.address) == digits) {
        contacts.push_back(info.contact.id);
        break;
      }
    }
  }
  // The newest notification with this code to one of them.
  std::string best;
  std::string best_contact;
  for (const std::string& contact : contacts) {
    storage::RecordScan scan;
    scan.prefix = CodeKey(contact, code, {});
    scan.reverse = true;
    scan.limit = kMaxCodeMatches;
    auto records = store_.records.ScanRecords(kCodesTable, scan);
    if (!records) return tl::unexpected(records.error());
    for (const auto& r : *records) {
      const std::string id = r.key.substr(scan.prefix.size());
      if (id > best) {
        best = id;
        best_contact = contact;
      }
    }
  }
  if (best.empty()) {
    spdlog::info("alerts: an SMS acknowledgement with code {} matched no alert of a known "
                 "contact; treated as a report",
                 code);
    return std::optional<AckRequest>();
  }
  return std::optional<AckRequest>(
      AckRequest{best, "contact:" + best_contact, std::string(ChannelName(ChannelKind::kSms)), ""});
}

void Acknowledgements::StartTelegram(Acknowledger acknowledge) {
  acknowledge_ = std::move(acknowledge);
  std::int64_t offset = 0;
  if (auto stored = store_.records.GetRecord(kTelegramTable, "offset"); stored && *stored) {
    offset = std::atoll((*stored)->c_str());
  }
  auto on_press = [this](const CallbackPress& press) { return OnPress(press); };
  auto save = [this](std::int64_t next) {
    std::vector<storage::RecordWrite> w{
        {std::string(kTelegramTable), "offset", std::to_string(next)}};
    if (auto st = store_.records.WriteRecords(w); !st) {
      spdlog::warn("alerts: cannot store the telegram updates offset: {}", st.error().ToString());
    }
  };
  telegram_ = std::make_unique<TelegramUpdates>(*cfg_.channels.telegram, offset, on_press, save);
  telegram_->Start();
}

void Acknowledgements::Stop() {
  if (telegram_) telegram_->Stop();
}

std::string Acknowledgements::OnPress(const CallbackPress& press) {
  auto parsed = ParseAckCallback(press.data);
  if (!parsed) return AckAnswer(Language::kRu, false);
  auto stored = store_.outbox.GetAlert(parsed->second);
  if (!stored || !stored->has_value()) return AckAnswer(Language::kRu, false);
  const Alert& alert = **stored;
  Language language = Language::kRu;
  if (auto info = directory_.Find(alert.contact_id)) {
    language = LanguageOrRussian(info->contact.language);
  }
  // Only the chat the notification went to can acknowledge it, with the code it showed (a
  // channel addressed as @name answers with its numeric id: not comparable).
  const bool same_chat =
      alert.target.starts_with("@") || Digits(alert.target) == Digits(press.chat_id);
  if (!IsChannel(alert.channel, ChannelKind::kTelegram) || !same_chat ||
      AlertCode(alert.id) != parsed->first) {
    spdlog::warn("alerts: a telegram button press for {} came from another chat or with a "
                 "wrong code; ignored",
                 alert.id);
    return AckAnswer(language, false);
  }
  auto ack = acknowledge_({alert.id, "contact:" + alert.contact_id,
                           std::string(ChannelName(ChannelKind::kTelegram)),
                           "telegram user " + press.from_id});
  if (!ack) {
    spdlog::error("alerts: acknowledging {} from telegram failed: {}", alert.id,
                  ack.error().ToString());
    return AckAnswer(language, false);
  }
  return AckAnswer(language, true);
}

}  // namespace sakchy::alerts

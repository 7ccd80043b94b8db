#pragma once
// Acknowledgements: someone has seen an alert and is acting on it. An acknowledgement applies to
// the notification's group (the incident), stops its escalation, and is kept in the record table
// "alert_acks" (key: group key, '\0', ack id), audited as "alert.ack".

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "core/result.h"
#include "core/types.h"

namespace sakchy::alerts {

inline constexpr std::string_view kAcksTable = "alert_acks";

struct Ack {
  std::string id;          // ULID
  std::string group_key;   // the incident
  std::string alert_id;    // the notification it answered
  std::string contact_id;  // the contact of that notification
  std::string actor;       // token name, "contact:<id>"
  std::string via;         // "api" | "sms" | "telegram"
  std::string note;        // free text (API only), at most 1000 bytes
  TimeMs at = 0;
};

// Record key and value (JSON) of an acknowledgement.
std::string AckKey(const Ack& ack);
std::string EncodeAck(const Ack& ack);
[[nodiscard]] Result<Ack> DecodeAck(std::string_view value);

// "OK 4821", "ok4821", " Ok  4821 " -> "4821": an SMS reply that acknowledges; std::nullopt for
// anything else (it is then an ordinary report).
std::optional<std::string> ParseSmsAck(std::string_view text);
// The Telegram button's callback_data "ack:<code>:<alert id>" -> {code, alert id}; std::nullopt
// for anything else.
std::optional<std::pair<std::string, std::string>> ParseAckCallback(std::string_view data);

}  // namespace sakchy::alerts

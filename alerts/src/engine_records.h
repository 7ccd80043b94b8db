#pragma once
// Record tables and keys the engine's parts share (private to alerts). Pure; thread-safe.

#include <string>
#include <string_view>

#include "alerts/templates.h"
#include "config/config.h"
#include "core/language.h"
#include "core/types.h"
#include "alerts/store.h"

namespace sakchy::alerts {

// Index of the codes recipients acknowledge with: contact id \0 code \0 alert id -> "".
inline constexpr std::string_view kCodesTable = "alert_codes";
// The position of the alerts bot's getUpdates.
inline constexpr std::string_view kTelegramTable = "alert_telegram";
// Signals and verdicts, kept to render their notifications again (fallback channels).
inline constexpr std::string_view kSignalsTable = "alert_signals";
inline constexpr std::string_view kVerdictsTable = "alert_verdicts";
// At most this many events of a signal or verdict are looked at.
inline constexpr std::size_t kMaxFollowUpEvents = 1000;

// The message language of `contact` (Russian when unknown or absent).
inline Language ContactLanguage(const config::Contact* contact) {
  return contact != nullptr ? LanguageOrRussian(contact->language) : Language::kRu;
}

// "area:<code>" for an area spike, "cluster:<id>" for a cluster spread: the routing key.
inline std::string SignalKey(const Signal& s) {
  return (s.kind == Signal::Kind::kAreaSpike ? "area:" : "cluster:") + s.subject_id;
}

inline std::string CodeKey(std::string_view contact_id, std::string_view code,
                           std::string_view id) {
  std::string key(contact_id);
  key.push_back('\0');
  key.append(code);
  key.push_back('\0');
  key.append(id);
  return key;
}

// Written with every notification: how an "OK 4821" reply finds it.
inline storage::RecordWrite CodeRecord(const Alert& a) {
  return {std::string(kCodesTable), CodeKey(a.contact_id, AlertCode(a.id), a.id), std::string()};
}

}  // namespace sakchy::alerts

#pragma once
// Human-readable alert messages in Kyrgyz, Russian, Uzbek (Latin script) and English, used by the SMS, Telegram and
// e-mail channels. Pure functions of their input and the installed wording; thread-safe. The words
// come from the message catalogues config/defaults/messages/<lang>.po (keys alert.* and
// category.*; compiled in), so a translator changes them without touching C++.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/language.h"
#include "core/types.h"

namespace sakchy::alerts {

class ReplyCatalog;

// Makes `catalog` (e.g. ReplyCatalog::Load of `replies.messages_dir`) the source of the alert
// words from now on; keys it lacks keep the bundled text. Thread-safe: a message being rendered
// finishes with the words it started with.
void UseWording(const ReplyCatalog& catalog);

// SMS limit of the short form: two concatenated UCS-2 segments of 67 UTF-16 code units.
inline constexpr std::size_t kSmsMaxUnits = 134;
// Telegram sendMessage text limit (UTF-16 code units, as the Bot API counts).
inline constexpr std::size_t kTelegramMaxUnits = 4096;

// What a message is made of. `language` is "ky", "ru", "uz" or "en" (anything else: "ru").
// `area_name` is the display name in that language; empty -> the area code alone.
// `events` / `sources`: the size of the alert's group (several reports of one rumour or area);
// above 1 the texts say so.
struct MessageInput {
  const Alert* alert = nullptr;  // required
  const Event* event = nullptr;  // required
  std::string language{LanguageCode(Language::kRu)};
  std::string area_name;
  int events = 1;
  int sources = 1;
  int escalation_step = 0;  // > 0: the long form says it was escalated (not acknowledged)
  std::string reason;       // signals: why analytics raised it (long form)
  // Cluster spread signals: the figures, said in words instead of `reason` (both forms).
  std::optional<SpreadWhy> spread;
  std::vector<std::string> new_area_names;  // display names of spread->new_areas
  // The rumour was already checked (the verdict of its cluster): said first, with the statement.
  std::optional<Verdict> verdict;
};

// The figures of a cluster spread signal in words: "6 independent reports in 2 minutes,
// accelerating"; with public posts "6 independent reports and 3 public posts in 5 minutes,
// steady"; public posts only "5 public posts in 40 minutes, slowing down"; new areas (display
// names, or codes) appended: "; new area: Nookat".
std::string SpreadWhyText(std::string_view language, const SpreadWhy& why,
                          const std::vector<std::string>& new_area_names);
// "Already checked: FALSE — «statement»" with the statement cut to `max_code_points` (0: left
// out); "Already checked: FALSE" without a statement.
std::string VerdictNoteText(std::string_view language, VerdictStatus status,
                            std::string_view statement, std::size_t max_code_points);

// One group listed in a digest (what a rate-limited contact did not get one by one).
struct DigestLine {
  Severity severity = Severity::kInfo;
  std::string area_name;  // display name, or the code
  std::vector<std::string> categories;
  int events = 1;
};

// A 4-digit code ("0000".."9999") derived from the alert id (SHA-256), used to acknowledge
// ("OK 4821"). Stable for an alert; collisions between alerts of one day are possible but rare.
std::string AlertCode(std::string_view alert_id);

// UTF-16 code units of valid UTF-8 `s` (what SMS UCS-2 and Telegram count).
std::size_t Utf16Units(std::string_view s);

// The short form for SMS: at most kSmsMaxUnits UTF-16 units; the excerpt is shortened to fit.
std::string ShortMessage(const MessageInput& in);
// The long form for e-mail and Telegram: several lines, the full excerpt window, categories and
// both the area name and code. At most `max_units` UTF-16 units (the excerpt shrinks first).
std::string LongMessage(const MessageInput& in, std::size_t max_units = kTelegramMaxUnits);
// One-line e-mail subject (not encoded).
std::string Subject(const MessageInput& in);
// A digest: "Сакчы: ещё 12 тревог за 1 ч: Араванский район ×5, …" (SMS, <= kSmsMaxUnits) and
// a long form with one line per group. `code` acknowledges the digest.
std::string DigestShort(std::string_view language, const std::vector<DigestLine>& lines,
                        std::string_view code);
std::string DigestLong(std::string_view language, const std::vector<DigestLine>& lines,
                       std::string_view code, std::size_t max_units = kTelegramMaxUnits);
std::string DigestSubject(std::string_view language, std::size_t groups, std::string_view code);

// To the duty contact: a notification could not be delivered. `code` is the undelivered alert's
// code; `contact` its recipient's name (or id); `channel` the last channel tried.
struct NoticeInput {
  std::string language{LanguageCode(Language::kRu)};
  std::string code;
  Severity severity = Severity::kInfo;
  std::string area_name;
  std::string contact;
  std::string channel;
  std::string error;
};
std::string NoticeShort(const NoticeInput& in);  // <= kSmsMaxUnits
std::string NoticeLong(const NoticeInput& in);
std::string NoticeSubject(const NoticeInput& in);

// The verdict on a rumour, to everyone who was alerted about it, in their language. The
// statement is quoted as published.
struct FollowUpInput {
  std::string language{LanguageCode(Language::kRu)};
  VerdictStatus status = VerdictStatus::kUnverified;
  std::string statement;
  std::string area_name;
  TimeMs decided_at = 0;
};
std::string FollowUpShort(const FollowUpInput& in);  // <= kSmsMaxUnits (statement shortened)
std::string FollowUpLong(const FollowUpInput& in, std::size_t max_units = kTelegramMaxUnits);
std::string FollowUpSubject(const FollowUpInput& in);

// Label of the Telegram acknowledge button ("Кабыл алдым" / "Принято" / "Acknowledge").
std::string AckButtonLabel(std::string_view language);

}  // namespace sakchy::alerts

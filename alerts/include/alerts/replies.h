#pragma once
// Answers to the people who reported: an acknowledgement with a short reference, the verified
// answer when a verdict is recorded on their rumour, and "send text please" after a picture or
// voice message — on the channel they used (SMS through Kannel, WhatsApp, a private Telegram
// chat with a source's bot), in their language, through the outbox (kind reply) with its retries.
// Never to public sources (feeds, channels, groups).
//
// Reporter directory (record table `reporters`, key = the pseudonym, Report::submitted_by): the
// channel, the reply address sealed with the reply key (core/crypto.h SealText; the raw number or
// chat id is never stored in clear), the language, the STOP flag, the last message time (the
// WhatsApp 24-hour window) and recent acknowledgement times (rate limit). Table `reporter_of`:
// report id -> pseudonym, written with the acknowledgement.
//
// Wording: message catalogues (gettext .po, one per language: ky, ru, uz, en) bundled with the
// defaults (config/defaults/messages/<lang>.po) and overridable by replies.messages_dir.

#include <optional>
#include <string>
#include <string_view>
#include <map>

#include "core/result.h"
#include "core/types.h"

namespace sakchy::alerts {

// What intake tells the alerts module about a message from a person (Engine::Reported).
struct ReporterMessage {
  enum class Kind : std::uint8_t {
    kReport,  // a text stored as a report (new_report: not a duplicate or follow-up)
    kMedia,   // a picture, voice message, location ...: stored without text
    kStop,    // "STOP" / "ТОКТОТ" / "СТОП" / "TO'XTAT": no more replies (not stored as a report)
  };
  Kind kind = Kind::kReport;
  std::string channel;        // "sms" | "whatsapp" | "telegram"
  std::string pseudonym;      // Report::submitted_by
  std::string reply_address;  // Report::reply_address (sealed before it is stored)
  std::string language;       // "ky" | "ru" | "uz" | "en"; anything else: replies.default_language
  std::string report_id;      // the stored report (kReport, kMedia)
  bool new_report = true;     // false for a duplicate or a follow-up: no acknowledgement
};

// True when `text` (trimmed, any case) is a stop word: STOP, СТОП, ТОКТОТ, TOKTOT, TO'XTAT,
// ТЎХТАТ, STOPP.
bool IsStopWord(std::string_view text);

// The reference a reporter is given for a report: 4 digits from the SHA-256 of its id (like
// AlertCode), e.g. "4821".
std::string ReportReference(std::string_view report_id);

// Reply wording by key and language, from .po catalogues: msgctxt = key, msgid = the English
// text, msgstr = the translation (empty: the English). Placeholders {ref}, {status}, {statement}.
// Keys: reply.ack, reply.answer, reply.send_text, public.answer ({area}), status.confirmed, status.false,
// status.misleading, status.unverified.
class ReplyCatalog {
 public:
  // Reads "<dir>/<lang>.po" for ky, ru, uz, en; dir "" = the bundled catalogues. kInvalidArgument
  // ("file:line: problem") for a malformed file or a key missing from the English catalogue.
  [[nodiscard]] static Result<ReplyCatalog> Load(const std::string& dir);
  // Parses one catalogue (msgctxt -> msgstr, or msgid when msgstr is empty; the forms of a
  // plural entry as `key`, `key#1`, ... falling back to msgid / msgid_plural).
  [[nodiscard]] static Result<std::map<std::string, std::string>> ParsePo(std::string_view text,
                                                                          std::string_view name);

  // The text of `key` in `language` (falls back to English), with {name} placeholders filled.
  std::string Text(std::string_view key, std::string_view language,
                   const std::map<std::string, std::string>& values = {}) const;
  bool HasLanguage(std::string_view language) const;
  // The text of `key` in exactly `language` (no fallback, no placeholders), or nullptr. Plural
  // entries (msgid_plural) are stored as `key` (msgstr[0]) and `key#1`, `key#2`, ...
  const std::string* Find(std::string_view key, std::string_view language) const;

 private:
  std::map<std::string, std::map<std::string, std::string>, std::less<>> texts_;  // lang -> key
};

// The verified answer to a reporter: "№ 4821: checked — FALSE. <statement>", shortened to fit an
// SMS (<= 134 UTF-16 units: the statement is cut with "…") when `sms`.
std::string AnswerText(const ReplyCatalog& catalog, std::string_view language,
                       VerdictStatus status, std::string_view statement, std::string_view ref,
                       bool sms);

}  // namespace sakchy::alerts

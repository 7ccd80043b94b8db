#pragma once
// The words of alerts to officials (SMS, Telegram, e-mail: alerts, digests, delivery notices,
// rumour-check follow-ups) in Kyrgyz, Russian, Uzbek (Latin) and English. They live in the
// message catalogues config/defaults/messages/<lang>.po (keys alert.*, category.*), next to the
// replies to reporters, so a translator edits them without a recompile: `replies.messages_dir`
// points at edited copies, and a key missing there keeps the bundled text.

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "alerts/replies.h"
#include "alerts/templates.h"
#include "core/language.h"
#include "core/types.h"

namespace sakchy::alerts {

using Lang = Language;

// "ky", "ru", "uz", "en" -> that language; anything else: Russian.
inline Lang ToLang(std::string_view language) { return LanguageOrRussian(language); }

// The words of one language. Arrays of severities are indexed by Severity, of verdicts by
// VerdictStatus, of spans by seconds/minutes/hours; plural texts by the language's plural form
// (PluralForm) and hold the placeholder {n}.
struct Words {
  std::array<std::string, kSeverityCount> severity_upper;
  std::array<std::string, kSeverityCount> severity;
  std::string brand, alert, level, area, text, categories, time, code;
  std::string reply;  // "Жооп" / "Ответьте" / "Reply", followed by ": OK <code>"
  std::string tz;
  std::string reports;  // "Reports: 3, sources: 2"
  std::string sources;
  std::string digest, digest_why, alerts_word;
  std::string escalated;    // "not acknowledged — escalation, step"
  std::string undelivered;  // "was not delivered"
  std::string reach_them;   // "reach them another way"
  std::string reason;       // "Reason"
  std::string verdict_head; // "rumour check"
  std::string statement;    // "Official statement"
  std::string decided;      // "Decided"
  std::array<std::string, 4> verdicts;  // by VerdictStatus
  std::string checked;                  // "Already checked"
  std::array<std::string, 3> trends;    // by SpreadTrend: steady, accelerating, slowing down
  std::string new_area, new_areas;      // with {list}
  std::string conj_and;                 // "and", between two counts
  std::string ack_button;
  std::array<std::array<std::string, 3>, 3> span;  // [unit][plural form]
  std::array<std::string, 3> people;               // [plural form]
  std::array<std::string, 3> public_posts;         // [plural form]
  std::map<std::string, std::string, std::less<>> category_names;  // category -> name
};

// The words of `lang`: the bundled catalogues, or those installed by UseWording.
const Words& WordsFor(Lang lang);

// The plural form of `n` in `lang` (the Plural-Forms of its catalogue): en 0 for 1 else 1; ru
// 0/1/2 (one/few/many); ky and uz 0.
std::size_t PluralForm(Lang lang, std::int64_t n);

// Replaces {n} in `text` by `n`.
std::string WithCount(std::string_view text, std::int64_t n);

}  // namespace sakchy::alerts

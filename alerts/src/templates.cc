#include "alerts/templates.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <ctime>
#include <map>
#include <vector>

#include "core/crypto.h"
#include "wording.h"

namespace sakchy::alerts {
namespace {

constexpr TimeMs kBishkekOffsetMs = 6LL * 3600 * 1000;  // Asia/Bishkek: UTC+6, no DST
constexpr std::size_t kShortContext = 40;               // code points each side, shrunk to fit
constexpr std::size_t kLongContext = 160;

// A category in `lang`: its catalogue name (category.<name>); without one, the name as it is, in
// English with spaces for underscores.
std::string CategoryName(const std::string& category, Lang lang) {
  const Words& w = WordsFor(lang);
  if (auto it = w.category_names.find(category); it != w.category_names.end()) return it->second;
  std::string out = category;
  if (lang == Lang::kEn) std::replace(out.begin(), out.end(), '_', ' ');
  return out;
}

// Length in bytes of the UTF-8 sequence starting with `lead` (1 for invalid leads).
std::size_t SeqLen(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead >> 5) == 0x6) return 2;
  if ((lead >> 4) == 0xE) return 3;
  if ((lead >> 3) == 0x1E) return 4;
  return 1;
}

// Splits UTF-8 into code points (each a slice), turning control characters and runs of
// whitespace into one space.
std::vector<std::string_view> CodePoints(std::string_view s) {
  std::vector<std::string_view> out;
  for (std::size_t i = 0; i < s.size();) {
    std::size_t n = std::min(SeqLen(static_cast<unsigned char>(s[i])), s.size() - i);
    std::string_view cp = s.substr(i, n);
    i += n;
    const bool space = n == 1 && static_cast<unsigned char>(cp[0]) <= 0x20;
    if (space) {
      if (!out.empty() && out.back() == " ") continue;
      cp = " ";
    }
    out.push_back(cp);
  }
  return out;
}

std::string Join(const std::vector<std::string_view>& cps, std::size_t from, std::size_t to) {
  std::string out;
  for (std::size_t i = from; i < to && i < cps.size(); ++i) out.append(cps[i]);
  return out;
}

std::string Trimmed(std::string s) {
  while (!s.empty() && s.front() == ' ') s.erase(s.begin());
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

// The text around the first match, the matched words in «», with "…" where cut; at most
// `context` code points on each side. Without a usable match: the start of the text.
std::string Excerpt(const Event& event, std::size_t context) {
  const std::string& text = event.report.text;
  const Match* match = nullptr;
  for (const Match& m : event.matches) {
    if (m.begin < m.end && m.end <= text.size()) {
      match = &m;
      break;
    }
  }
  if (match == nullptr) {
    auto cps = CodePoints(text);
    const std::size_t take = std::min(cps.size(), 2 * context);
    std::string out = Trimmed(Join(cps, 0, take));
    if (take < cps.size()) out += "…";
    return out;
  }
  // Offsets inside a code point are moved back to its start, so no slice cuts a character.
  auto snap = [&text](std::size_t at) {
    while (at > 0 && at < text.size() && (static_cast<unsigned char>(text[at]) & 0xC0) == 0x80) {
      --at;
    }
    return at;
  };
  const std::size_t begin = snap(match->begin);
  const std::size_t end = std::max(snap(match->end), begin);
  auto before = CodePoints(std::string_view(text).substr(0, begin));
  auto term = CodePoints(std::string_view(text).substr(begin, end - begin));
  auto after = CodePoints(std::string_view(text).substr(end));
  std::string out;
  if (before.size() > context) out += "…";
  const std::size_t from = before.size() > context ? before.size() - context : 0;
  std::string head = Join(before, from, before.size());
  while (!head.empty() && head.front() == ' ') head.erase(head.begin());
  out += head;
  out += "«" + Trimmed(Join(term, 0, term.size())) + "»";
  std::string tail = Join(after, 0, std::min(after.size(), context));
  while (!tail.empty() && tail.back() == ' ') tail.pop_back();
  out += tail;
  if (after.size() > context) out += "…";
  return out;
}

// "25.11 17:13" (with_year: "25.11.2026 17:13") in Asia/Bishkek.
std::string BishkekTime(TimeMs t, bool with_year) {
  const std::time_t secs = static_cast<std::time_t>((t + kBishkekOffsetMs) / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  if (with_year) {
    std::snprintf(buf, sizeof buf, "%02d.%02d.%04d %02d:%02d", tm.tm_mday, tm.tm_mon + 1,
                  tm.tm_year + 1900, tm.tm_hour, tm.tm_min);
  } else {
    std::snprintf(buf, sizeof buf, "%02d.%02d %02d:%02d", tm.tm_mday, tm.tm_mon + 1, tm.tm_hour,
                  tm.tm_min);
  }
  return buf;
}

TimeMs WhenOf(const MessageInput& in) {
  return in.event->report.observed_at != 0 ? in.event->report.observed_at : in.alert->created_at;
}

std::string AreaLabel(const MessageInput& in, bool with_code) {
  const std::string& code = in.alert->area;
  if (code.empty()) return in.area_name.empty() ? "—" : in.area_name;
  if (in.area_name.empty()) return code;
  return with_code ? in.area_name + " (" + code + ")" : in.area_name;
}

std::string CategoryList(const MessageInput& in, Lang lang) {
  std::string out;
  for (const std::string& c : in.alert->categories) {
    if (!out.empty()) out += ", ";
    out += CategoryName(c, lang);
  }
  return out.empty() ? "—" : out;
}

std::size_t SeverityIndex(Severity s) {
  const auto i = static_cast<std::size_t>(s);
  return i < kSeverityCount ? i : kSeverityCount - 1;
}

std::string_view VerdictWord(const Words& w, VerdictStatus status) {
  const auto i = static_cast<std::size_t>(status);
  return i < w.verdicts.size() ? w.verdicts[i] : w.verdicts[0];
}

// At most `max` code points of `s`, with "…" when cut.
std::string Shorten(std::string_view s, std::size_t max) {
  auto cps = CodePoints(s);
  if (cps.size() <= max) return Trimmed(Join(cps, 0, cps.size()));
  return Trimmed(Join(cps, 0, max)) + "…";
}

// Russian noun forms after a number: 1 (21, 31 …), 2-4 (22-24 …), the rest.
// "6 independent reports" / "3 public posts" in one language.
std::string PeopleText(Lang lang, int n) {
  return WithCount(WordsFor(lang).people[PluralForm(lang, n)], n);
}

std::string PublicText(Lang lang, int n) {
  return WithCount(WordsFor(lang).public_posts[PluralForm(lang, n)], n);
}

// "in 2 minutes" / "за 2 минуты" / "2 мүнөттө": seconds below a minute, minutes below two
// hours (rounded up), hours beyond.
std::string SpanText(Lang lang, TimeMs span_ms) {
  std::size_t unit = 0;
  std::int64_t n = 0;
  if (span_ms < 60'000) {
    n = std::max<std::int64_t>(1, (span_ms + 999) / 1000);
  } else if (span_ms < 120 * 60'000) {
    unit = 1;
    n = (span_ms + 59'999) / 60'000;
  } else {
    unit = 2;
    n = (span_ms + 1'800'000) / 3'600'000;
  }
  return WithCount(WordsFor(lang).span[unit][PluralForm(lang, n)], n);
}

const std::string& TrendText(Lang lang, SpreadTrend trend) {
  return WordsFor(lang).trends[std::min<std::size_t>(static_cast<std::size_t>(trend), 2)];
}

std::string NewAreasText(Lang lang, const std::vector<std::string>& names) {
  std::string list;
  for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
  const Words& w = WordsFor(lang);
  std::string out = names.size() == 1 ? w.new_area : w.new_areas;
  if (auto pos = out.find("{list}"); pos != std::string::npos) out.replace(pos, 6, list);
  return out;
}

}  // namespace

std::string SpreadWhyText(std::string_view language, const SpreadWhy& why,
                          const std::vector<std::string>& new_area_names) {
  const Lang lang = ToLang(language);
  std::string who;
  if (why.people > 0) who = PeopleText(lang, why.people);
  if (why.public_sources > 0) {
    const std::string conj = " " + WordsFor(lang).conj_and + " ";
    who += (who.empty() ? std::string() : conj) + PublicText(lang, why.public_sources);
  }
  std::string out = who.empty() ? std::string() : who + " " + SpanText(lang, why.span_ms) + ", ";
  out += TrendText(lang, why.trend);
  if (!new_area_names.empty()) out += "; " + NewAreasText(lang, new_area_names);
  return out;
}

std::string VerdictNoteText(std::string_view language, VerdictStatus status,
                            std::string_view statement, std::size_t max_code_points) {
  const Words& w = WordsFor(ToLang(language));
  std::string out = std::string(w.checked) + ": " + std::string(VerdictWord(w, status));
  if (!statement.empty() && max_code_points > 0) {
    out += " — «" + Shorten(statement, max_code_points) + "»";
  }
  return out;
}

namespace {

std::string VerdictLine(const MessageInput& in, std::size_t max_code_points) {
  if (!in.verdict) return {};
  return VerdictNoteText(in.language, in.verdict->status, in.verdict->statement, max_code_points);
}

std::string WhyLine(const MessageInput& in) {
  if (!in.spread) return in.reason;
  return SpreadWhyText(in.language, *in.spread, in.new_area_names);
}

}  // namespace

std::string AlertCode(std::string_view alert_id) {
  const std::string hex = Sha256Hex(alert_id);
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < 12; ++i) {
    const char c = hex[i];
    v = v * 16 + static_cast<std::uint64_t>(c <= '9' ? c - '0' : c - 'a' + 10);
  }
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04u", static_cast<unsigned>(v % 10000));
  return buf;
}

std::size_t Utf16Units(std::string_view s) {
  std::size_t units = 0;
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = SeqLen(static_cast<unsigned char>(s[i]));
    units += n == 4 ? 2 : 1;  // outside the BMP: a surrogate pair
    i += n;
  }
  return units;
}

std::string ShortMessage(const MessageInput& in) {
  const Lang lang = ToLang(in.language);
  const Words& w = WordsFor(lang);
  const std::string code = AlertCode(in.alert->id);
  const std::string count = in.events > 1 ? " ×" + std::to_string(in.events) : "";
  const std::string head = std::string(w.brand) + ": " +
                           std::string(w.severity_upper[SeverityIndex(in.alert->severity)]) + ", " +
                           AreaLabel(in, false) + count + ". ";
  const std::string tail =
      BishkekTime(WhenOf(in), false) + ". " + std::string(w.reply) + ": OK " + code;
  // What the rumour was judged and why it was raised come before the excerpt; when space runs
  // out the excerpt shrinks first, then the statement, then the reason.
  std::vector<std::string> extras;
  const std::string why = in.spread ? WhyLine(in) + ". " : std::string();
  if (in.verdict) {
    for (std::size_t max : std::initializer_list<std::size_t>{60, 30, 0}) extras.push_back(VerdictLine(in, max) + ". " + why);
    extras.push_back(VerdictLine(in, 0) + ". ");
  } else if (!why.empty()) {
    extras.push_back(why);
  }
  extras.emplace_back();
  for (const std::string& extra : extras) {
    for (std::size_t context = kShortContext;; context = context * 2 / 3) {
      const std::string excerpt = Excerpt(*in.event, context);
      const bool ends_sentence = excerpt.ends_with("…") || excerpt.ends_with(".") ||
                                 excerpt.ends_with("!") || excerpt.ends_with("?");
      std::string msg = head + extra + excerpt + (ends_sentence ? " " : ". ") + tail;
      if (Utf16Units(msg) <= kSmsMaxUnits) return msg;
      if (context == 0) break;
    }
  }
  // Even the bare term does not fit (a very long area name or term): drop the excerpt.
  std::string msg = head + extras.front() + "… " + tail;
  if (Utf16Units(msg) <= kSmsMaxUnits) return msg;
  msg = head + "… " + tail;
  if (Utf16Units(msg) <= kSmsMaxUnits) return msg;
  return std::string(w.brand) + ": " +
         std::string(w.severity_upper[SeverityIndex(in.alert->severity)]) + ". " +
         std::string(w.reply) + ": OK " + code;
}

std::string LongMessage(const MessageInput& in, std::size_t max_units) {
  const Lang lang = ToLang(in.language);
  const Words& w = WordsFor(lang);
  const std::string code = AlertCode(in.alert->id);
  const std::string verdict = in.verdict ? VerdictLine(in, 1000) + "\n" : std::string();
  const std::string head =
      std::string(w.brand) + ": " + std::string(w.alert) + " — " + std::string(w.level) + ": " +
      std::string(w.severity[SeverityIndex(in.alert->severity)]) + "\n" + verdict +
      std::string(w.area) + ": " + AreaLabel(in, true) + "\n" + std::string(w.text) + ": ";
  const std::string why = WhyLine(in);
  const std::string reason = why.empty() ? std::string() : "\n" + std::string(w.reason) + ": " + why;
  const std::string escalation =
      reason + (in.escalation_step > 0
          ? "\n" + std::string(w.escalated) + " " + std::to_string(in.escalation_step)
          : std::string());
  const std::string group =
      escalation + (in.events > 1 || in.sources > 1
          ? "\n" + std::string(w.reports) + ": " + std::to_string(in.events) + ", " +
                std::string(w.sources) + ": " + std::to_string(in.sources)
          : std::string());
  const std::string tail = group + "\n" + std::string(w.categories) + ": " +
                           CategoryList(in, lang) + "\n" +
                           std::string(w.time) + ": " + BishkekTime(WhenOf(in), true) + " (" +
                           std::string(w.tz) + ")\n" + std::string(w.code) + ": " + code + "\n" +
                           std::string(w.reply) + ": OK " + code + "\n";
  for (std::size_t context = kLongContext;; context = context * 2 / 3) {
    std::string msg = head + Excerpt(*in.event, context) + tail;
    if (Utf16Units(msg) <= max_units || context == 0) return msg;
  }
}

std::string Subject(const MessageInput& in) {
  const Lang lang = ToLang(in.language);
  const Words& w = WordsFor(lang);
  return std::string(w.brand) + " [" + std::string(w.severity[SeverityIndex(in.alert->severity)]) +
         "] " + AreaLabel(in, false) + ": " + CategoryList(in, lang) + " — " + std::string(w.code) +
         " " + AlertCode(in.alert->id);
}

namespace {

std::string DigestLineText(const DigestLine& line, Lang lang, bool with_categories) {
  const Words& w = WordsFor(lang);
  std::string out = std::string(w.severity_upper[SeverityIndex(line.severity)]) + ", " +
                    (line.area_name.empty() ? "—" : line.area_name);
  if (line.events > 1) out += " ×" + std::to_string(line.events);
  if (with_categories && !line.categories.empty()) {
    out += ": ";
    for (std::size_t i = 0; i < line.categories.size(); ++i) {
      out += (i ? ", " : "") + CategoryName(line.categories[i], lang);
    }
  }
  return out;
}

}  // namespace

std::string DigestShort(std::string_view language, const std::vector<DigestLine>& lines,
                        std::string_view code) {
  const Lang lang = ToLang(language);
  const Words& w = WordsFor(lang);
  const std::string head = std::string(w.brand) + ": " + std::string(w.digest) + ", " +
                           std::to_string(lines.size()) + " " + std::string(w.alerts_word) + ": ";
  const std::string tail = ". " + std::string(w.reply) + ": OK " + std::string(code);
  std::string body;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string item = (i ? "; " : "") + DigestLineText(lines[i], lang, false);
    const std::string more = "; …";
    if (Utf16Units(head + body + item + more + tail) > kSmsMaxUnits) {
      body += "…";
      break;
    }
    body += item;
  }
  std::string msg = head + body + tail;
  if (Utf16Units(msg) > kSmsMaxUnits) msg = head + "…" + tail;
  return msg;
}

std::string DigestLong(std::string_view language, const std::vector<DigestLine>& lines,
                       std::string_view code, std::size_t max_units) {
  const Lang lang = ToLang(language);
  const Words& w = WordsFor(lang);
  const std::string head = std::string(w.brand) + ": " + std::string(w.digest) + " — " +
                           std::to_string(lines.size()) + " " + std::string(w.alerts_word) +
                           " (" + std::string(w.digest_why) + ")\n";
  const std::string tail = std::string(w.code) + ": " + std::string(code) + "\n" +
                           std::string(w.reply) + ": OK " + std::string(code) + "\n";
  std::string body;
  for (const DigestLine& line : lines) {
    const std::string item = "• " + DigestLineText(line, lang, true) + "\n";
    if (Utf16Units(head + body + item + "…\n" + tail) > max_units) {
      body += "…\n";
      break;
    }
    body += item;
  }
  return head + body + tail;
}

std::string DigestSubject(std::string_view language, std::size_t groups, std::string_view code) {
  const Words& w = WordsFor(ToLang(language));
  return std::string(w.brand) + " [" + std::string(w.digest) + "] " + std::to_string(groups) +
         " " + std::string(w.alerts_word) + " — " + std::string(w.code) + " " + std::string(code);
}

namespace {

// "ВЫСОКИЙ, Араванский район, 4821 → Айбек (sms)"
std::string NoticeWhat(const NoticeInput& in, const Words& w) {
  return std::string(w.alert) + " " + in.code + " (" +
         std::string(w.severity_upper[SeverityIndex(in.severity)]) + ", " +
         (in.area_name.empty() ? "—" : in.area_name) + ") " + std::string(w.undelivered) + ": " +
         in.contact + " (" + in.channel + ")";
}

}  // namespace

std::string NoticeShort(const NoticeInput& in) {
  const Words& w = WordsFor(ToLang(in.language));
  const std::string head = std::string(w.brand) + ": " + NoticeWhat(in, w);
  const std::string tail = ". " + std::string(w.reach_them) + ".";
  std::string msg = head + tail;
  if (Utf16Units(msg) <= kSmsMaxUnits) return msg;
  // Shorten the contact's name, never the code.
  msg = std::string(w.brand) + ": " + std::string(w.alert) + " " + in.code + " " +
        std::string(w.undelivered) + " (" + in.channel + ")" + tail;
  return msg;
}

std::string NoticeLong(const NoticeInput& in) {
  const Words& w = WordsFor(ToLang(in.language));
  std::string error = in.error.substr(0, 300);
  return std::string(w.brand) + ": " + NoticeWhat(in, w) + "\n" + error + "\n" +
         std::string(w.reach_them) + ".\n";
}

std::string NoticeSubject(const NoticeInput& in) {
  const Words& w = WordsFor(ToLang(in.language));
  return std::string(w.brand) + " — " + std::string(w.alert) + " " + in.code + " " +
         std::string(w.undelivered);
}

std::string FollowUpShort(const FollowUpInput& in) {
  const Words& w = WordsFor(ToLang(in.language));
  const std::string head = std::string(w.brand) + ": " + std::string(w.verdict_head) + " (" +
                           (in.area_name.empty() ? "—" : in.area_name) + ") — " +
                           std::string(VerdictWord(w, in.status));
  if (in.statement.empty()) return head + ".";
  for (std::size_t max = 120;; max = max * 2 / 3) {
    std::string msg = head + ". «" + Shorten(in.statement, max) + "»";
    if (Utf16Units(msg) <= kSmsMaxUnits || max == 0) return msg;
  }
}

std::string FollowUpLong(const FollowUpInput& in, std::size_t max_units) {
  const Words& w = WordsFor(ToLang(in.language));
  const std::string head = std::string(w.brand) + ": " + std::string(w.verdict_head) + " — " +
                           std::string(VerdictWord(w, in.status)) + "\n" + std::string(w.area) +
                           ": " + (in.area_name.empty() ? "—" : in.area_name) + "\n";
  const std::string tail = std::string(w.decided) + ": " + BishkekTime(in.decided_at, true) +
                           " (" + std::string(w.tz) + ")\n";
  if (in.statement.empty()) return head + tail;
  for (std::size_t max = 3000;; max = max * 2 / 3) {
    std::string msg = head + std::string(w.statement) + ": «" + Shorten(in.statement, max) +
                      "»\n" + tail;
    if (Utf16Units(msg) <= max_units || max == 0) return msg;
  }
}

std::string FollowUpSubject(const FollowUpInput& in) {
  const Words& w = WordsFor(ToLang(in.language));
  return std::string(w.brand) + ": " + std::string(w.verdict_head) + " — " +
         std::string(VerdictWord(w, in.status)) + " (" +
         (in.area_name.empty() ? "—" : in.area_name) + ")";
}

std::string AckButtonLabel(std::string_view language) {
  return WordsFor(ToLang(language)).ack_button;
}

}  // namespace sakchy::alerts

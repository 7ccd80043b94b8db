#include "alerts/templates.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "core/utf8.h"

namespace sakchy::alerts::templates_test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr TimeMs kObserved = 1'717'243'200'000;  // 2024-06-01T12:00:00Z = 18:00 in Bishkek

struct Sample {
  Alert alert;
  Event event;
};

Sample MakeSample(std::string text, std::string term) {
  Sample s;
  s.event.report.id = "01HZZZEVENT";
  s.event.report.text = std::move(text);
  s.event.report.observed_at = kObserved;
  const auto begin = s.event.report.text.find(term);
  EXPECT_NE(begin, std::string::npos);
  s.event.matches.push_back({"violence.1", "violence", term, static_cast<std::uint32_t>(begin),
                             static_cast<std::uint32_t>(begin + term.size())});
  s.event.categories = {"rumour_marker", "violence"};
  s.event.severity = Severity::kHigh;
  s.event.area = "KG-O-ARAVAN";
  s.alert.id = "01J0000000000000000000ALRT";
  s.alert.event_id = s.event.report.id;
  s.alert.area = s.event.area;
  s.alert.severity = Severity::kHigh;
  s.alert.categories = s.event.categories;
  s.alert.created_at = kObserved + 5000;
  return s;
}

MessageInput Input(const Sample& s, std::string language, std::string area_name) {
  MessageInput in;
  in.alert = &s.alert;
  in.event = &s.event;
  in.language = std::move(language);
  in.area_name = std::move(area_name);
  return in;
}

TEST(AlertCodeTest, FourDigitsStablePerAlert) {
  const std::string a = AlertCode("01J0000000000000000000ALRT");
  EXPECT_EQ(a.size(), 4u);
  EXPECT_EQ(a.find_first_not_of("0123456789"), std::string::npos);
  EXPECT_EQ(a, AlertCode("01J0000000000000000000ALRT"));
  // Different alerts mostly get different codes.
  int same = 0;
  for (int i = 0; i < 100; ++i) {
    if (AlertCode("alert-" + std::to_string(i)) == AlertCode("alert-" + std::to_string(i + 1))) {
      ++same;
    }
  }
  EXPECT_LT(same, 3);
}

TEST(Utf16UnitsTest, CountsCharactersNotBytes) {
  EXPECT_EQ(Utf16Units("abc"), 3u);
  EXPECT_EQ(Utf16Units("Жооп"), 4u);              // 8 bytes
  EXPECT_EQ(Utf16Units("өңү"), 3u);               // Kyrgyz letters are in the BMP
  EXPECT_EQ(Utf16Units("\xF0\x9F\x94\xA5"), 2u);  // an emoji is a surrogate pair
}

TEST(TemplatesTest, ShortRussian) {
  Sample s = MakeSample("В Араване говорят, что вода отравлена", "отравлена");
  const std::string code = AlertCode(s.alert.id);
  const std::string msg = ShortMessage(Input(s, "ru", "Араван"));
  EXPECT_EQ(msg,
            "Сакчы: ВЫСОКИЙ, Араван. В Араване говорят, что вода «отравлена». 01.06 18:00. "
            "Ответьте: OK " +
                code);
  EXPECT_LE(Utf16Units(msg), kSmsMaxUnits);
}

TEST(TemplatesTest, ShortKyrgyz) {
  Sample s = MakeSample("Араванда суу ууланды деп айтып жатышат", "ууланды");
  const std::string code = AlertCode(s.alert.id);
  const std::string msg = ShortMessage(Input(s, "ky", "Араван"));
  EXPECT_EQ(msg,
            "Сакчы: ЖОГОРКУ, Араван. Араванда суу «ууланды» деп айтып жатышат. 01.06 18:00. "
            "Жооп: OK " +
                code);
}

TEST(TemplatesTest, ShortFormShrinksLongTextToTwoSegments) {
  std::string text;
  for (int i = 0; i < 30; ++i) text += "очень длинное сообщение ";
  text += "говорят что будет нападение на рынок ";
  for (int i = 0; i < 30; ++i) text += "и ещё много слов ";
  Sample s = MakeSample(text, "нападение");
  const std::string msg = ShortMessage(Input(s, "ru", "Ошская область, Араванский район"));
  EXPECT_LE(Utf16Units(msg), kSmsMaxUnits) << msg;
  EXPECT_THAT(msg, HasSubstr("«нападение»"));
  EXPECT_THAT(msg, HasSubstr("…"));
  EXPECT_THAT(msg, HasSubstr("Ответьте: OK " + AlertCode(s.alert.id)));
  EXPECT_TRUE(IsValidUtf8(msg));
}

TEST(TemplatesTest, MatchOffsetsInsideACharacterDoNotBreakUtf8) {
  Sample s = MakeSample("В Араване говорят, что вода отравлена", "отравлена");
  s.event.matches[0].begin += 3;  // mid-character
  s.event.matches[0].end += 1;
  const std::string msg = ShortMessage(Input(s, "ru", ""));
  EXPECT_TRUE(IsValidUtf8(msg)) << msg;
  EXPECT_THAT(msg, HasSubstr("KG-O-ARAVAN"));  // no name: the code
}

TEST(TemplatesTest, LongRussian) {
  Sample s = MakeSample("В Араване говорят, что вода отравлена", "отравлена");
  const std::string code = AlertCode(s.alert.id);
  EXPECT_EQ(LongMessage(Input(s, "ru", "Араванский район")),
            "Сакчы: тревога — уровень: высокий\n"
            "Район: Араванский район (KG-O-ARAVAN)\n"
            "Сообщение: В Араване говорят, что вода «отравлена»\n"
            "Категории: слух, насилие\n"
            "Время: 01.06.2024 18:00 (время Бишкека)\n"
            "Код: " +
                code +
                "\n"
                "Ответьте: OK " +
                code + "\n");
}

TEST(TemplatesTest, LongKyrgyz) {
  Sample s = MakeSample("Араванда суу ууланды деп айтып жатышат", "ууланды");
  const std::string code = AlertCode(s.alert.id);
  EXPECT_EQ(LongMessage(Input(s, "ky", "Араван району")),
            "Сакчы: эскертүү — деңгээли: жогорку\n"
            "Аймак: Араван району (KG-O-ARAVAN)\n"
            "Билдирүү: Араванда суу «ууланды» деп айтып жатышат\n"
            "Категориялар: ушак, зордук-зомбулук\n"
            "Убакыт: 01.06.2024 18:00 (Бишкек убактысы)\n"
            "Код: " +
                code +
                "\n"
                "Жооп: OK " +
                code + "\n");
}

TEST(TemplatesTest, LongEnglishAndSubject) {
  Sample s = MakeSample("They say the water in Aravan is poisoned", "poisoned");
  const std::string code = AlertCode(s.alert.id);
  const std::string msg = LongMessage(Input(s, "en", "Aravan"));
  EXPECT_THAT(msg, HasSubstr("Sakchy: alert — severity: high\n"));
  EXPECT_THAT(msg, HasSubstr("Report: They say the water in Aravan is «poisoned»\n"));
  EXPECT_THAT(msg, HasSubstr("Categories: rumour marker, violence\n"));
  EXPECT_THAT(msg, HasSubstr("Reply: OK " + code + "\n"));
  EXPECT_EQ(Subject(Input(s, "ru", "Араван")),
            "Сакчы [высокий] Араван: слух, насилие — Код " + code);
}

TEST(TemplatesTest, LongFormRespectsLimit) {
  std::string text;
  for (int i = 0; i < 2000; ++i) text += "сөз ";
  text += "куралдуу кол салуу ";
  for (int i = 0; i < 2000; ++i) text += "сөз ";
  Sample s = MakeSample(text, "кол салуу");
  const std::string msg = LongMessage(Input(s, "ky", "Араван"), 300);
  EXPECT_LE(Utf16Units(msg), 300u);
  EXPECT_THAT(msg, HasSubstr("«кол салуу»"));
  const std::string full = LongMessage(Input(s, "ky", "Араван"));
  EXPECT_LE(Utf16Units(full), kTelegramMaxUnits);
  EXPECT_THAT(full, Not(HasSubstr("\n\n")));
}

TEST(TemplatesTest, AckButtonLabels) {
  EXPECT_EQ(AckButtonLabel("ky"), "Кабыл алдым");
  EXPECT_EQ(AckButtonLabel("ru"), "Принято");
  EXPECT_EQ(AckButtonLabel("en"), "Acknowledge");
}

}  // namespace
}  // namespace sakchy::alerts::templates_test

namespace sakchy::alerts::templates_test {
namespace {

TEST(TemplatesTest, GroupSizeEscalationAndReasonInTheTexts) {
  Sample s = MakeSample("В Араване говорят, что вода отравлена", "отравлена");
  MessageInput in = Input(s, "ru", "Араванский район");
  in.events = 4;
  in.sources = 3;
  EXPECT_THAT(ShortMessage(in), HasSubstr("Араванский район ×4."));
  const std::string long_text = LongMessage(in);
  EXPECT_THAT(long_text, HasSubstr("\nСообщений: 4, источников: 3\n"));
  in.escalation_step = 2;
  in.reason = "5 distinct sources within 1h";
  const std::string escalated = LongMessage(in);
  EXPECT_THAT(escalated, HasSubstr("\nПричина: 5 distinct sources within 1h\n"));
  EXPECT_THAT(escalated, HasSubstr("не подтверждено — эскалация, шаг 2"));
}

TEST(TemplatesTest, DigestsFitTheirLimits) {
  std::vector<DigestLine> lines;
  for (int i = 0; i < 30; ++i) {
    lines.push_back({Severity::kHigh, "Араванский район", {"violence"}, i + 1});
  }
  for (const char* lang : {"ky", "ru", "uz", "en"}) {
    const std::string sms = DigestShort(lang, lines, "4821");
    EXPECT_LE(Utf16Units(sms), kSmsMaxUnits) << sms;
    EXPECT_THAT(sms, HasSubstr("OK 4821"));
    EXPECT_THAT(sms, HasSubstr("30"));
    const std::string text = DigestLong(lang, lines, "4821", 600);
    EXPECT_LE(Utf16Units(text), 600u);
    EXPECT_THAT(text, HasSubstr("…"));
  }
  EXPECT_THAT(DigestLong("ru", {lines[0], lines[1]}, "0001"),
              HasSubstr("• ВЫСОКИЙ, Араванский район ×2: насилие\n"));
  EXPECT_THAT(DigestSubject("ky", 3, "0001"), HasSubstr("жыйынтык"));
}

TEST(TemplatesTest, NoticesNameTheUndeliveredAlert) {
  NoticeInput n{"ru", "4821", Severity::kCritical, "Ош", "Аким Оша", "sms",
                "gave up after 12 attempts: connection refused"};
  const std::string sms = NoticeShort(n);
  EXPECT_LE(Utf16Units(sms), kSmsMaxUnits);
  EXPECT_THAT(sms, HasSubstr("4821"));
  EXPECT_THAT(NoticeLong(n), HasSubstr("gave up after 12 attempts"));
  n.contact = std::string(200, 'x');
  EXPECT_LE(Utf16Units(NoticeShort(n)), kSmsMaxUnits);
  n.language = "ky";
  EXPECT_THAT(NoticeLong(n), HasSubstr("жеткирилген жок"));
}

TEST(TemplatesTest, FollowUpsInEachLanguage) {
  FollowUpInput f;
  f.status = VerdictStatus::kFalse;
  f.statement = "Вода в Араване проверена: отравления нет.";
  f.area_name = "Араванский район";
  f.decided_at = kObserved;
  f.language = "ru";
  EXPECT_THAT(FollowUpShort(f), HasSubstr("ЛОЖЬ. «Вода в Араване проверена"));
  EXPECT_THAT(FollowUpLong(f), HasSubstr("Решение: 01.06.2024 18:00 (время Бишкека)"));
  f.language = "ky";
  EXPECT_THAT(FollowUpLong(f), HasSubstr("ЖАЛГАН"));
  f.language = "en";
  f.status = VerdictStatus::kMisleading;
  EXPECT_THAT(FollowUpSubject(f), HasSubstr("MISLEADING"));
  f.statement = std::string(2000, 'a');
  EXPECT_LE(Utf16Units(FollowUpShort(f)), kSmsMaxUnits);
  EXPECT_LE(Utf16Units(FollowUpLong(f, 500)), 500u);
}

}  // namespace
}  // namespace sakchy::alerts::templates_test

namespace sakchy::alerts::templates_test {
namespace {

// A cluster spread signal as the engine renders it: the representative text as the event.
Sample SignalSample() {
  Sample s;
  s.event.report.id = "42";
  s.event.report.text = "Завтра закроют все банки, люди снимают деньги, передайте родным";
  s.event.report.channel = "signal";
  s.event.report.observed_at = kObserved;
  s.event.severity = Severity::kHigh;
  s.event.area = "KG-GO";
  s.alert.id = "01J0000000000000000000SGNL";
  s.alert.kind = AlertKind::kSignal;
  s.alert.subject_id = "42";
  s.alert.area = "KG-GO";
  s.alert.severity = Severity::kHigh;
  s.alert.created_at = kObserved + 5000;
  return s;
}

TEST(SpreadWhyTextTest, PeopleElapsedTimeAndTrendInEachLanguage) {
  SpreadWhy why;
  why.people = 6;
  why.span_ms = 95 * 1000;
  why.trend = SpreadTrend::kAccelerating;
  EXPECT_EQ(SpreadWhyText("en", why, {}), "6 independent reports in 2 minutes, accelerating");
  EXPECT_EQ(SpreadWhyText("ru", why, {}), "6 независимых сообщений за 2 минуты, ускоряется");
  EXPECT_EQ(SpreadWhyText("ky", why, {}), "6 көз карандысыз билдирүү 2 мүнөттө, тездеп жатат");
  why.people = 1;
  why.public_sources = 3;
  why.span_ms = 40 * 1000;
  why.trend = SpreadTrend::kSteady;
  EXPECT_EQ(SpreadWhyText("en", why, {}),
            "1 independent report and 3 public posts in 40 seconds, steady");
  EXPECT_EQ(SpreadWhyText("ru", why, {}),
            "1 независимое сообщение и 3 публичных поста за 40 секунд, в ровном темпе");
  why.people = 0;
  why.public_sources = 5;
  why.span_ms = 3 * 3600 * 1000;
  why.trend = SpreadTrend::kSlowing;
  EXPECT_EQ(SpreadWhyText("en", why, {"Nookat"}),
            "5 public posts in 3 hours, slowing down; new area: Nookat");
  EXPECT_EQ(SpreadWhyText("ru", why, {"Ноокат", "Кара-Суу"}),
            "5 публичных постов за 3 часа, замедляется; новые районы: Ноокат, Кара-Суу");
  EXPECT_EQ(SpreadWhyText("ky", why, {"Ноокат"}),
            "5 ачык жарыялоо 3 саатта, басаңдап жатат; жаңы аймак: Ноокат");
  why.public_sources = 21;
  why.span_ms = 60 * 1000;
  EXPECT_THAT(SpreadWhyText("ru", why, {}), HasSubstr("21 публичный пост за 1 минуту"));
}

TEST(SpreadWhyTextTest, SignalMessagesSayWhyInsteadOfTheEnglishReason) {
  Sample s = SignalSample();
  SpreadWhy why;
  why.people = 6;
  why.span_ms = 2 * 60 * 1000;
  why.trend = SpreadTrend::kAccelerating;
  for (const auto& [lang, expected] : std::vector<std::pair<std::string, std::string>>{
           {"ru", "Причина: 6 независимых сообщений за 2 минуты, ускоряется"},
           {"ky", "Себеп: 6 көз карандысыз билдирүү 2 мүнөттө, тездеп жатат"},
           {"en", "Reason: 6 independent reports in 2 minutes, accelerating"}}) {
    MessageInput in = Input(s, lang, "Ош");
    in.reason = "6 distinct sources within 1h (6 people)";
    in.spread = why;
    EXPECT_THAT(LongMessage(in), HasSubstr("\n" + expected + "\n")) << lang;
    EXPECT_THAT(LongMessage(in), Not(HasSubstr("distinct sources"))) << lang;
    const std::string sms = ShortMessage(in);
    EXPECT_LE(Utf16Units(sms), kSmsMaxUnits) << sms;
    EXPECT_THAT(sms, HasSubstr(expected.substr(expected.find(": ") + 2))) << sms;
  }
}

TEST(VerdictNoteTest, AlreadyCheckedComesFirstInEachLanguage) {
  Sample s = MakeSample("В Араване говорят, что вода отравлена", "отравлена");
  s.event.categories = {"known_false", "rumour_marker", "violence"};
  s.alert.categories = s.event.categories;
  Verdict v;
  v.cluster_id = "42";
  v.status = VerdictStatus::kFalse;
  v.statement = "Водоканал: вода в Араване безопасна, проверено санэпидслужбой.";
  EXPECT_EQ(VerdictNoteText("en", v.status, v.statement, 1000),
            "Already checked: FALSE — «" + v.statement + "»");
  EXPECT_EQ(VerdictNoteText("ru", v.status, v.statement, 1000),
            "Уже проверено: ЛОЖЬ — «" + v.statement + "»");
  EXPECT_EQ(VerdictNoteText("ky", v.status, "", 1000), "Мурда текшерилген: ЖАЛГАН");
  EXPECT_EQ(VerdictNoteText("ru", VerdictStatus::kMisleading, "x", 0),
            "Уже проверено: ВВОДИТ В ЗАБЛУЖДЕНИЕ");
  for (const char* lang : {"ky", "ru", "uz", "en"}) {
    MessageInput in = Input(s, lang, "Араван");
    in.verdict = v;
    const std::string text = LongMessage(in);
    const std::string note = VerdictNoteText(lang, v.status, v.statement, 1000);
    EXPECT_THAT(text, HasSubstr("\n" + note + "\n")) << text;
    EXPECT_LT(text.find(note), text.find("отравлена")) << "before the report: " << text;
    const std::string sms = ShortMessage(in);
    EXPECT_LE(Utf16Units(sms), kSmsMaxUnits) << sms;
    EXPECT_THAT(sms, HasSubstr(VerdictNoteText(lang, v.status, "", 0))) << sms;
  }
  // The category is named in words too.
  MessageInput ru = Input(s, "ru", "Араван");
  EXPECT_THAT(LongMessage(ru), HasSubstr("проверенный слух: ложь"));
  EXPECT_THAT(Subject(Input(s, "en", "Aravan")), HasSubstr("known false"));
}

TEST(VerdictNoteTest, SmsKeepsTheVerdictWhenTheStatementIsLong) {
  Sample s = SignalSample();
  MessageInput in = Input(s, "ky", "Ош шаары");
  in.verdict = Verdict{};
  in.verdict->status = VerdictStatus::kFalse;
  in.verdict->statement = std::string(300, 'x');
  SpreadWhy why;
  why.people = 12;
  why.public_sources = 40;
  why.span_ms = 50 * 60 * 1000;
  in.spread = why;
  const std::string sms = ShortMessage(in);
  EXPECT_LE(Utf16Units(sms), kSmsMaxUnits) << sms;
  EXPECT_THAT(sms, HasSubstr("Мурда текшерилген: ЖАЛГАН"));
  EXPECT_THAT(sms, HasSubstr("OK " + AlertCode(s.alert.id)));
}

}  // namespace
}  // namespace sakchy::alerts::templates_test

namespace sakchy::alerts::templates_test {
namespace {

TEST(UzbekTemplatesTest, AlertsFollowUpsAndButtonsInUzbekLatin) {
  Event event;
  event.report.id = "01J00000000000000000000000";
  event.report.text = "Aravonda suv zaharlangan deyishmoqda, hammaga ayting";
  event.report.observed_at = 1717243200000;
  event.matches.push_back({"health.poison", "violence", "zaharlangan", 14, 25});
  event.categories = {"violence"};
  event.severity = Severity::kHigh;
  event.area = "KG-O-ARAVAN";
  Alert alert;
  alert.id = "01J00000000000000000000001";
  alert.severity = Severity::kHigh;
  alert.categories = {"violence"};
  alert.area = "KG-O-ARAVAN";
  MessageInput in;
  in.alert = &alert;
  in.event = &event;
  in.language = "uz";
  in.area_name = "Aravan District";
  const std::string sms = ShortMessage(in);
  EXPECT_LE(Utf16Units(sms), kSmsMaxUnits) << sms;
  EXPECT_THAT(sms, ::testing::HasSubstr("YUQORI")) << sms;
  EXPECT_THAT(sms, ::testing::HasSubstr("Javob: OK " + AlertCode(alert.id))) << sms;
  EXPECT_THAT(LongMessage(in), ::testing::HasSubstr("zo‘ravonlik")) << LongMessage(in);
  FollowUpInput f;
  f.language = "uz";
  f.status = VerdictStatus::kFalse;
  f.statement = "Hokimiyat: Aravonda suv toza.";
  EXPECT_THAT(FollowUpLong(f), ::testing::HasSubstr("YOLG‘ON")) << FollowUpLong(f);
  EXPECT_THAT(FollowUpLong(f), ::testing::HasSubstr("Rasmiy bayonot")) << FollowUpLong(f);
  EXPECT_EQ(AckButtonLabel("uz"), "Qabul qildim");
  SpreadWhy why;
  why.people = 6;
  why.span_ms = 120000;
  why.trend = SpreadTrend::kAccelerating;
  EXPECT_EQ(SpreadWhyText("uz", why, {"Nookat"}),
            "6 ta mustaqil xabar 2 daqiqada, tezlashmoqda; yangi hudud: Nookat");
}

}  // namespace
}  // namespace sakchy::alerts::templates_test

#include <filesystem>
#include <fstream>

#include "alerts/replies.h"
#include "testutil/testutil.h"

namespace sakchy::alerts::templates_test {
namespace {

// Every text of every kind of alert message in one language, joined.
std::string EveryText(const std::string& lang) {
  Sample s = MakeSample("Говорят, в Араване будет драка, все выходите", "драка");
  MessageInput in = Input(s, lang, "Араван");
  in.events = 3;
  in.sources = 2;
  in.escalation_step = 1;
  in.reason = "r";
  in.verdict = Verdict{};
  in.verdict->status = VerdictStatus::kFalse;
  in.verdict->statement = "s";
  std::string all = ShortMessage(in) + LongMessage(in) + Subject(in);
  s.event.categories = {"call_to_action", "group_attack", "group_reference", "hate", "insult",
                        "rumour_marker", "threat", "violence", "place", "known_false",
                        "known_misleading"};
  s.alert.categories = s.event.categories;
  all += LongMessage(in);
  for (int people : {1, 2, 5, 21, 112}) {
    for (TimeMs span : {1'000LL, 30'000LL, 61'000LL, 7'200'000LL}) {
      for (SpreadTrend t : {SpreadTrend::kSteady, SpreadTrend::kAccelerating, SpreadTrend::kSlowing}) {
        SpreadWhy why;
        why.people = people;
        why.public_sources = people + 1;
        why.span_ms = span;
        why.trend = t;
        all += SpreadWhyText(lang, why, {"A"}) + SpreadWhyText(lang, why, {"A", "B"});
      }
    }
  }
  std::vector<DigestLine> lines = {{Severity::kHigh, "Ош", {"violence"}, 2}};
  all += DigestShort(lang, lines, "1") + DigestLong(lang, lines, "1") + DigestSubject(lang, 1, "1");
  NoticeInput n{lang, "4821", Severity::kCritical, "Ош", "Аким", "sms", "e"};
  all += NoticeShort(n) + NoticeLong(n) + NoticeSubject(n);
  FollowUpInput f;
  f.language = lang;
  for (VerdictStatus v : {VerdictStatus::kUnverified, VerdictStatus::kConfirmed,
                          VerdictStatus::kFalse, VerdictStatus::kMisleading}) {
    f.status = v;
    all += FollowUpShort(f) + FollowUpLong(f) + FollowUpSubject(f) + VerdictNoteText(lang, v, "x", 10);
  }
  for (Severity sev : {Severity::kInfo, Severity::kLow, Severity::kMedium, Severity::kHigh,
                       Severity::kCritical}) {
    s.alert.severity = sev;
    all += LongMessage(in) + ShortMessage(in);
  }
  return all + AckButtonLabel(lang);
}

TEST(WordingTest, EveryAlertWordIsInEveryBundledCatalogue) {
  // A key missing from a catalogue would show as its name ("alert.brand") or as English.
  for (const char* lang : {"ky", "ru", "uz", "en"}) {
    const std::string all = EveryText(lang);
    EXPECT_THAT(all, Not(HasSubstr("alert."))) << lang;
    EXPECT_THAT(all, Not(HasSubstr("category."))) << lang;
    EXPECT_THAT(all, Not(HasSubstr("{n}"))) << lang;
    EXPECT_THAT(all, Not(HasSubstr("{list}"))) << lang;
    if (std::string(lang) != "en") {
      EXPECT_THAT(all, Not(HasSubstr("independent report"))) << lang;
      EXPECT_THAT(all, Not(HasSubstr("call to action"))) << lang;
    }
  }
}

TEST(WordingTest, EveryAlertKeyIsTranslated) {
  std::ifstream in(sakchy::testing::SourcePath("config/defaults/messages/en.po"));
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto english = ReplyCatalog::ParsePo(text, "en.po");
  ASSERT_TRUE(english.has_value()) << english.error().message;
  auto catalog = ReplyCatalog::Load("");
  ASSERT_TRUE(catalog.has_value()) << catalog.error().message;
  int keys = 0;
  for (const auto& [key, en] : *english) {
    if (!key.starts_with("alert.") && !key.starts_with("category.")) continue;
    if (key.find('#') != std::string::npos) continue;  // English plural forms: ky and uz have one
    ++keys;
    for (const char* lang : {"ky", "ru", "uz"}) {
      const std::string* t = catalog->Find(key, lang);
      ASSERT_NE(t, nullptr) << key << " is missing from " << lang << ".po";
      if (key == "alert.brand" && std::string(lang) == "uz") continue;  // "Sakchy" in both
      EXPECT_NE(*t, en) << key << " is not translated to " << lang;
    }
  }
  EXPECT_GE(keys, 60);
}

TEST(WordingTest, AnEditedCatalogueChangesTheAlertWordsWithoutARecompile) {
  const std::filesystem::path bundled = sakchy::testing::SourcePath("config/defaults/messages");
  sakchy::testing::TempDir dir;
  for (const char* lang : {"ky", "uz", "en"}) {
    std::filesystem::copy_file(bundled / (std::string(lang) + ".po"),
                               dir.path() / (std::string(lang) + ".po"));
  }
  // An edited Russian catalogue with a new brand, a category name and plural forms; the rest of
  // the alert keys are missing from it and keep the bundled text.
  std::ofstream(dir.path() / "ru.po")
      << "msgctxt \"alert.brand\"\nmsgid \"Sakchy\"\nmsgstr \"Сакчы-Ош\"\n\n"
      << "msgctxt \"category.violence\"\nmsgid \"violence\"\nmsgstr \"насилие (проверить)\"\n\n"
      << "msgctxt \"alert.people\"\nmsgid \"{n} report\"\nmsgid_plural \"{n} reports\"\n"
      << "msgstr[0] \"{n} человек\"\nmsgstr[1] \"{n} человека\"\nmsgstr[2] \"{n} человек\"\n";
  auto catalog = ReplyCatalog::Load(dir.str());
  ASSERT_TRUE(catalog.has_value()) << catalog.error().message;
  const Sample s = MakeSample("Говорят, в Араване будет драка", "драка");
  const std::string before = Subject(Input(s, "ru", "Араван"));
  UseWording(*catalog);
  SpreadWhy why;
  why.people = 3;
  why.span_ms = 1000;
  const std::string subject = Subject(Input(s, "ru", "Араван"));
  const std::string spread = SpreadWhyText("ru", why, {});
  const std::string english = Subject(Input(s, "en", "Aravan"));
  auto original = ReplyCatalog::Load("");
  ASSERT_TRUE(original.has_value());
  UseWording(*original);  // the other tests expect the bundled words
  EXPECT_EQ(before, "Сакчы [высокий] Араван: слух, насилие — Код " + AlertCode(s.alert.id));
  EXPECT_EQ(subject,
            "Сакчы-Ош [высокий] Араван: слух, насилие (проверить) — Код " + AlertCode(s.alert.id));
  EXPECT_EQ(spread, "3 человека за 1 секунду, в ровном темпе");
  EXPECT_THAT(english, HasSubstr("Sakchy [high] Aravan: rumour marker, violence"));
  EXPECT_EQ(Subject(Input(s, "ru", "Араван")), before);
}

}  // namespace
}  // namespace sakchy::alerts::templates_test

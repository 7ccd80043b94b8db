// ParseKannelMo: one Kannel MO callback -> one Report (decoding, authentication, pseudonyms).

#include "ingest/kannel.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "core/crypto.h"
#include "testutil/testutil.h"

namespace sakchy::ingest::kannel_test {
namespace {

using Params = std::map<std::string, std::string>;

constexpr const char* kSecret = "kannel-secret-0123456789";
constexpr const char* kKey = "pseudonym-key-0123456789";
constexpr const char* kRumour = "Говорят, в Оше начались беспорядки, передайте всем";

KannelSettings Settings() {
  KannelSettings s;
  s.secret = kSecret;
  s.pseudonym_key = kKey;
  return s;
}

// What smsbox sends with mo-recode = true (the query parameters, percent-decoded).
Params Mo(std::string text = kRumour) {
  return {{"secret", kSecret},  {"from", "+996700000001"},
          {"to", "1234"},       {"text", std::move(text)},
          {"ts", "1795625695"}, {"id", "4d056a87-9f04-4065-b088-5260ca8a2cf5"},
          {"coding", "0"},      {"charset", "UTF-8"}};
}

// UTF-16BE bytes of a UTF-8 string made of BMP characters only (test helper).
std::string Utf16Be(std::u16string_view s) {
  std::string out;
  for (char16_t c : s) {
    out += static_cast<char>(c >> 8);
    out += static_cast<char>(c & 0xFF);
  }
  return out;
}

std::string Hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 0xF];
  }
  return out;
}

TEST(KannelTest, AFollowUpWindowThreadsTheSendersReportsByPseudonym) {
  auto plain = ParseKannelMo(Mo(), "127.0.0.1", Settings());
  ASSERT_OK(plain);
  EXPECT_TRUE(plain->thread_key.empty()) << "no window: every SMS is a report of its own";
  EXPECT_EQ(plain->thread_window_ms, 0);

  KannelSettings s = Settings();
  s.follow_up_window_ms = 600000;
  auto threaded = ParseKannelMo(Mo(), "127.0.0.1", s);
  ASSERT_OK(threaded);
  EXPECT_EQ(threaded->thread_key, threaded->submitted_by) << "the sender's pseudonym";
  EXPECT_EQ(threaded->thread_window_ms, 600000);
  EXPECT_EQ(threaded->thread_key.find("700000001"), std::string::npos);
  // The same number written differently is the same thread.
  Params national = Mo();
  national["from"] = "0700 000 001";
  auto again = ParseKannelMo(national, "127.0.0.1", s);
  ASSERT_OK(again);
  EXPECT_EQ(again->thread_key, threaded->thread_key);
}

TEST(KannelTest, RecodedCyrillicBecomesAnSmsReport) {
  auto report = ParseKannelMo(Mo(), "127.0.0.1", Settings());
  ASSERT_OK(report);
  EXPECT_EQ(report->text, kRumour);
  EXPECT_EQ(report->channel, "sms");
  EXPECT_EQ(report->source_ref, "kannel:4d056a87-9f04-4065-b088-5260ca8a2cf5");
  EXPECT_EQ(report->observed_at, 1795625695LL * 1000);
  EXPECT_FALSE(report->area.has_value());
  EXPECT_TRUE(report->id.empty()) << "the pipeline assigns ids";
  EXPECT_EQ(report->received_at, 0);
}

TEST(KannelTest, TextDecoding) {
  const std::string privet = "Привет";  // U+041F U+0440 U+0438 U+0432 U+0435 U+0442
  const std::string privet_ucs2 = Utf16Be(u"Привет");
  struct Case {
    const char* name;
    std::string text, coding, charset;
    std::string want;
  };
  const Case cases[] = {
      {"utf8-recoded", privet, "0", "UTF-8", privet},
      {"utf8-no-coding-no-charset", privet, "", "", privet},
      {"utf8-lowercase-charset", privet, "0", "utf-8", privet},
      {"ucs2-raw-bytes", privet_ucs2, "2", "UTF-16BE", privet},
      {"ucs2-raw-no-charset", privet_ucs2, "2", "", privet},
      {"ucs2-hex", Hex(privet_ucs2), "2", "UTF-16BE", privet},
      {"ucs2-hex-lowercase", "041f0440", "2", "", "Пр"},
      {"ucs2-charset-without-coding", privet_ucs2, "", "UCS-2", privet},
      {"ucs2-bom", "\xFE\xFF" + privet_ucs2, "2", "", privet},
      {"utf16-little-endian-bom", std::string("\xFF\xFE\x1F\x04", 4), "2", "UTF-16", "П"},
      {"surrogate-pair", std::string("\xD8\x3D\xDE\x00", 4), "2", "", "\xF0\x9F\x98\x80"},
      {"coding2-recoded-utf8", privet, "2", "UTF-8", privet},
      {"latin1", "caf\xE9", "0", "ISO-8859-1", "caf\xC3\xA9"},
      {"kyrgyz", "Ош шаарында нааразычылык", "0", "UTF-8", "Ош шаарында нааразычылык"},
  };
  for (const auto& c : cases) {
    Params p = Mo(c.text);
    p["coding"] = c.coding;
    p["charset"] = c.charset;
    if (c.coding.empty()) p.erase("coding");
    if (c.charset.empty()) p.erase("charset");
    auto report = ParseKannelMo(p, "127.0.0.1", Settings());
    ASSERT_TRUE(report.has_value()) << c.name << ": " << report.error().message;
    EXPECT_EQ(report->text, c.want) << c.name;
  }
}

TEST(KannelTest, BadInputIsRejectedWithTheParameterNamed) {
  struct Case {
    const char* name;
    Params params;
    std::string want;  // substring of the message
  };
  auto without = [](const char* key) {
    Params p = Mo();
    p.erase(key);
    return p;
  };
  auto with = [](const char* key, std::string value) {
    Params p = Mo();
    p[key] = std::move(value);
    return p;
  };
  Params odd_ucs2 = with("text", std::string("\x04\x1F\x04", 3));
  odd_ucs2["coding"] = "2";
  odd_ucs2["charset"] = "UTF-16BE";
  Params lone_surrogate = with("text", std::string("\xD8\x3D\x00\x41", 4));
  lone_surrogate["coding"] = "2";
  lone_surrogate["charset"] = "UTF-16BE";
  const Case cases[] = {
      {"missing from", without("from"), "missing parameter 'from'"},
      {"blank from", with("from", " "), "missing parameter 'from'"},
      {"missing id", without("id"), "missing parameter 'id'"},
      {"empty id", with("id", ""), "missing parameter 'id'"},
      {"id with space", with("id", "a b"), "parameter 'id'"},
      {"long id", with("id", std::string(201, 'x')), "parameter 'id'"},
      {"missing text", without("text"), "missing parameter 'text'"},
      {"empty text", with("text", ""), "empty text"},
      {"blank text", with("text", " \n\t "), "empty text"},
      {"invalid utf8", with("text", "ab\xC3\x28"), "text is not valid UTF-8 (byte 2)"},
      {"overlong utf8", with("text", "\xC0\xAF"), "text is not valid UTF-8"},
      {"odd ucs2", odd_ucs2, "not valid UCS-2"},
      {"lone surrogate", lone_surrogate, "unpaired surrogate"},
      {"binary", with("coding", "1"), "coding=1"},
      {"bad coding", with("coding", "7"), "parameter 'coding'"},
      {"bad charset", with("charset", "KOI8-R"), "unsupported charset 'koi8-r'"},
  };
  for (const auto& c : cases) {
    auto report = ParseKannelMo(c.params, "127.0.0.1", Settings());
    ASSERT_FALSE(report.has_value()) << c.name;
    EXPECT_EQ(report.error().code, ErrorCode::kInvalidArgument) << c.name;
    EXPECT_NE(report.error().message.find(c.want), std::string::npos)
        << c.name << ": " << report.error().message;
  }
}

TEST(KannelTest, SecretIsRequiredAndNeverEchoed) {
  struct Case {
    const char* name;
    std::optional<std::string> given;
    std::string want;
  };
  const Case cases[] = {
      {"missing", std::nullopt, "missing parameter 'secret'"},
      {"empty", "", "missing parameter 'secret'"},
      {"wrong", "kannel-secret-0123456788", "bad secret"},
      {"prefix", "kannel-secret", "bad secret"},
      {"longer", std::string(kSecret) + "x", "bad secret"},
  };
  for (const auto& c : cases) {
    Params p = Mo();
    if (c.given) {
      p["secret"] = *c.given;
    } else {
      p.erase("secret");
    }
    auto report = ParseKannelMo(p, "127.0.0.1", Settings());
    ASSERT_FALSE(report.has_value()) << c.name;
    EXPECT_EQ(report.error().code, ErrorCode::kUnauthenticated) << c.name;
    EXPECT_EQ(report.error().message, c.want) << c.name;
  }
  // Fail closed when no secret is configured, even if the caller sends an empty one.
  KannelSettings none = Settings();
  none.secret.clear();
  Params p = Mo();
  p["secret"] = "";
  auto report = ParseKannelMo(p, "127.0.0.1", none);
  ASSERT_FALSE(report.has_value());
  EXPECT_EQ(report.error().code, ErrorCode::kUnauthenticated);
}

TEST(KannelTest, RemoteAddressAllowList) {
  struct Case {
    std::vector<std::string> allowed;
    const char* ip;
    bool ok;
  };
  const Case cases[] = {
      {{}, "203.0.113.9", true},
      {{"127.0.0.1"}, "127.0.0.1", true},
      {{"127.0.0.1"}, "127.0.0.2", false},
      {{"127.0.0.1"}, "::ffff:127.0.0.1", true},
      {{"10.0.0.0/8"}, "10.20.30.40", true},
      {{"10.0.0.0/8"}, "11.0.0.1", false},
      {{"192.168.1.0/25"}, "192.168.1.127", true},
      {{"192.168.1.0/25"}, "192.168.1.128", false},
      {{"0.0.0.0/0"}, "8.8.8.8", true},
      {{"::1"}, "::1", true},
      {{"::1"}, "127.0.0.1", false},
      {{"2001:db8::/32"}, "2001:db8:1::5", true},
      {{"10.0.0.1", "127.0.0.1"}, "127.0.0.1", true},
      {{"127.0.0.1"}, "not-an-ip", false},
      {{"127.0.0.1"}, "", false},
  };
  for (const auto& c : cases) {
    KannelSettings s = Settings();
    s.allowed_ips = c.allowed;
    auto report = ParseKannelMo(Mo(), c.ip, s);
    EXPECT_EQ(report.has_value(), c.ok) << c.ip;
    if (!report) {
      EXPECT_EQ(report.error().code, ErrorCode::kUnauthenticated) << c.ip;
    }
  }
  // The address is checked before the secret.
  KannelSettings s = Settings();
  s.allowed_ips = {"10.0.0.1"};
  Params p = Mo();
  p.erase("secret");
  auto report = ParseKannelMo(p, "127.0.0.1", s);
  ASSERT_FALSE(report.has_value());
  EXPECT_NE(report.error().message.find("allowed_ips"), std::string::npos);
}

TEST(KannelTest, SameMessageIdGivesTheSameSourceRef) {
  auto first = ParseKannelMo(Mo(), "127.0.0.1", Settings());
  Params retry = Mo();
  retry["ts"] = "1795625999";  // Kannel's retry of the same message
  auto second = ParseKannelMo(retry, "127.0.0.1", Settings());
  ASSERT_OK(first);
  ASSERT_OK(second);
  EXPECT_EQ(first->source_ref, second->source_ref);
  Params other = Mo();
  other["id"] = "01236e44-8059-419b-8acf-eb1126e73484";
  auto third = ParseKannelMo(other, "127.0.0.1", Settings());
  ASSERT_OK(third);
  EXPECT_NE(third->source_ref, first->source_ref);
}

TEST(KannelTest, SenderIsPseudonymisedStablyAcrossNumberFormats) {
  const std::string expected = "sms:" + HmacSha256Hex(kKey, "+996700000001").substr(0, 16);
  for (const char* from :
       {"+996700000001", "996700000001", "00996700000001", "0700000001", "+996 (700) 000-001"}) {
    Params p = Mo();
    p["from"] = from;
    auto report = ParseKannelMo(p, "127.0.0.1", Settings());
    ASSERT_OK(report);
    EXPECT_EQ(report->submitted_by, expected) << from;
    EXPECT_EQ(report->submitted_by.find("700000001"), std::string::npos);
    EXPECT_EQ(report->submitted_by.find("996"), std::string::npos);
  }
  // Another key, another pseudonym; another number, another pseudonym.
  KannelSettings other_key = Settings();
  other_key.pseudonym_key = "another-key-0123456789";
  auto a = ParseKannelMo(Mo(), "127.0.0.1", other_key);
  ASSERT_OK(a);
  EXPECT_NE(a->submitted_by, expected);
  Params p = Mo();
  p["from"] = "+996700000002";
  auto b = ParseKannelMo(p, "127.0.0.1", Settings());
  ASSERT_OK(b);
  EXPECT_NE(b->submitted_by, expected);
  // An alphanumeric sender is hashed as given.
  p["from"] = "Beeline";
  auto c = ParseKannelMo(p, "127.0.0.1", Settings());
  ASSERT_OK(c);
  EXPECT_EQ(c->submitted_by, SmsSenderPseudonym(kKey, "Beeline"));
}

TEST(KannelTest, RawNumbersOnlyWhenConfigured) {
  KannelSettings s = Settings();
  s.keep_raw_numbers = true;
  Params p = Mo();
  p["from"] = "0700000001";
  auto report = ParseKannelMo(p, "127.0.0.1", s);
  ASSERT_OK(report);
  EXPECT_EQ(report->submitted_by, "sms:+996700000001");

  KannelSettings no_key = Settings();
  no_key.pseudonym_key.clear();
  auto refused = ParseKannelMo(Mo(), "127.0.0.1", no_key);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, ErrorCode::kInternal);
}

TEST(KannelTest, ObservedAtOnlyFromAPlausibleTimestamp) {
  struct Case {
    std::optional<std::string> ts;
    TimeMs want;
  };
  const Case cases[] = {
      {"1795625695", 1795625695000LL},
      {std::nullopt, 0},
      {"", 0},
      {"0", 0},
      {"-5", 0},
      {"17956x", 0},
      {"99999999999999999999", 0},
      {"4102444800", 0},
  };
  for (const auto& c : cases) {
    Params p = Mo();
    if (c.ts) {
      p["ts"] = *c.ts;
    } else {
      p.erase("ts");
    }
    auto report = ParseKannelMo(p, "127.0.0.1", Settings());
    ASSERT_OK(report);
    EXPECT_EQ(report->observed_at, c.want) << c.ts.value_or("(none)");
  }
}

TEST(KannelTest, NormalizePhoneNumber) {
  EXPECT_EQ(NormalizePhoneNumber("+996700000001"), "+996700000001");
  EXPECT_EQ(NormalizePhoneNumber("00 996 700 000 001"), "+996700000001");
  EXPECT_EQ(NormalizePhoneNumber("0700000001"), "+996700000001");
  EXPECT_EQ(NormalizePhoneNumber("0700000001", "7"), "+7700000001");
  EXPECT_EQ(NormalizePhoneNumber("+79161234567"), "+79161234567");
  EXPECT_EQ(NormalizePhoneNumber("1234"), std::nullopt);  // short code
  EXPECT_EQ(NormalizePhoneNumber("Beeline"), std::nullopt);
  EXPECT_EQ(NormalizePhoneNumber("+99670000000+1"), std::nullopt);
  EXPECT_EQ(NormalizePhoneNumber("+1234567890123456"), std::nullopt);  // > 15 digits
  EXPECT_EQ(NormalizePhoneNumber(""), std::nullopt);
}

}  // namespace
}  // namespace sakchy::ingest::kannel_test

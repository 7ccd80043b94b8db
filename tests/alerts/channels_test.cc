// SMS (real Kannel + fakesmsc), Telegram (Bot API fake) and e-mail (postfix smtp-sink) delivery
// through the dispatcher, with the real RocksDB store.

#include <arpa/inet.h>
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <memory>
#include <sstream>
#include <string>

#include "alerts/dispatcher.h"
#include "alerts/templates.h"
#include "core/crypto.h"
#include "core/id.h"
#include "core/time.h"
#include "core/utf8.h"
#include "fakes/http_sink.h"
#include "fakes/scripted_http_server.h"
#include "fakes/smtp_tls_fake.h"
#include "fakes/telegram_send_fake.h"
#include "smtp_client.h"
#include "testutil/kannel_fixture.h"
#include "testutil/tls.h"
#include "testutil/testutil.h"

namespace sakchy::alerts::channels_test {
namespace {

using sakchy::testing::FakeSmscMessages;
using sakchy::testing::FreePorts;
using sakchy::testing::KannelFixture;
using sakchy::testing::TelegramSendFake;
using sakchy::testing::MakeSelfSignedCertificate;
using sakchy::testing::SmtpSession;
using sakchy::testing::SmtpTlsFake;
using sakchy::testing::TestCertificate;
using sakchy::testing::TempDir;
using sakchy::testing::WaitFor;
using ::testing::HasSubstr;

constexpr TimeMs kStart = 1'717'243'200'000;               // 2024-06-01T12:00:00Z
constexpr char kKannelPassword[] = "test-admin-password";  // set by start-kannel.sh
constexpr char kBotToken[] = "123456:TEST-token_abc";

constexpr char kAreasYaml[] = R"(areas:
  - code: "KG"
    parent: ""
    level: country
    name_en: "Kyrgyzstan"
    name_ru: "Кыргызская Республика"
    name_ky: "Кыргыз Республикасы"
  - code: "KG-O"
    parent: "KG"
    level: oblast
    name_en: "Osh Region"
    name_ru: "Ошская область"
    name_ky: "Ош облусу"
  - code: "KG-O-ARAVAN"
    parent: "KG-O"
    level: raion
    name_en: "Aravan District"
    name_ru: "Араванский район"
    name_ky: "Араван району"
)";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Base64Decode(std::string_view in) {
  std::string clean;
  for (char c : in) {
    if (c != '\r' && c != '\n') clean += c;
  }
  std::string out(clean.size(), '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(clean.data()),
                                static_cast<int>(clean.size()));
  if (n < 0) return "<bad base64>";
  std::size_t len = static_cast<std::size_t>(n);
  if (clean.ends_with("==")) {
    len -= 2;
  } else if (clean.ends_with("=")) {
    len -= 1;
  }
  out.resize(len);
  return out;
}

class ChannelsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage::StorageOptions options;
    options.dir = dir_.str() + "/db";
    options.sync = false;
    auto opened = storage::Store::Open(options);
    ASSERT_OK(opened);
    store_ = std::move(*opened);
    auto areas = config::AreaTree::Parse(kAreasYaml, "test-areas");
    ASSERT_OK(areas);
    areas_ = std::make_unique<config::AreaTree>(std::move(*areas));
    cfg_.min_severity = Severity::kMedium;
    cfg_.timeout_ms = 5000;
    cfg_.backoff_initial_ms = 100;
    cfg_.backoff_max_ms = 1000;
    cfg_.give_up_after_ms = 3'600'000;
    cfg_.max_in_flight = 4;
  }
  void TearDown() override {
    if (dispatcher_) dispatcher_->Stop();
  }

  static config::Contact MakeContact(std::string id, std::string language, std::string type,
                                     std::string address) {
    config::Contact c;
    c.id = std::move(id);
    c.language = std::move(language);
    c.areas = {"KG-O"};
    config::ContactChannel channel;
    channel.type = std::move(type);
    channel.address = std::move(address);
    c.channels.push_back(std::move(channel));
    return c;
  }

  // Stores an event and one pending alert for the contact's first channel.
  Alert Seed(const config::Contact& contact, std::string text, std::string term) {
    Event event;
    event.report.id = ids_.Next();
    event.report.text = std::move(text);
    event.report.channel = "api";
    event.report.observed_at = kStart - 60'000;
    event.report.received_at = kStart - 1000;
    event.scored = true;
    const auto begin = event.report.text.find(term);
    EXPECT_NE(begin, std::string::npos);
    event.matches.push_back({"violence.1", "violence", term, static_cast<std::uint32_t>(begin),
                             static_cast<std::uint32_t>(begin + term.size())});
    event.categories = {"violence"};
    event.score = 7.5;
    event.severity = Severity::kHigh;
    event.area = "KG-O-ARAVAN";
    event.area_source = AreaSource::kText;
    event.scored_at = kStart;

    Alert alert;
    alert.id = ids_.Next();
    alert.event_id = event.report.id;
    alert.area = event.area;
    alert.severity = event.severity;
    alert.categories = event.categories;
    alert.contact_id = contact.id;
    alert.channel = contact.channels[0].type;
    alert.target = contact.channels[0].address;
    alert.idempotency_key = Sha256Hex(alert.id).substr(0, 32);
    alert.created_at = clock_.NowMs();
    alert.next_attempt_at = clock_.NowMs();
    EXPECT_OK(store_->AppendReports({&event.report, 1}));
    storage::ScoredBatchItem item{event, {}, {alert}};
    EXPECT_OK(store_->CommitScored({&item, 1}));
    events_[alert.id] = event;
    return alert;
  }

  std::string Expected(const Alert& alert, const std::string& language, bool short_form,
                       std::string area_name) {
    MessageInput in;
    in.alert = &alert;
    in.event = &events_.at(alert.id);
    in.language = language;
    in.area_name = std::move(area_name);
    return short_form ? ShortMessage(in) : LongMessage(in);
  }

  void StartDispatcher() {
    dispatcher_ = Dispatcher::Create(*store_, cfg_, contacts_, clock_, metrics_, areas_.get());
    ASSERT_OK(dispatcher_->Start());
  }

  Alert Stored(const std::string& id) {
    auto got = store_->GetAlert(id);
    EXPECT_TRUE(got.has_value() && got->has_value()) << "alert " << id;
    if (!got.has_value() || !got->has_value()) return {};
    return **got;
  }
  bool WaitForState(const std::string& id, DeliveryState state) {
    return WaitFor([&] { return Stored(id).state == state; });
  }
  bool WaitForAttempts(const std::string& id, int attempts) {
    return WaitFor([&] { return Stored(id).attempts >= attempts; });
  }

  TempDir dir_;
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<config::AreaTree> areas_;
  ManualClock clock_{kStart};
  IdGenerator ids_{clock_};
  MetricsRegistry metrics_;
  // The fake receivers listen on loopback: allowed explicitly, as a local deployment would.
  config::AlertsConfig cfg_ = [] {
    config::AlertsConfig c;
    c.allow_private_targets = {"127.0.0.1/32"};
    return c;
  }();
  std::vector<config::Contact> contacts_;
  std::map<std::string, Event> events_;
  std::unique_ptr<Dispatcher> dispatcher_;
};

// ---------------------------------------------------------------------------------------------
// SMS through the real Kannel.

config::SmsChannelConfig SmsConfig(const std::string& url) {
  config::SmsChannelConfig sms;
  sms.sendsms_url = url;
  sms.username = "ews";
  sms.password = kKannelPassword;
  sms.from = "Sakchy";
  sms.dlr_url_base = "http://127.0.0.1:8080";
  return sms;
}

TEST_F(ChannelsTest, SmsReachesFakeSmscThroughRealKannelAndDeliveryReportsMarkIt) {
  if (!KannelFixture::Installed()) GTEST_SKIP() << "Kannel is not installed (kannel, kannel-extras)";
  KannelFixture kannel;
  ASSERT_TRUE(kannel.Start(FreePorts(1).at(0), "unused-secret"));
  sakchy::testing::HttpSink dlr_receiver;  // stands in for the service's /v1/alerts/dlr
  cfg_.channels.sms = SmsConfig(kannel.sendsms_url());
  cfg_.channels.sms->dlr_url_base = dlr_receiver.url("");
  contacts_.push_back(MakeContact("aravan-akim", "ky", "sms", "+996700123456"));
  contacts_.push_back(MakeContact("osh-duty", "ru", "sms", "+996555000111"));
  Alert ky = Seed(contacts_[0], "Араванда суу ууланды деп айтып жатышат", "ууланды");
  Alert ru = Seed(contacts_[1], "В Араване говорят, что вода отравлена", "отравлена");
  StartDispatcher();
  // Accepted by Kannel: sent, not yet delivered.
  ASSERT_TRUE(WaitForState(ky.id, DeliveryState::kSent)) << Stored(ky.id).last_error;
  ASSERT_TRUE(WaitForState(ru.id, DeliveryState::kSent)) << Stored(ru.id).last_error;
  EXPECT_EQ(Stored(ky.id).attempts, 1);
  EXPECT_EQ(Stored(ky.id).sent_at, kStart);
  EXPECT_EQ(Stored(ky.id).delivered_at, 0);

  const std::string want_ky = Expected(ky, "ky", true, "Араван району");
  const std::string want_ru = Expected(ru, "ru", true, "Араванский район");
  EXPECT_THAT(want_ky, HasSubstr("Жооп: OK " + AlertCode(ky.id)));
  ASSERT_TRUE(WaitFor([&] { return FakeSmscMessages(kannel.Log("fakesmsc.log")).size() >= 2; }))
      << kannel.Log("fakesmsc.log");
  const auto got = FakeSmscMessages(kannel.Log("fakesmsc.log"));
  EXPECT_THAT(got, ::testing::UnorderedElementsAre(want_ky, want_ru)) << kannel.Log("fakesmsc.log");
  // fakesmsc prints sender and receiver first.
  EXPECT_THAT(kannel.Log("fakesmsc.log"), HasSubstr("Sakchy +996700123456 udh"));

  // The fake SMS centre reports "accepted by the SMS centre" (8) and "delivered" (1) for each
  // alert (Kannel may call in either order) to the dlr-url with the alert id and its token.
  ASSERT_TRUE(WaitFor([&] { return dlr_receiver.count() >= 4; })) << kannel.Log("smsbox.log");
  using sakchy::testing::QueryParam;
  std::map<std::string, std::vector<std::string>> types;
  for (const auto& req : dlr_receiver.requests()) {
    EXPECT_TRUE(req.target.starts_with("/v1/alerts/dlr?")) << req.target;
    const std::string id = QueryParam(req.target, "alert_id");
    EXPECT_EQ(QueryParam(req.target, "sig"), DlrToken(*cfg_.channels.sms, id));
    const std::string type = QueryParam(req.target, "type");
    types[id].push_back(type);
    auto applied = std::make_shared<std::promise<Result<Alert>>>();
    dispatcher_->DeliveryReport(id, std::stoi(type),
                                [applied](Result<Alert> r) { applied->set_value(std::move(r)); });
    auto result = applied->get_future().get();
    ASSERT_OK(result);
  }
  EXPECT_THAT(types[ky.id], ::testing::UnorderedElementsAre("8", "1"));  // any order
  EXPECT_THAT(types[ru.id], ::testing::UnorderedElementsAre("8", "1"));
  EXPECT_EQ(Stored(ky.id).state, DeliveryState::kDelivered);
  EXPECT_EQ(Stored(ru.id).state, DeliveryState::kDelivered);
  EXPECT_EQ(Stored(ky.id).attempts, 1);
}

TEST_F(ChannelsTest, SmsRequestCarriesKannelParameters) {
  sakchy::testing::HttpSink kannel;  // stands in for smsbox to show the exact request
  kannel.SetStatus(202);
  cfg_.channels.sms = SmsConfig(kannel.url("/cgi-bin/sendsms"));
  contacts_.push_back(MakeContact("aravan-akim", "ru", "sms", "+996700123456"));
  Alert alert = Seed(contacts_[0], "В Араване говорят, что вода отравлена", "отравлена");
  StartDispatcher();
  ASSERT_TRUE(WaitForState(alert.id, DeliveryState::kSent)) << Stored(alert.id).last_error;
  ASSERT_EQ(kannel.count(), 1u);
  const auto req = kannel.requests()[0];
  EXPECT_EQ(req.method, "GET");
  using sakchy::testing::QueryParam;
  EXPECT_TRUE(req.target.starts_with("/cgi-bin/sendsms?"));
  EXPECT_EQ(sakchy::testing::UrlDecodeBytes(QueryParam(req.target, "username")), "ews");
  EXPECT_EQ(sakchy::testing::UrlDecodeBytes(QueryParam(req.target, "password")), kKannelPassword);
  EXPECT_EQ(sakchy::testing::UrlDecodeBytes(QueryParam(req.target, "from")), "Sakchy");
  EXPECT_EQ(sakchy::testing::UrlDecodeBytes(QueryParam(req.target, "to")), "+996700123456");
  EXPECT_EQ(QueryParam(req.target, "charset"), "UTF-8");
  EXPECT_EQ(QueryParam(req.target, "coding"), "2");
  EXPECT_EQ(QueryParam(req.target, "dlr-mask"), "31");
  EXPECT_EQ(sakchy::testing::UrlDecodeBytes(QueryParam(req.target, "dlr-url")),
            "http://127.0.0.1:8080/v1/alerts/dlr?alert_id=" + alert.id +
                "&sig=" + DlrToken(*cfg_.channels.sms, alert.id) + "&type=%d");
  EXPECT_EQ(sakchy::testing::UrlDecodeBytes(QueryParam(req.target, "text")),
            Expected(alert, "ru", true, "Араванский район"));
}

TEST_F(ChannelsTest, SmsWithWrongPasswordFails) {
  if (!KannelFixture::Installed()) GTEST_SKIP() << "Kannel is not installed (kannel, kannel-extras)";
  KannelFixture kannel;
  ASSERT_TRUE(kannel.Start(FreePorts(1).at(0), "unused-secret"));
  cfg_.channels.sms = SmsConfig(kannel.sendsms_url());
  cfg_.channels.sms->password = "wrong-password";
  contacts_.push_back(MakeContact("aravan-akim", "ky", "sms", "+996700123456"));
  Alert alert = Seed(contacts_[0], "Араванда суу ууланды", "ууланды");
  StartDispatcher();
  ASSERT_TRUE(WaitForState(alert.id, DeliveryState::kFailed));
  const Alert stored = Stored(alert.id);
  EXPECT_THAT(stored.last_error, HasSubstr("kannel: HTTP 403"));
  EXPECT_THAT(stored.last_error, HasSubstr("Authorization failed"));
  EXPECT_THAT(stored.last_error, ::testing::Not(HasSubstr("wrong-password")));
}

TEST_F(ChannelsTest, KannelNotRunningIsRetriedWithBackoff) {
  const auto port = FreePorts(1);
  ASSERT_EQ(port.size(), 1u);
  cfg_.channels.sms = SmsConfig("http://127.0.0.1:" + std::to_string(port[0]) + "/cgi-bin/sendsms");
  contacts_.push_back(MakeContact("aravan-akim", "ru", "sms", "+996700123456"));
  Alert alert = Seed(contacts_[0], "В Араване говорят, что вода отравлена", "отравлена");
  StartDispatcher();
  ASSERT_TRUE(WaitForAttempts(alert.id, 1));
  Alert stored = Stored(alert.id);
  EXPECT_EQ(stored.state, DeliveryState::kPending);
  EXPECT_EQ(stored.last_error, "connection refused");
  EXPECT_GE(stored.next_attempt_at, kStart + 80);
  EXPECT_LE(stored.next_attempt_at, kStart + 120);
  clock_.Advance(200);
  ASSERT_TRUE(WaitForAttempts(alert.id, 2));
  EXPECT_EQ(Stored(alert.id).state, DeliveryState::kPending);
}

TEST_F(ChannelsTest, SmsChannelNotConfiguredFails) {
  contacts_.push_back(MakeContact("aravan-akim", "ru", "sms", "+996700123456"));
  Alert alert = Seed(contacts_[0], "вода отравлена", "отравлена");
  StartDispatcher();
  ASSERT_TRUE(WaitForState(alert.id, DeliveryState::kFailed));
  EXPECT_THAT(Stored(alert.id).last_error, HasSubstr("channel sms is not configured"));
}

// ---------------------------------------------------------------------------------------------
// Telegram through a Bot API fake.

TEST_F(ChannelsTest, TelegramSendsLongFormWithAckButton) {
  TelegramSendFake bot(kBotToken, {"4242", "-1001234"});
  cfg_.channels.telegram = config::TelegramChannelConfig{bot.api_base(), "", kBotToken};
  contacts_.push_back(MakeContact("aravan-akim", "ky", "telegram", "4242"));
  contacts_.push_back(MakeContact("osh-group", "ru", "telegram", "-1001234"));
  Alert ky = Seed(contacts_[0], "Араванда суу ууланды деп айтып жатышат", "ууланды");
  Alert ru = Seed(contacts_[1], "В Араване говорят, что вода отравлена", "отравлена");
  StartDispatcher();
  ASSERT_TRUE(WaitForState(ky.id, DeliveryState::kDelivered)) << Stored(ky.id).last_error;
  ASSERT_TRUE(WaitForState(ru.id, DeliveryState::kDelivered)) << Stored(ru.id).last_error;
  auto sent = bot.sent();
  ASSERT_EQ(sent.size(), 2u);
  if (sent[0].chat_id != "4242") std::swap(sent[0], sent[1]);
  EXPECT_EQ(sent[0].text, Expected(ky, "ky", false, "Араван району"));
  EXPECT_THAT(sent[0].text, HasSubstr("Аймак: Араван району (KG-O-ARAVAN)"));
  EXPECT_EQ(sent[0].button_text, "Кабыл алдым");
  EXPECT_EQ(sent[0].callback_data, "ack:" + AlertCode(ky.id) + ":" + ky.id);
  EXPECT_EQ(sent[1].chat_id, "-1001234");
  EXPECT_EQ(sent[1].text, Expected(ru, "ru", false, "Араванский район"));
  EXPECT_EQ(sent[1].button_text, "Принято");
}

TEST_F(ChannelsTest, TelegramLongTextIsShortenedTo4096) {
  TelegramSendFake bot(kBotToken, {"4242"});
  cfg_.channels.telegram = config::TelegramChannelConfig{bot.api_base(), "", kBotToken};
  contacts_.push_back(MakeContact("aravan-akim", "ru", "telegram", "4242"));
  std::string text;
  for (int i = 0; i < 3000; ++i) text += "слово ";
  text += "нападение";
  for (int i = 0; i < 3000; ++i) text += " ещё";
  Alert alert = Seed(contacts_[0], text, "нападение");
  StartDispatcher();
  ASSERT_TRUE(WaitForState(alert.id, DeliveryState::kDelivered)) << Stored(alert.id).last_error;
  ASSERT_EQ(bot.sent().size(), 1u);
  EXPECT_LE(Utf16Units(bot.sent()[0].text), kTelegramMaxUnits);
  EXPECT_THAT(bot.sent()[0].text, HasSubstr("«нападение»"));
}

TEST_F(ChannelsTest, TelegramHonoursRetryAfter) {
  TelegramSendFake bot(kBotToken, {"4242"});
  bot.FailNextWith429(1, 17);
  cfg_.channels.telegram = config::TelegramChannelConfig{bot.api_base(), "", kBotToken};
  contacts_.push_back(MakeContact("aravan-akim", "ru", "telegram", "4242"));
  Alert alert = Seed(contacts_[0], "вода отравлена", "отравлена");
  StartDispatcher();
  ASSERT_TRUE(WaitForAttempts(alert.id, 1));
  Alert stored = Stored(alert.id);
  EXPECT_EQ(stored.state, DeliveryState::kPending);
  EXPECT_EQ(stored.next_attempt_at, kStart + 17'000);
  EXPECT_THAT(stored.last_error, HasSubstr("telegram: HTTP 429: Too Many Requests"));
  clock_.Advance(16'000);
  clock_.Advance(1'000);
  ASSERT_TRUE(WaitForState(alert.id, DeliveryState::kDelivered));
  EXPECT_EQ(Stored(alert.id).attempts, 2);
  EXPECT_EQ(bot.sent().size(), 1u);
}

TEST_F(ChannelsTest, TelegramOkFalseFailsWithDescription) {
  TelegramSendFake bot(kBotToken, {"4242"});
  cfg_.channels.telegram = config::TelegramChannelConfig{bot.api_base(), "", kBotToken};
  contacts_.push_back(MakeContact("stranger", "ru", "telegram", "999"));
  Alert alert = Seed(contacts_[0], "вода отравлена", "отравлена");
  StartDispatcher();
  ASSERT_TRUE(WaitForState(alert.id, DeliveryState::kFailed));
  EXPECT_EQ(Stored(alert.id).last_error, "telegram: HTTP 400: Bad Request: chat not found");
  EXPECT_EQ(Stored(alert.id).attempts, 1);
}

TEST_F(ChannelsTest, TelegramWrongTokenFailsWithoutLeakingIt) {
  TelegramSendFake bot(kBotToken, {"4242"});
  cfg_.channels.telegram = config::TelegramChannelConfig{bot.api_base(), "", "999:wrong"};
  contacts_.push_back(MakeContact("aravan-akim", "ru", "telegram", "4242"));
  Alert alert = Seed(contacts_[0], "вода отравлена", "отравлена");
  StartDispatcher();
  ASSERT_TRUE(WaitForState(alert.id, DeliveryState::kFailed));
  EXPECT_EQ(Stored(alert.id).last_error, "telegram: HTTP 401: Unauthorized");
}

TEST_F(ChannelsTest, TelegramGarbageIsRetried) {
  TelegramSendFake bot(kBotToken, {"4242"});
  bot.FailNextWithGarbage(1, 502);
  cfg_.channels.telegram = config::TelegramChannelConfig{bot.api_base(), "", kBotToken};
  contacts_.push_back(MakeContact("aravan-akim", "ru", "telegram", "4242"));
  Alert alert = Seed(contacts_[0], "вода отравлена", "отравлена");
  StartDispatcher();
  ASSERT_TRUE(WaitForAttempts(alert.id, 1));
  EXPECT_EQ(Stored(alert.id).state, DeliveryState::kPending);
  EXPECT_THAT(Stored(alert.id).last_error, HasSubstr("not a Bot API response"));
  clock_.Advance(200);
  ASSERT_TRUE(WaitForState(alert.id, DeliveryState::kDelivered));
}

// ---------------------------------------------------------------------------------------------
// E-mail through postfix's smtp-sink (a real SMTP server) on loopback.

constexpr char kSmtpSink[] = "/usr/sbin/smtp-sink";

class SmtpSink {
 public:
  SmtpSink() {
    std::filesystem::create_directories(mail_dir());
    std::filesystem::permissions(mail_dir(), std::filesystem::perms::all);
    std::filesystem::permissions(dir_.path(), std::filesystem::perms::all);
    const auto ports = FreePorts(1);
    if (ports.empty()) return;
    port_ = ports[0];
    pid_ = fork();
    if (pid_ == 0) {
      const std::string listen = "127.0.0.1:" + std::to_string(port_);
      const std::string dump = mail_dir() + "/";
      const int null_fd = open("/dev/null", O_RDWR);
      dup2(null_fd, 0);
      dup2(null_fd, 1);
      dup2(null_fd, 2);
      if (geteuid() == 0) {  // smtp-sink refuses to run as root without -u
        execl(kSmtpSink, kSmtpSink, "-u", "nobody", "-d", dump.c_str(), listen.c_str(), "10",
              static_cast<char*>(nullptr));
      } else {
        execl(kSmtpSink, kSmtpSink, "-d", dump.c_str(), listen.c_str(), "10",
              static_cast<char*>(nullptr));
      }
      _exit(127);
    }
  }
  ~SmtpSink() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
  }
  std::uint16_t port() const { return port_; }
  // Waits until the sink accepts connections.
  bool WaitListening() const {
    return WaitFor([&] {
      const int fd = socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      addr.sin_port = htons(port_);
      const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
      close(fd);
      return ok;
    });
  }
  std::vector<std::string> Mails() const {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(mail_dir(), ec)) {
      out.push_back(ReadFile(entry.path().string()));
    }
    return out;
  }
  std::string mail_dir() const { return dir_.str() + "/mail"; }

 private:
  TempDir dir_;
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
};

config::EmailChannelConfig EmailConfig(std::uint16_t port) {
  config::EmailChannelConfig email;
  email.host = "127.0.0.1";
  email.port = port;
  email.from = "alerts@sakchy.kg";
  return email;
}

// Body of a dumped mail: after the blank line, base64 decoded.
std::string MailBody(const std::string& mail) {
  const auto blank = mail.find("\r\n\r\n") != std::string::npos ? mail.find("\r\n\r\n") + 4
                                                                : mail.find("\n\n") + 2;
  return Base64Decode(mail.substr(blank));
}

TEST_F(ChannelsTest, EmailReachesRealSmtpServer) {
  if (access(kSmtpSink, X_OK) != 0) GTEST_SKIP() << "smtp-sink not installed (apt: postfix)";
  SmtpSink sink;
  ASSERT_TRUE(sink.WaitListening());
  cfg_.channels.email = EmailConfig(sink.port());
  contacts_.push_back(MakeContact("osh-duty", "ru", "email", "duty@osh.gov.kg"));
  Alert alert = Seed(contacts_[0], "В Араване говорят, что вода отравлена", "отравлена");
  StartDispatcher();
  // Accepted by the SMTP server: sent (e-mail has no delivery reports).
  ASSERT_TRUE(WaitForState(alert.id, DeliveryState::kSent)) << Stored(alert.id).last_error;
  ASSERT_TRUE(WaitFor([&] { return !sink.Mails().empty(); }));
  const std::vector<std::string> mails = sink.Mails();
  std::string mail;  // smtp-sink stores lines with LF ends
  for (char c : mails[0]) {
    if (c != '\r') mail += c;
  }
  EXPECT_THAT(mail, HasSubstr("X-Mail-Args: <alerts@sakchy.kg>"));
  EXPECT_THAT(mail, HasSubstr("X-Rcpt-Args: <duty@osh.gov.kg>"));
  EXPECT_THAT(mail, HasSubstr("From: alerts@sakchy.kg\n"));
  EXPECT_THAT(mail, HasSubstr("To: duty@osh.gov.kg\n"));
  EXPECT_THAT(mail, HasSubstr("Subject: =?UTF-8?B?"));
  EXPECT_THAT(mail, HasSubstr("Message-ID: <" + alert.idempotency_key + "@sakchy>"));
  EXPECT_THAT(mail, HasSubstr("Content-Type: text/plain; charset=UTF-8"));
  EXPECT_THAT(mail, HasSubstr("Auto-Submitted: auto-generated\n"));
  // EHLO names this host by a fully qualified name (Postfix: reject_non_fqdn_helo_hostname).
  const auto helo = mail.find("X-Helo-Args: ");
  ASSERT_NE(helo, std::string::npos) << mail;
  const std::string helo_name = mail.substr(helo + 13, mail.find('\n', helo) - helo - 13);
  EXPECT_NE(helo_name.find('.'), std::string::npos) << helo_name;
  EXPECT_NE(helo_name, "sakchy");
  // The folded Subject: encoded words that decode to the template's subject.
  const auto subject_at = mail.find("Subject: ");
  ASSERT_NE(subject_at, std::string::npos);
  std::string subject;
  for (std::size_t at = mail.find("=?UTF-8?B?", subject_at);
       at != std::string::npos && at < mail.find("\nDate: ", subject_at);
       at = mail.find("=?UTF-8?B?", at + 1)) {
    const auto end = mail.find("?=", at + 10);
    subject += Base64Decode(mail.substr(at + 10, end - at - 10));
  }
  MessageInput in;
  in.alert = &alert;
  in.event = &events_.at(alert.id);
  in.language = "ru";
  in.area_name = "Араванский район";
  EXPECT_EQ(subject, Subject(in));
  std::string want = Expected(alert, "ru", false, "Араванский район");
  std::string want_crlf;
  for (char c : want) {
    if (c == '\n') want_crlf += '\r';
    want_crlf += c;
  }
  EXPECT_EQ(MailBody(mail), want_crlf);
}

TEST_F(ChannelsTest, EmailStarttlsRequiredButNotOfferedFails) {
  if (access(kSmtpSink, X_OK) != 0) GTEST_SKIP() << "smtp-sink not installed (apt: postfix)";
  SmtpSink sink;
  ASSERT_TRUE(sink.WaitListening());
  cfg_.channels.email = EmailConfig(sink.port());
  cfg_.channels.email->starttls = true;
  contacts_.push_back(MakeContact("osh-duty", "ky", "email", "duty@osh.gov.kg"));
  Alert alert = Seed(contacts_[0], "вода отравлена", "отравлена");
  StartDispatcher();
  ASSERT_TRUE(WaitForState(alert.id, DeliveryState::kFailed));
  EXPECT_EQ(Stored(alert.id).last_error, "smtp: server does not offer STARTTLS");
  EXPECT_TRUE(sink.Mails().empty());
}

TEST_F(ChannelsTest, EmailServerDownIsRetried) {
  const auto port = FreePorts(1);
  ASSERT_EQ(port.size(), 1u);
  cfg_.channels.email = EmailConfig(port[0]);
  contacts_.push_back(MakeContact("osh-duty", "ru", "email", "duty@osh.gov.kg"));
  Alert alert = Seed(contacts_[0], "вода отравлена", "отравлена");
  StartDispatcher();
  ASSERT_TRUE(WaitForAttempts(alert.id, 1));
  EXPECT_EQ(Stored(alert.id).state, DeliveryState::kPending);
  EXPECT_EQ(Stored(alert.id).last_error, "smtp: connection refused");
}

TEST_F(ChannelsTest, EmailEhloNameIsConfigurable) {
  if (access(kSmtpSink, X_OK) != 0) GTEST_SKIP() << "smtp-sink not installed (apt: postfix)";
  SmtpSink sink;
  ASSERT_TRUE(sink.WaitListening());
  cfg_.channels.email = EmailConfig(sink.port());
  cfg_.channels.email->helo_name = "mx1.sakchy.example.kg";
  contacts_.push_back(MakeContact("osh-duty", "ru", "email", "duty@osh.gov.kg"));
  Alert alert = Seed(contacts_[0], "вода отравлена", "отравлена");
  StartDispatcher();
  ASSERT_TRUE(WaitForState(alert.id, DeliveryState::kSent)) << Stored(alert.id).last_error;
  ASSERT_TRUE(WaitFor([&] { return !sink.Mails().empty(); }));
  EXPECT_THAT(sink.Mails()[0], HasSubstr("X-Helo-Args: mx1.sakchy.example.kg"));
}

// ---------------------------------------------------------------------------------------------
// E-mail over TLS: a fake SMTP server with a self-signed certificate that the dispatcher's
// certificate store trusts (OpenSSL reads SSL_CERT_FILE when the store loads its defaults).

class EmailTlsTest : public ChannelsTest {
 protected:
  void SetUp() override {
    ChannelsTest::SetUp();
    cert_ = MakeSelfSignedCertificate(dir_.str(), "smtp", "localhost");
  }
  void TearDown() override {
    unsetenv("SSL_CERT_FILE");
    ChannelsTest::TearDown();
  }
  void Trust() { setenv("SSL_CERT_FILE", cert_.cert_file.c_str(), 1); }
  config::EmailChannelConfig Config(std::uint16_t port) {
    config::EmailChannelConfig email;
    email.host = "localhost";  // the certificate's name
    email.port = port;
    email.from = "alerts@sakchy.kg";
    email.helo_name = "mx1.sakchy.example.kg";
    email.username = "sakchy";
    email.password = "s3cret-pass";
    return email;
  }
  // Sends one alert and returns what the server saw.
  SmtpSession SendOne(SmtpTlsFake& fake) {
    contacts_.push_back(MakeContact("osh-duty", "ru", "email", "duty@osh.gov.kg"));
    Alert alert = Seed(contacts_[0], "вода отравлена", "отравлена");
    StartDispatcher();
    EXPECT_TRUE(WaitForState(alert.id, DeliveryState::kSent)) << Stored(alert.id).last_error;
    EXPECT_TRUE(WaitFor([&] { return !fake.sessions().empty(); }));
    return fake.sessions().empty() ? SmtpSession{} : fake.sessions().back();
  }
  TempDir dir_;
  TestCertificate cert_;
};

TEST_F(EmailTlsTest, ImplicitTlsWithAuthPlain) {
  SmtpTlsFake fake(SmtpTlsFake::Mode::kImplicitTls, cert_.cert_file, cert_.key_file, "sakchy",
                   "s3cret-pass");
  Trust();
  cfg_.channels.email = Config(fake.port());
  cfg_.channels.email->implicit_tls = true;
  cfg_.channels.email->auth = config::SmtpAuth::kPlain;
  const SmtpSession s = SendOne(fake);
  EXPECT_TRUE(s.tls);
  EXPECT_EQ(s.auth_mechanism, "PLAIN");
  EXPECT_TRUE(s.authenticated);
  EXPECT_EQ(s.helos, std::vector<std::string>{"mx1.sakchy.example.kg"});
  EXPECT_EQ(s.mail_from, "alerts@sakchy.kg");
  EXPECT_EQ(s.rcpt_to, "duty@osh.gov.kg");
  EXPECT_THAT(s.data, HasSubstr("Auto-Submitted: auto-generated\r\n"));
}

TEST_F(EmailTlsTest, StarttlsWithAuthLogin) {
  SmtpTlsFake fake(SmtpTlsFake::Mode::kStarttls, cert_.cert_file, cert_.key_file, "sakchy",
                   "s3cret-pass");
  Trust();
  cfg_.channels.email = Config(fake.port());
  cfg_.channels.email->starttls = true;
  cfg_.channels.email->auth = config::SmtpAuth::kLogin;
  const SmtpSession s = SendOne(fake);
  EXPECT_TRUE(s.tls);
  EXPECT_EQ(s.auth_mechanism, "LOGIN");
  EXPECT_TRUE(s.authenticated);
  // EHLO again after STARTTLS (RFC 3207).
  EXPECT_EQ(s.helos.size(), 2u);
}

TEST_F(EmailTlsTest, ImplicitTlsWithXoauth2BearerToken) {
  SmtpTlsFake fake(SmtpTlsFake::Mode::kImplicitTls, cert_.cert_file, cert_.key_file, "sakchy",
                   "ya29.token-abc");
  Trust();
  cfg_.channels.email = Config(fake.port());
  cfg_.channels.email->implicit_tls = true;
  cfg_.channels.email->auth = config::SmtpAuth::kXoauth2;
  cfg_.channels.email->password = "ya29.token-abc";
  const SmtpSession s = SendOne(fake);
  EXPECT_EQ(s.auth_mechanism, "XOAUTH2");
  EXPECT_EQ(s.user, "sakchy");
  EXPECT_TRUE(s.authenticated);
}

TEST_F(EmailTlsTest, WrongPasswordFails) {
  SmtpTlsFake fake(SmtpTlsFake::Mode::kImplicitTls, cert_.cert_file, cert_.key_file, "sakchy",
                   "other");
  Trust();
  cfg_.channels.email = Config(fake.port());
  cfg_.channels.email->implicit_tls = true;
  contacts_.push_back(MakeContact("osh-duty", "ru", "email", "duty@osh.gov.kg"));
  Alert alert = Seed(contacts_[0], "вода отравлена", "отравлена");
  StartDispatcher();
  ASSERT_TRUE(WaitForState(alert.id, DeliveryState::kFailed));
  EXPECT_THAT(Stored(alert.id).last_error, HasSubstr("smtp: "));
  EXPECT_THAT(Stored(alert.id).last_error, ::testing::Not(HasSubstr("s3cret")));
}

TEST_F(EmailTlsTest, UntrustedCertificateFails) {
  SmtpTlsFake fake(SmtpTlsFake::Mode::kImplicitTls, cert_.cert_file, cert_.key_file, "sakchy",
                   "s3cret-pass");
  cfg_.channels.email = Config(fake.port());  // SSL_CERT_FILE not set: the system CAs only
  cfg_.channels.email->implicit_tls = true;
  contacts_.push_back(MakeContact("osh-duty", "ru", "email", "duty@osh.gov.kg"));
  Alert alert = Seed(contacts_[0], "вода отравлена", "отравлена");
  StartDispatcher();
  ASSERT_TRUE(WaitForState(alert.id, DeliveryState::kFailed));
  EXPECT_THAT(Stored(alert.id).last_error, HasSubstr("smtp: TLS handshake failed"));
  for (const auto& s : fake.sessions()) EXPECT_TRUE(s.mail_from.empty());
}

TEST_F(EmailTlsTest, AuthWithoutTlsIsRefused) {
  cfg_.channels.email = Config(25);
  contacts_.push_back(MakeContact("osh-duty", "ru", "email", "duty@osh.gov.kg"));
  Alert alert = Seed(contacts_[0], "вода отравлена", "отравлена");
  StartDispatcher();
  ASSERT_TRUE(WaitForState(alert.id, DeliveryState::kFailed));
  EXPECT_THAT(Stored(alert.id).last_error, HasSubstr("refusing AUTH without TLS"));
}

// Header lines stay within 78 characters (RFC 5322 2.1.1); a subject longer than 78 characters
// is cut with an ellipsis.
TEST(EmailMessageTest, SubjectIsFoldedAndCutTo78Characters) {
  config::EmailChannelConfig cfg;
  cfg.from = "alerts@sakchy.kg";
  Alert alert;
  alert.id = "01JDA7Q0000000000000000000";
  alert.target = "duty@osh.gov.kg";
  alert.idempotency_key = "k1";
  std::string long_subject;
  for (int i = 0; i < 30; ++i) long_subject += "Тревога ";  // 240 characters
  for (const std::string& subject :
       {std::string("Short ASCII subject"), std::string(69, 'a'), std::string(70, 'b'),
        std::string("Срочно: слух о воде в Араванском районе"), long_subject}) {
    const std::string msg = EmailMessage(cfg, alert, subject, "body", 0);
    const std::string head = msg.substr(0, msg.find("\r\n\r\n") + 2);
    for (std::size_t at = 0, eol; (eol = head.find("\r\n", at)) != std::string::npos;
         at = eol + 2) {
      EXPECT_LE(eol - at, 78u) << head.substr(at, eol - at);
    }
    // The decoded subject: the text itself, or its first 77 characters and "…".
    const auto start = head.find("Subject: ") + 9;
    const std::string folded = head.substr(start, head.find("\r\nDate:") - start);
    std::string decoded;
    if (folded.starts_with("=?UTF-8?B?")) {
      for (auto at = folded.find("=?UTF-8?B?"); at != std::string::npos;
           at = folded.find("=?UTF-8?B?", at + 1)) {
        decoded += Base64Decode(folded.substr(at + 10, folded.find("?=", at + 10) - at - 10));
      }
    } else {
      decoded = folded;
    }
    if (subject == long_subject) {
      EXPECT_EQ(Utf8Length(decoded), 78u) << decoded;
      EXPECT_TRUE(decoded.ends_with("…")) << decoded;
      EXPECT_TRUE(long_subject.starts_with(decoded.substr(0, decoded.size() - 3)));
    } else {
      EXPECT_EQ(decoded, subject);
    }
    EXPECT_THAT(msg, HasSubstr("\r\nAuto-Submitted: auto-generated\r\n"));
  }
}

}  // namespace
}  // namespace sakchy::alerts::channels_test

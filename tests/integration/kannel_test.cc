// End-to-end SMS intake through a real Kannel on loopback: fakesmsc (the fake SMS centre) ->
// bearerbox -> smsbox -> get-url callback -> the real sakchy binary -> stored, scored, alerted.
// Kannel is started by tests/fixtures/kannel/start-kannel.sh. Skipped only when Kannel's binaries
// are not installed (apt-get install kannel kannel-extras).

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <boost/json.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/time.h"
#include "integration/harness.h"
#include "testutil/kannel_fixture.h"

namespace sakchy::testing::kannel_test {
namespace {

namespace json = boost::json;

constexpr const char* kKannelSecret = "kannel-secret-for-tests-0123";
constexpr const char* kPseudonymKey = "pseudonym-key-for-tests-0123";
constexpr const char* kSender = "+996700000001";
constexpr const char* kText = "Говорят, в Оше начались беспорядки, передайте всем";
constexpr const char* kBearerbox = "/usr/sbin/bearerbox";
constexpr const char* kSmsbox = "/usr/sbin/smsbox";
constexpr const char* kFakeSmsc = "/usr/lib/kannel/test/fakesmsc";

bool KannelInstalled() {
  return access(kBearerbox, X_OK) == 0 && access(kSmsbox, X_OK) == 0 &&
         access(kFakeSmsc, X_OK) == 0;
}


std::string UrlEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  return out;
}

// Files under `dir` whose bytes contain `needle`.
std::vector<std::string> FilesContaining(const std::string& dir, const std::string& needle) {
  std::vector<std::string> found;
  std::error_code ec;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir, ec)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (bytes.find(needle) != std::string::npos) found.push_back(entry.path().string());
  }
  return found;
}

// bearerbox + smsbox + fakesmsc via the fixture scripts; stopped on destruction.
class Kannel {
 public:
  Kannel() : ports_(FreePorts(4)) {}
  ~Kannel() {
    if (started_)
      RunShell(ShellQuote(SourcePath("tests/fixtures/kannel/stop-kannel.sh")) + " " + ShellQuote(dir_.str()));
  }

  ::testing::AssertionResult Start(std::uint16_t sakchy_port) {
    if (ports_.size() != 4) return ::testing::AssertionFailure() << "no free ports";
    std::ostringstream cmd;
    cmd << ShellQuote(SourcePath("tests/fixtures/kannel/start-kannel.sh")) << " " << ShellQuote(dir_.str())
        << " " << sakchy_port << " " << kKannelSecret;
    for (auto p : ports_) cmd << " " << p;
    started_ = true;
    auto [code, output] = RunShell(cmd.str());
    if (code != 0) {
      return ::testing::AssertionFailure() << "start-kannel.sh exited " << code << ":\n" << output;
    }
    return ::testing::AssertionSuccess();
  }

  // Makes fakesmsc send one MO SMS ("FROM TO text MESSAGE"); one line per write.
  ::testing::AssertionResult SendMo(const std::string& line) {
    const std::string fifo = dir_.str() + "/mo.fifo";
    const int fd = open(fifo.c_str(), O_WRONLY | O_NONBLOCK);
    if (fd < 0) return ::testing::AssertionFailure() << "cannot open " << fifo;
    const std::string data = line + "\n";
    const auto written = write(fd, data.data(), data.size());
    close(fd);
    if (written != static_cast<ssize_t>(data.size())) {
      return ::testing::AssertionFailure() << "short write to " << fifo;
    }
    return ::testing::AssertionSuccess();
  }

  std::string Log(const std::string& name) const {
    std::ifstream in(dir_.str() + "/" + name);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

 private:
  TempDir dir_;
  std::vector<std::uint16_t> ports_;  // admin, smsbox, sendsms, fake smsc
  bool started_ = false;
};

HarnessOptions KannelHarnessOptions() {
  HarnessOptions opts;
  opts.min_severity = "info";  // every located SMS alerts the Osh contact: its webhook names it
  opts.extra_yaml =
      "privacy:\n  pseudonym_key_env: SAKCHY_TEST_PSEUDONYM_KEY\n"
      "sms:\n  kannel:\n    enabled: true\n    secret_env: SAKCHY_TEST_KANNEL_SECRET\n"
      "    allowed_ips: [127.0.0.1]\n";
  opts.env = {{"SAKCHY_TEST_KANNEL_SECRET", kKannelSecret},
              {"SAKCHY_TEST_PSEUDONYM_KEY", kPseudonymKey}};
  return opts;
}

TEST(KannelIntegrationTest, SmsFromFakeSmscBecomesAScoredEventAndRedeliveryIsADuplicate) {
  if (!KannelInstalled()) {
    GTEST_SKIP() << "Kannel is not installed (" << kBearerbox << ", " << kSmsbox << ", "
                 << kFakeSmsc << "); apt-get install kannel kannel-extras, or run "
                 << "scripts/bootstrap.sh --with-test-tools";
  }
  Harness h(KannelHarnessOptions());
  ASSERT_TRUE(h.Start());
  Kannel kannel;
  ASSERT_TRUE(kannel.Start(h.port()));

  ASSERT_TRUE(kannel.SendMo(std::string(kSender) + " 1234 text " + kText));

  // The Osh contact's webhook carries the event id of the SMS.
  const bool alerted = WaitFor([&] { return h.sink().count() >= 1; });
  ASSERT_TRUE(alerted) << "no alert arrived\nsmsbox.log:\n"
                       << kannel.Log("smsbox.log") << "\nsakchy stderr:\n"
                       << h.process().Stderr();
  const auto alert = json::parse(h.sink().requests().front().body);
  const std::string event_id(alert.at("event_id").as_string());

  auto event = h.WaitScored(event_id);
  ASSERT_TRUE(event.is_object()) << "event " << event_id << " never scored";
  EXPECT_EQ(event.at("channel"), "sms");
  EXPECT_EQ(event.at("text"), kText) << "Cyrillic must survive Kannel and the callback intact";
  const std::string source_ref(event.at("source_ref").as_string());
  ASSERT_TRUE(source_ref.starts_with("kannel:")) << source_ref;
  std::string area(event.at("area").as_string());
  EXPECT_TRUE(area == "KG-GO" || area == "KG-O") << area;
  ASSERT_TRUE(event.as_object().contains("submitted_by")) << boost::json::serialize(event);
  if (const auto* by = event.as_object().if_contains("submitted_by")) {
    const std::string submitted_by(by->as_string());
    EXPECT_TRUE(submitted_by.starts_with("sms:")) << submitted_by;
    EXPECT_EQ(submitted_by.find("700000001"), std::string::npos) << submitted_by;
    EXPECT_EQ(submitted_by.find("996"), std::string::npos) << submitted_by;
    EXPECT_EQ(submitted_by.size(), 4u + 16u) << submitted_by;
  }
  EXPECT_EQ(serialize(event).find("700000001"), std::string::npos)
      << "the raw number must not be shown: " << serialize(event);
  EXPECT_EQ(h.Metric("sakchy_reports_accepted_total"), 1);

  // Kannel retries a callback with the same message id: a duplicate, nothing new stored, and an
  // empty body (Kannel would send a body back to the sender as an SMS).
  const std::string kannel_id = source_ref.substr(7);
  const std::string retry = "/v1/ingest/kannel?secret=" + std::string(kKannelSecret) +
                            "&from=" + UrlEncode(kSender) + "&to=1234&text=" + UrlEncode(kText) +
                            "&ts=1795625695&id=" + UrlEncode(kannel_id) + "&coding=0&charset=UTF-8";
  auto again = h.Call("GET", retry, "");
  EXPECT_EQ(again.status, 200) << again.body;
  EXPECT_TRUE(again.body.empty()) << again.body;
  EXPECT_EQ(h.Metric("sakchy_reports_accepted_total"), 1);
  EXPECT_EQ(h.Metric("sakchy_reports_duplicate_total"), 1);

  // Only the pseudonym reaches the disk: the raw number is in no file of the data directory
  // (the RocksDB WAL holds every stored report uncompressed).
  EXPECT_FALSE(FilesContaining(h.data_dir(), source_ref).empty()) << "the scan sees reports";
  EXPECT_EQ(FilesContaining(h.data_dir(), "700000001"), std::vector<std::string>{});

  // A second, different SMS through Kannel is a new event.
  ASSERT_TRUE(kannel.SendMo("+996700000002 1234 ucs2 %04%1E%04%48+%04%41%04%3A%04%3E"));
  ASSERT_TRUE(WaitFor([&] { return h.Metric("sakchy_reports_accepted_total") == 2; }))
      << "the second SMS was not accepted\nsmsbox.log:\n"
      << kannel.Log("smsbox.log");
}

// A reply of the same sender within the window (sms.kannel.follow_up_window_ms, 10 minutes by
// default) is a follow-up of their earlier report: stored before Kannel gets its answer, shown on
// the parent event with its times, the parent re-scored on both texts; a redelivery is a
// duplicate; the sender's thread (by pseudonym) survives a restart.
TEST(KannelIntegrationTest, AReplyWithinTheWindowIsAFollowUpOfTheSendersReport) {
  if (!KannelInstalled()) {
    GTEST_SKIP() << "Kannel is not installed (" << kBearerbox << ", " << kSmsbox << ", "
                 << kFakeSmsc << "); apt-get install kannel kannel-extras, or run "
                 << "scripts/bootstrap.sh --with-test-tools";
  }
  Harness h(KannelHarnessOptions());
  ASSERT_TRUE(h.Start());
  Kannel kannel;
  ASSERT_TRUE(kannel.Start(h.port()));

  ASSERT_TRUE(kannel.SendMo(std::string(kSender) + " 1234 text " + kText));
  ASSERT_TRUE(WaitFor([&] { return h.sink().count() >= 1; }))
      << "no alert arrived\nsmsbox.log:\n" << kannel.Log("smsbox.log");
  const std::string event_id(
      json::parse(h.sink().requests().front().body).at("event_id").as_string());
  ASSERT_TRUE(h.WaitScored(event_id).is_object());

  // The reply, through Kannel: UCS-2 as a phone sends Cyrillic ("Там стреляют" = "they are
  // shooting there").
  const std::string reply = "Там стреляют";
  ASSERT_TRUE(kannel.SendMo(std::string(kSender) +
                            " 1234 ucs2 %04%22%04%30%04%3C%00%20%04%41%04%42%04%40%04%35%04%3B%04%4F%04%4E%04%42"));
  json::value event;
  ASSERT_TRUE(WaitFor([&] {
    event = h.GetJson("/v1/events/" + event_id);
    return event.is_object() && event.as_object().contains("follow_ups_scored") &&
           event.at("follow_ups_scored") == 1;
  })) << "the reply was not attached and scored\nsmsbox.log:\n"
      << kannel.Log("smsbox.log") << "\nevent: " << serialize(event);
  EXPECT_EQ(event.at("text"), kText) << "the report keeps its own text";
  const auto& follow_ups = event.at("follow_ups").as_array();
  ASSERT_EQ(follow_ups.size(), 1u) << serialize(event);
  EXPECT_EQ(follow_ups[0].at("text"), json::value(reply));
  const std::string follow_up_ref(follow_ups[0].at("source_ref").as_string());
  EXPECT_TRUE(follow_up_ref.starts_with("kannel:")) << follow_up_ref;
  EXPECT_NE(follow_up_ref, std::string(event.at("source_ref").as_string()));
  EXPECT_TRUE(ParseRfc3339(std::string(follow_ups[0].at("received_at").as_string())).has_value());
  EXPECT_TRUE(ParseRfc3339(std::string(follow_ups[0].at("observed_at").as_string())).has_value());
  EXPECT_GE(*ParseRfc3339(std::string(follow_ups[0].at("received_at").as_string())),
            *ParseRfc3339(std::string(event.at("received_at").as_string())));
  // Matched terms of the reply are shown with their excerpt from the reply.
  bool shooting = false;
  for (const auto& m : event.at("matches").as_array()) {
    shooting = shooting || m.at("excerpt") == "стреляют";
  }
  EXPECT_TRUE(shooting) << "the parent is re-scored on both texts: " << serialize(event);
  EXPECT_EQ(serialize(event).find("700000001"), std::string::npos);
  EXPECT_EQ(h.Metric("sakchy_reports_follow_up_total"), 1);
  EXPECT_EQ(h.Metric("sakchy_reports_accepted_total"), 2);
  // No event of its own: the trends count one event.
  EXPECT_EQ(h.GetJson("/v1/events/" + std::string(follow_ups[0].at("id").as_string())), nullptr);

  // Kannel redelivers the reply (same message id): a duplicate, nothing new.
  const std::string base = "/v1/ingest/kannel?secret=" + std::string(kKannelSecret) +
                           "&from=" + UrlEncode(kSender) + "&to=1234&coding=0&charset=UTF-8";
  auto again = h.Call("GET", base + "&text=" + UrlEncode(reply) + "&id=" +
                                 UrlEncode(follow_up_ref.substr(7)),
                      "");
  EXPECT_EQ(again.status, 200) << again.body;
  EXPECT_TRUE(again.body.empty()) << again.body;
  EXPECT_EQ(h.Metric("sakchy_reports_duplicate_total"), 1);
  EXPECT_EQ(h.Metric("sakchy_reports_follow_up_total"), 1);

  // After a restart the sender's thread is still found (pseudonym + RocksDB).
  EXPECT_EQ(h.Stop(SIGTERM), 0) << h.process().Stderr();
  ASSERT_TRUE(h.Start());
  auto third = h.Call("GET", base + "&text=" + UrlEncode("Есть раненые") + "&id=after-restart", "");
  EXPECT_EQ(third.status, 202) << third.body;
  ASSERT_TRUE(WaitFor([&] {
    event = h.GetJson("/v1/events/" + event_id);
    return event.is_object() && event.at("follow_ups_scored") == 2;
  })) << serialize(event);
  ASSERT_EQ(event.at("follow_ups").as_array().size(), 2u);
  EXPECT_EQ(event.at("follow_ups").as_array()[1].at("text"), "Есть раненые");
  // Another sender is a report of its own.
  auto other = h.Call("GET",
                      "/v1/ingest/kannel?secret=" + std::string(kKannelSecret) +
                          "&from=%2B996700000009&text=" + UrlEncode("Уже стреляют") + "&id=other",
                      "");
  EXPECT_EQ(other.status, 202) << other.body;
  EXPECT_EQ(h.Metric("sakchy_reports_follow_up_total"), 1) << "counted since the restart";
}

TEST(KannelIntegrationTest, CallbacksWithoutTheSecretOrWithMissingFieldsAreRefused) {
  Harness h(KannelHarnessOptions());
  ASSERT_TRUE(h.Start());
  const std::string text = UrlEncode(kText);
  auto bad_secret = h.Call("GET",
                           "/v1/ingest/kannel?secret=wrong-secret-0123456789&from=%2B99670000001"
                           "&text=" +
                               text + "&id=abc",
                           "");
  EXPECT_EQ(bad_secret.status, 401) << bad_secret.body;
  EXPECT_EQ(bad_secret.body.find(kKannelSecret), std::string::npos);
  auto no_secret =
      h.Call("GET", "/v1/ingest/kannel?from=%2B99670000001&text=" + text + "&id=a", "");
  EXPECT_EQ(no_secret.status, 401) << no_secret.body;

  const std::string auth = "/v1/ingest/kannel?secret=" + std::string(kKannelSecret);
  auto no_from = h.Call("GET", auth + "&text=" + text + "&id=abc", "");
  EXPECT_EQ(no_from.status, 400) << no_from.body;
  EXPECT_NE(no_from.body.find("missing parameter 'from'"), std::string::npos) << no_from.body;
  auto bad_utf8 = h.Call("GET", auth + "&from=%2B996700000001&text=ab%C3%28&id=abc", "");
  EXPECT_EQ(bad_utf8.status, 400) << bad_utf8.body;
  EXPECT_NE(bad_utf8.body.find("not valid UTF-8"), std::string::npos) << bad_utf8.body;
  auto empty = h.Call("GET", auth + "&from=%2B996700000001&text=&id=abc", "");
  EXPECT_EQ(empty.status, 400) << empty.body;

  // post-url style: the form body carries the fields.
  auto posted =
      h.Call("POST", auth, "", "from=%2B996700000003&text=" + text + "&id=form-1&coding=0",
             {{"Content-Type", "application/x-www-form-urlencoded"}});
  EXPECT_EQ(posted.status, 202) << posted.body;
  EXPECT_TRUE(posted.body.empty()) << posted.body;
  EXPECT_EQ(h.Metric("sakchy_reports_accepted_total"), 1);
}

}  // namespace
}  // namespace sakchy::testing::kannel_test

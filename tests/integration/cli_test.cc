// The command line of the real binary: help, config check, start-up errors.

#include <signal.h>

#include <filesystem>
#include <fstream>

#include "fakes/whatsapp_fake.h"
#include "testutil/http_client.h"
#include "testutil/process.h"
#include "testutil/testutil.h"

namespace sakchy::testing {
namespace {

TEST(CliTest, HelpEverywhere) {
  TempDir dir;
  for (std::vector<std::string> args : {std::vector<std::string>{"--help"},
                                        std::vector<std::string>{"serve", "--help"},
                                        std::vector<std::string>{"config", "--help"},
                                        std::vector<std::string>{"config", "check", "--help"}}) {
    auto [code, out] = RunSakchy(args, dir.str());
    EXPECT_EQ(code, 0) << args[0];
    EXPECT_NE(out.find("Usage"), std::string::npos) << out;
  }
  auto [code, out] = RunSakchy({"frobnicate"}, dir.str());
  EXPECT_EQ(code, 2);
  EXPECT_NE(out.find("unknown command"), std::string::npos);
}

TEST(CliTest, ConfigCheckAcceptsTheBundledDefault) {
  TempDir dir;
  auto [code, out] = RunSakchy({"config", "check", SourcePath("config/defaults/sakchy.yaml")},
                               dir.str(), {{"SAKCHY_WEBHOOK_DEMO_SECRET", "x"}});
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("OK"), std::string::npos) << out;
}

TEST(CliTest, ConfigCheckNamesFileLineAndField) {
  TempDir dir;
  std::string path = dir.str() + "/bad.yaml";
  std::ofstream(path) << "server:\n  listen: 127.0.0.1:99999\n"
                      << "alerts:\n  min_severity: apocalyptic\n"
                      << "contacts:\n  - id: a\n    name: A\n    areas: [KG]\n    channels:\n"
                      << "      - type: pigeon\n        url: http://x\n";
  auto [code, out] = RunSakchy({"config", "check", path}, dir.str());
  EXPECT_EQ(code, 1) << out;
  EXPECT_NE(out.find(path + ":2:"), std::string::npos) << out;
  EXPECT_NE(out.find("server.listen"), std::string::npos) << out;
  EXPECT_NE(out.find(path + ":4:"), std::string::npos) << out;
  EXPECT_NE(out.find("alerts.min_severity"), std::string::npos) << out;
  EXPECT_NE(out.find("pigeon"), std::string::npos) << out;
}

TEST(CliTest, ConfigCheckMissingFile) {
  TempDir dir;
  auto [code, out] = RunSakchy({"config", "check", dir.str() + "/nope.yaml"}, dir.str());
  EXPECT_EQ(code, 1);
  EXPECT_NE(out.find("nope.yaml"), std::string::npos) << out;
}

TEST(CliTest, ServeRefusesBadEnvTokens) {
  TempDir dir;
  auto [code, out] = RunSakchy({"serve", "--listen", "127.0.0.1:0"}, dir.str(),
                               {{"SAKCHY_TOKENS", "wizard:abcdefghijklmnopqrstuvwxyz"}});
  EXPECT_EQ(code, 1);
  EXPECT_NE(out.find("wizard"), std::string::npos) << out;
  EXPECT_EQ(out.find("abcdefghijklmnop"), std::string::npos) << "a token leaked into the output";
}

TEST(CliTest, DemoModeStartsOnTheEmbeddedDefaultAndPrintsTokens) {
  TempDir dir;
  SakchyProcess p({"serve", "--listen", "127.0.0.1:0"}, dir.str());
  ASSERT_NE(p.WaitListening(), 0) << p.Stderr();
  auto out = p.Stdout();
  EXPECT_NE(out.find("demo tokens"), std::string::npos) << out;
  EXPECT_NE(out.find("monitor"), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "var/data"));
  EXPECT_EQ(p.Stop(SIGTERM), 0) << p.Stderr();
}

// Demo mode prints the web console's address and an official token; a secrets file from before
// the official existed keeps its tokens and gains one.
TEST(CliTest, DemoModePrintsTheConsoleAndAddsAnOfficialToken) {
  TempDir dir;
  std::filesystem::create_directories(dir.path() / "var");
  {
    std::ofstream f(dir.path() / "var/demo-secrets");
    f << "webhook_secret=0123456789abcdef0123456789abcdef\n"
      << "token_monitor=demo-monitor-000000000000aaaa\n"
      << "token_analyst=demo-analyst-000000000000aaaa\n"
      << "token_admin=demo-admin-000000000000aaaa\n";
  }
  SakchyProcess p({"serve", "--listen", "127.0.0.1:0"}, dir.str());
  const auto port = p.WaitListening();
  ASSERT_NE(port, 0) << p.Stderr();
  const std::string out = p.Stdout();
  EXPECT_NE(out.find("web console: http://127.0.0.1:" + std::to_string(port) + "/ui/"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("official (KG-O+KG-GO)"), std::string::npos) << out;
  std::ifstream in(dir.path() / "var/demo-secrets");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("token_monitor=demo-monitor-000000000000aaaa\n"), std::string::npos) << text;
  EXPECT_NE(text.find("webhook_secret=0123456789abcdef0123456789abcdef\n"), std::string::npos);
  EXPECT_NE(text.find("whatsapp_app_secret="), std::string::npos) << text;
  const auto at = text.find("token_official=");
  ASSERT_NE(at, std::string::npos) << text;
  const std::string official = text.substr(at + 15, text.find('\n', at) - at - 15);
  auto me = HttpCall(port, "GET", "/v1/me", "", {{"Authorization", "Bearer " + official}});
  EXPECT_EQ(me.status, 200) << me.body;
  EXPECT_NE(me.body.find("\"areas\":[\"KG-O\",\"KG-GO\"]"), std::string::npos) << me.body;
  auto old = HttpCall(port, "GET", "/v1/me", "",
                      {{"Authorization", "Bearer demo-monitor-000000000000aaaa"}});
  EXPECT_EQ(old.status, 200) << old.body;
  EXPECT_EQ(p.Stop(SIGTERM), 0) << p.Stderr();
}

// The value of `key` in the demo's secrets file.
std::string DemoSecret(const TempDir& dir, const std::string& key) {
  std::ifstream in(dir.path() / "var/demo-secrets");
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with(key + "=")) return line.substr(key.size() + 1);
  }
  return "";
}

// The first run answers people: demo mode has a WhatsApp tipline (its app secret in
// var/demo-secrets, its Graph API the loopback stand-in of run.sh) with replies on, so a
// citizen's message is acknowledged, and the official's verdict on the rumour answers them.
TEST(CliTest, DemoModeAnswersAWhatsAppReporter) {
  TempDir dir;
  SakchyProcess p({"serve", "--listen", "127.0.0.1:0"}, dir.str());
  const auto port = p.WaitListening();
  ASSERT_NE(port, 0) << p.Stderr();
  const std::string secret = DemoSecret(dir, "whatsapp_app_secret");
  const std::string analyst = "Bearer " + DemoSecret(dir, "token_analyst");
  const std::string official = "Bearer " + DemoSecret(dir, "token_official");
  const std::string monitor = "Bearer " + DemoSecret(dir, "token_monitor");
  ASSERT_EQ(secret.size(), 64u);
  // A monitor reports the rumour; the citizen forwards it to the tipline: one cluster of two.
  EXPECT_EQ(HttpCall(port, "POST", "/v1/reports",
                     R"({"text":"Говорят, в Оше начались беспорядки, передайте всем!"})",
                     {{"Authorization", monitor}, {"Content-Type", "application/json"}})
                .status,
            202);
  const std::string body = WhatsAppFake::TextWebhook(
      "996555123456", "wamid.demo.1", "Говорят, в Оше начались беспорядки, передайте всем!");
  EXPECT_EQ(HttpCall(port, "POST", "/v1/ingest/whatsapp", body,
                     {{"Content-Type", "application/json"},
                      {"X-Hub-Signature-256", WhatsAppFake::Sign("wrong", body)}})
                .status,
            401);
  auto posted = HttpCall(port, "POST", "/v1/ingest/whatsapp", body,
                         {{"Content-Type", "application/json"},
                          {"X-Hub-Signature-256", WhatsAppFake::Sign(secret, body)}});
  ASSERT_EQ(posted.status, 200) << posted.body;
  // The acknowledgement is a reply in the outbox (nothing listens on the stand-in's port here).
  std::string replies;
  EXPECT_TRUE(WaitFor([&] {
    replies = HttpCall(port, "GET", "/v1/alerts?kind=reply&limit=10", "",
                       {{"Authorization", analyst}}).body;
    return replies.find("\"kind\":\"reply\"") != std::string::npos;
  })) << replies;
  // The official answers on the rumour's cluster: a second reply, the answer.
  std::string cluster;
  ASSERT_TRUE(WaitFor([&] {
    auto list = HttpCall(port, "GET", "/v1/clusters?limit=1", "", {{"Authorization", analyst}});
    const auto at = list.body.find("{\"id\":\"");
    if (at == std::string::npos) return false;
    cluster = list.body.substr(at + 7, list.body.find('"', at + 7) - at - 7);
    return !cluster.empty();
  }));
  auto verdict = HttpCall(port, "POST", "/v1/clusters/" + cluster + "/verdict",
                          R"({"status":"false","statement":"Ошто тынч.","publish":true})",
                          {{"Authorization", official}, {"Content-Type", "application/json"}});
  EXPECT_EQ(verdict.status, 200) << verdict.body;
  EXPECT_TRUE(WaitFor([&] {
    replies = HttpCall(port, "GET", "/v1/alerts?kind=reply&limit=10", "",
                       {{"Authorization", analyst}}).body;
    std::size_t n = 0;
    for (auto at = replies.find("\"kind\":\"reply\""); at != std::string::npos;
         at = replies.find("\"kind\":\"reply\"", at + 1)) {
      ++n;
    }
    return n >= 2;
  })) << replies;
  EXPECT_EQ(replies.find("996555123456"), std::string::npos) << "a raw number in the outbox";
  auto answers = HttpCall(port, "GET", "/v1/public/answers", "", {});
  EXPECT_EQ(answers.status, 200);
  EXPECT_NE(answers.body.find("Ошто тынч."), std::string::npos) << answers.body;
  EXPECT_EQ(p.Stop(SIGTERM), 0) << p.Stderr();
}

}  // namespace
}  // namespace sakchy::testing

// The command line of the real binary: help, config check, start-up errors.

#include <signal.h>

#include <filesystem>
#include <fstream>

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
                               dir.str(), {{"SAKCHY_DEMO_WEBHOOK_SECRET", "x"}});
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

}  // namespace
}  // namespace sakchy::testing

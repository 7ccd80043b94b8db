// The command line of the real binary: help, config check, start-up errors.

#include <signal.h>

#include <filesystem>
#include <fstream>

#include "fakes/whatsapp_fake.h"
#include "testutil/http_client.h"
#include "testutil/process.h"
#include "testutil/testutil.h"

namespace sakchy::testing::cli_test {
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

// One CLI11 command line for every command: --opt=value as well as --opt value.
TEST(CliTest, OptionsTakeEqualsOrASeparateValue) {
  TempDir dir;
  const std::string rules = SourcePath("config/defaults/rules");
  for (std::vector<std::string> args :
       {std::vector<std::string>{"rules", "check", rules, "--areas=embedded:areas.yaml"},
        std::vector<std::string>{"rules", "check", rules, "--areas", "embedded:areas.yaml"}}) {
    auto [code, out] = RunSakchy(args, dir.str());
    EXPECT_EQ(code, 0) << out;
    EXPECT_NE(out.find(rules + ": OK"), std::string::npos) << out;
  }
  auto [code, out] = RunSakchy({"rules", "check", rules, "--areas=" + dir.str() + "/none.yaml"},
                               dir.str());
  EXPECT_EQ(code, 1) << out;  // the value was taken: the file is missing
  EXPECT_NE(out.find("none.yaml"), std::string::npos) << out;
  // Given twice, the last value counts (Harness appends a second --listen to serve).
  std::tie(code, out) = RunSakchy(
      {"rules", "check", rules, "--areas=" + dir.str() + "/none.yaml", "--areas=embedded:areas.yaml"},
      dir.str());
  EXPECT_EQ(code, 0) << out;
  std::tie(code, out) = RunSakchy(
      {"rules", "check", rules, "--areas=embedded:areas.yaml", "--areas", dir.str() + "/none.yaml"},
      dir.str());
  EXPECT_EQ(code, 1) << out;
  auto [v_code, v_out] = RunSakchy({"--version"}, dir.str());
  EXPECT_EQ(v_code, 0);
  EXPECT_EQ(v_out.rfind("sakchy ", 0), 0u) << v_out;
}

TEST(CliTest, ConflictingOptionsAreAUsageError) {
  TempDir dir;
  for (std::vector<std::string> args :
       {std::vector<std::string>{"backup", dir.str() + "/b", "--url=http://127.0.0.1:1",
                                 "--data-dir", dir.str()},
        std::vector<std::string>{"restore", dir.str() + "/b", "--config=x.yaml", "--data-dir=y"},
        std::vector<std::string>{"model", "train", "--data=a", "--out=b", "--positive=rumour",
                                 "--cv-group=topic", "--folds=3"}}) {
    SakchyProcess p(args, dir.str());
    EXPECT_EQ(p.Wait(), 2) << args[0];
    EXPECT_NE(p.Stderr().find("excludes"), std::string::npos) << p.Stderr();
    EXPECT_FALSE(std::filesystem::exists(dir.path() / "b")) << "nothing may run";
  }
}

TEST(CliTest, SubcommandHelpIsGeneratedFromItsOptions) {
  TempDir dir;
  auto [code, out] = RunSakchy({"model", "train", "--help"}, dir.str());
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("Usage: sakchy model train"), std::string::npos) << out;
  EXPECT_NE(out.find("--cv-group"), std::string::npos) << out;
  EXPECT_NE(out.find("--positive LABEL REQUIRED"), std::string::npos) << out;
  EXPECT_NE(out.find("--dim INT=16"), std::string::npos) << out;  // the default, from the code
  std::tie(code, out) = RunSakchy({"backup", "--help"}, dir.str());
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("--data-dir"), std::string::npos) << out;
  EXPECT_NE(out.find("Excludes"), std::string::npos) << out;
}

TEST(CliTest, UnknownOptionsAndMissingArgumentsExitTwoWithAMessageOnStderr) {
  TempDir dir;
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"serve", "--bogus"}, "sakchy serve: The following argument was not expected: --bogus"},
      {{"serve", "--listen"}, "--listen"},
      {{"classify", "--rules=r", "--frob=1"}, "--frob=1"},
      {{"model", "check", "m", "--lable", "x"}, "--lable"},
      {{"model", "eval", "--data", "d.ndjson"}, "--model is required"},
      {{"restore", "b", "--url=http://127.0.0.1:1"}, "--url"},
      {{"config", "frob"}, "sakchy config: unknown command 'frob'"},
      {{"serve", "--log-format=xml"}, "xml"},
      {{"serve", "--log-level=loud"}, "loud"},
  };
  for (const auto& [args, message] : cases) {
    SakchyProcess p(args, dir.str());
    EXPECT_EQ(p.Wait(), 2) << args[0] << " " << args[1];
    EXPECT_NE(p.Stderr().find(message), std::string::npos) << p.Stderr();
    EXPECT_EQ(p.Stdout(), "") << args[0];
  }
}

// Every command is a CLI11 subcommand: the top-level help names each one, and each one's help is
// generated from its own options (so an option added in the code shows up without editing text).
TEST(CliTest, HelpListsEveryCommandAndEachCommandsOptions) {
  TempDir dir;
  auto [code, out] = RunSakchy({"--help"}, dir.str());
  EXPECT_EQ(code, 0) << out;
  for (const char* command : {"serve", "config", "rules", "classify", "model", "backup", "restore",
                              "report", "import", "export", "alerts", "ack", "version"}) {
    EXPECT_NE(out.find("\n  " + std::string(command) + " "), std::string::npos)
        << command << " missing from:\n" << out;
  }
  EXPECT_NE(out.find("SAKCHY_TOKEN"), std::string::npos) << out;  // the footer: environment
  // Without a command: the same help on stderr, usage status.
  SakchyProcess bare({}, dir.str());
  EXPECT_EQ(bare.Wait(), 2);
  EXPECT_EQ(bare.Stdout(), "");
  EXPECT_NE(bare.Stderr().find("classify"), std::string::npos) << bare.Stderr();

  const std::vector<std::pair<std::vector<std::string>, std::vector<std::string>>> commands = {
      {{"serve"}, {"--config", "--listen", "--data-dir", "--log-format", "--log-level"}},
      {{"config", "check"}, {"FILE"}},
      {{"rules", "check"}, {"DIR", "--areas"}},
      {{"classify"}, {"--rules", "--areas", "--model"}},
      {{"model"}, {"train", "eval", "check", "export-labels"}},
      {{"model", "train"}, {"--data", "--out", "--positive", "--labels", "--folds", "--extra"}},
      {{"model", "eval"}, {"--model", "--data", "--group-field", "--json"}},
      {{"model", "check"}, {"DIR", "--label"}},
      {{"model", "export-labels"}, {"--url", "--task", "--out"}},
      {{"backup"}, {"DIR", "--url", "--config", "--data-dir"}},
      {{"restore"}, {"DIR", "--config", "--data-dir", "--force"}},
      {{"report"}, {"--area", "--source-ref", "--observed-at", "--url"}},
      {{"import"}, {"--restart", "--batch", "--url"}},
      {{"export"}, {"--output", "--area", "--from", "--to", "--hxl", "--no-bom", "--url"}},
      {{"alerts"}, {"--unacked", "--acked", "--state", "--limit", "--json", "--url"}},
      {{"ack"}, {"--note", "--url"}},
      {{"version"}, {}},
  };
  for (const auto& [command, options] : commands) {
    std::vector<std::string> args = command;
    std::string name = "sakchy";
    for (const auto& word : command) name += " " + word;
    args.push_back("--help");
    std::tie(code, out) = RunSakchy(args, dir.str());
    EXPECT_EQ(code, 0) << name << ":\n" << out;
    EXPECT_NE(out.find("Usage: " + name), std::string::npos) << out;
    for (const auto& option : options) {
      EXPECT_NE(out.find(option), std::string::npos) << name << " --help lacks " << option;
    }
  }
}

// A mistyped option is refused by every command before it does anything: status 2, the command
// and the option named on stderr, nothing on stdout.
TEST(CliTest, EveryCommandRefusesAnUnknownOption) {
  TempDir dir;
  // {the command's name, its arguments with the required ones filled in}
  const std::vector<std::pair<std::string, std::vector<std::string>>> commands = {
      {"serve", {"serve"}},
      {"config check", {"config", "check", "x.yaml"}},
      {"rules check", {"rules", "check", "r"}},
      {"classify", {"classify", "--rules=r"}},
      {"model train", {"model", "train", "--data=d", "--out=m", "--positive=p"}},
      {"model eval", {"model", "eval", "--model=m", "--data=d"}},
      {"model check", {"model", "check", "m"}},
      {"model export-labels", {"model", "export-labels", "--url=http://127.0.0.1:1"}},
      {"backup", {"backup", "b"}},
      {"restore", {"restore", "b"}},
      {"report", {"report", "text"}},
      {"import", {"import", "cli_test.cc"}},
      {"export", {"export", "events.csv"}},
      {"alerts", {"alerts"}},
      {"ack", {"ack", "01ALERT"}},
      {"version", {"version"}},
  };
  std::ofstream(dir.path() / "cli_test.cc") << "{}\n";  // import's file must exist
  for (const auto& [name, command] : commands) {
    std::vector<std::string> args = command;
    args.push_back("--no-such-option");
    SakchyProcess p(args, dir.str(), {{"SAKCHY_TOKEN", "not-used-0123456789"}});
    EXPECT_EQ(p.Wait(), 2) << name;
    EXPECT_NE(p.Stderr().find("sakchy " + name + ": "), std::string::npos) << p.Stderr();
    EXPECT_NE(p.Stderr().find("--no-such-option"), std::string::npos) << p.Stderr();
    EXPECT_EQ(p.Stdout(), "") << name;
  }
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "b")) << "backup ran";
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "m")) << "model train ran";
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "var")) << "serve ran";
  // An unknown command, also below a group: named as such.
  for (const auto& [args, message] :
       std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"frobnicate"}, "sakchy: unknown command 'frobnicate'"},
           {{"--frobnicate"}, "sakchy: unknown option '--frobnicate'"},
           {{"model", "tran"}, "sakchy model: unknown command 'tran'"},
           {{"rules", "lint", "r"}, "sakchy rules: unknown command 'lint'"}}) {
    SakchyProcess p(args, dir.str());
    EXPECT_EQ(p.Wait(), 2) << message;
    EXPECT_NE(p.Stderr().find(message), std::string::npos) << p.Stderr();
  }
  // A group without its command is a usage error too.
  SakchyProcess group({"model"}, dir.str());
  EXPECT_EQ(group.Wait(), 2);
  EXPECT_NE(group.Stderr().find(
                "sakchy model: a command is required (train, eval, check, export-labels)"),
            std::string::npos)
      << group.Stderr();
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
}  // namespace sakchy::testing::cli_test

#include "config/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "core/crypto.h"
#include "testutil/testutil.h"

namespace sakchy::config::config_test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kSecretEnv[] = "SAKCHY_WEBHOOK_CONFIG_TEST_SECRET";
constexpr char kDemoSecretEnv[] = "SAKCHY_WEBHOOK_DEMO_SECRET";

// Writes YAML to a fresh temp dir and loads it. Line numbers in the tests count from the first
// line of each literal.
class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(setenv(kSecretEnv, "s3cret-from-env", 1), 0);
    path_ = (dir_.path() / "my.yaml").string();
  }
  void TearDown() override { unsetenv(kSecretEnv); }

  Result<Config> Load(const std::string& yaml) {
    std::ofstream(path_, std::ios::binary) << yaml;
    return LoadConfigFile(path_);
  }
  // Expects failure whose message contains "<path>:<line>: <rest>" as one whole line.
  void ExpectIssue(const std::string& yaml, int line, const std::string& rest) {
    auto config = Load(yaml);
    ASSERT_FALSE(config.has_value()) << "loaded unexpectedly:\n" << yaml;
    EXPECT_EQ(config.error().code, ErrorCode::kInvalidArgument);
    EXPECT_TRUE(sakchy::testing::HasIssueLine(config.error().message, path_, line, rest));
  }
  std::vector<std::string> IssueLines(const std::string& yaml) {
    auto config = Load(yaml);
    std::vector<std::string> lines;
    if (config.has_value()) return lines;
    std::string_view rest = config.error().message;
    while (!rest.empty()) {
      const auto nl = rest.find('\n');
      lines.emplace_back(rest.substr(0, nl));
      rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    }
    return lines;
  }

  sakchy::testing::TempDir dir_;
  std::string path_;
};

// A valid contact block for tests that only vary something else.
constexpr char kContact[] = R"yaml(contacts:
  - id: c1
    areas: [KG-O]
    channels:
      - type: webhook
        url: https://example.org/hook
        secret: k
)yaml";

TEST_F(ConfigTest, EmptyFileGivesDefaults) {
  auto config = Load("");
  ASSERT_OK(config);
  const Config defaults;
  EXPECT_EQ(config->source, path_);
  EXPECT_EQ(config->server.listen_host, "127.0.0.1");
  EXPECT_EQ(config->server.listen_port, 8080);
  EXPECT_EQ(config->server.max_body_bytes, defaults.server.max_body_bytes);
  EXPECT_EQ(config->server.io_threads, 2);
  EXPECT_TRUE(config->storage.sync_writes);
  EXPECT_EQ(config->storage.background_write_mb_per_s, 64u);
  EXPECT_EQ(config->storage.delete_mb_per_s, 32u);
  EXPECT_EQ(config->pipeline.queue_capacity, 10000u);
  EXPECT_EQ(config->pipeline.scoring_threads, 1);
  EXPECT_EQ(config->pipeline.scoring_nice, 10);
  EXPECT_EQ(config->pipeline.max_text_bytes, 16384u);
  EXPECT_EQ(config->alerts.min_severity, Severity::kHigh);
  EXPECT_EQ(config->alerts.timeout_ms, 5000);
  EXPECT_EQ(config->alerts.give_up_after_ms, 24LL * 3600 * 1000);
  EXPECT_EQ(config->alerts.max_in_flight, 64);
  EXPECT_TRUE(config->contacts.empty());
  EXPECT_TRUE(config->tokens.empty());
  EXPECT_EQ(config->logging.level, "info");
  EXPECT_EQ(config->logging.format, "text");
  // Relative paths, including defaults, are resolved next to the file.
  EXPECT_EQ(config->classifier.rules_dir, (dir_.path() / "rules").string());
  EXPECT_EQ(config->classifier.areas_file, (dir_.path() / "areas.yaml").string());
  EXPECT_EQ(config->storage.data_dir, (dir_.path() / "var/data").string());
}

TEST_F(ConfigTest, EmptySectionsGiveDefaults) {
  auto config = Load(
      "server:\nstorage:\npipeline:\nclassifier:\nalerts:\ncontacts:\ntokens:\n"
      "logging:\n");
  ASSERT_OK(config);
  EXPECT_EQ(config->server.listen_port, 8080);
  EXPECT_EQ(config->logging.level, "info");
}

TEST_F(ConfigTest, FullConfigParses) {
  const std::string sha = Sha256Hex("a-long-enough-token");
  auto config = Load(R"yaml(server:
  listen: 0.0.0.0:9090
  max_body_bytes: 2048
  io_threads: 4
storage:
  data_dir: /var/lib/sakchy
  sync_writes: false
pipeline:
  queue_capacity: 5
  scoring_threads: 3
  max_text_bytes: 100
classifier:
  rules: my-rules
  areas: embedded:areas.yaml
alerts:
  min_severity: medium
  timeout_ms: 10
  backoff_initial_ms: 20
  backoff_max_ms: 30
  give_up_after_ms: 40
  max_in_flight: 2
  allow_private_targets: [127.0.0.1/32, "::1/128"]
contacts:
  - id: osh
    name: Osh duty officer
    role: duty
    language: ky
    areas: [KG-O, KG-GO]
    min_severity: critical
    channels:
      - type: webhook
        url: http://127.0.0.1:8099/hook
        secret_env: SAKCHY_WEBHOOK_CONFIG_TEST_SECRET
      - {type: webhook, url: "https://[::1]:8443/x?y=1", secret: plain}
tokens:
  - {name: ops, role: admin, sha256: )yaml" +
                     sha + R"yaml(}
logging:
  level: debug
  format: json
)yaml");
  ASSERT_OK(config);
  EXPECT_EQ(config->server.listen_host, "0.0.0.0");
  EXPECT_EQ(config->server.listen_port, 9090);
  EXPECT_EQ(config->server.max_body_bytes, 2048u);
  EXPECT_EQ(config->server.io_threads, 4);
  EXPECT_EQ(config->storage.data_dir, "/var/lib/sakchy");
  EXPECT_FALSE(config->storage.sync_writes);
  EXPECT_EQ(config->pipeline.queue_capacity, 5u);
  EXPECT_EQ(config->pipeline.scoring_threads, 3);
  EXPECT_EQ(config->pipeline.max_text_bytes, 100u);
  EXPECT_EQ(config->classifier.rules_dir, (dir_.path() / "my-rules").string());
  EXPECT_EQ(config->classifier.areas_file, "embedded:areas.yaml");
  EXPECT_EQ(config->alerts.min_severity, Severity::kMedium);
  EXPECT_EQ(config->alerts.timeout_ms, 10);
  EXPECT_EQ(config->alerts.backoff_initial_ms, 20);
  EXPECT_EQ(config->alerts.backoff_max_ms, 30);
  EXPECT_EQ(config->alerts.give_up_after_ms, 40);
  EXPECT_EQ(config->alerts.max_in_flight, 2);
  EXPECT_EQ(config->alerts.allow_private_targets,
            (std::vector<std::string>{"127.0.0.1/32", "::1/128"}));
  ASSERT_EQ(config->contacts.size(), 1u);
  const Contact& c = config->contacts[0];
  EXPECT_EQ(c.id, "osh");
  EXPECT_EQ(c.name, "Osh duty officer");
  EXPECT_EQ(c.role, "duty");
  EXPECT_EQ(c.language, "ky");
  EXPECT_EQ(c.areas, (std::vector<AreaCode>{"KG-O", "KG-GO"}));
  EXPECT_EQ(c.min_severity, Severity::kCritical);
  EXPECT_EQ(c.origin, path_ + ":24");
  ASSERT_EQ(c.channels.size(), 2u);
  EXPECT_EQ(c.channels[0].type, "webhook");
  EXPECT_EQ(c.channels[0].address, "http://127.0.0.1:8099/hook");
  EXPECT_EQ(c.channels[0].secret, "s3cret-from-env");
  EXPECT_EQ(c.channels[0].origin, path_ + ":31");
  EXPECT_EQ(c.channels[1].address, "https://[::1]:8443/x?y=1");
  EXPECT_EQ(c.channels[1].secret, "plain");
  EXPECT_EQ(c.channels[1].origin, path_ + ":34");
  ASSERT_EQ(config->tokens.size(), 1u);
  EXPECT_EQ(config->tokens[0].name, "ops");
  EXPECT_EQ(config->tokens[0].role, Role::kAdmin);
  EXPECT_EQ(config->tokens[0].sha256, sha);
  EXPECT_EQ(config->logging.level, "debug");
  EXPECT_EQ(config->logging.format, "json");
}

TEST_F(ConfigTest, ListenForms) {
  auto v6 = Load("server:\n  listen: \"[::1]:0\"\n");
  ASSERT_OK(v6);
  EXPECT_EQ(v6->server.listen_host, "::1");
  EXPECT_EQ(v6->server.listen_port, 0);
  auto name = Load("server:\n  listen: localhost:65535\n");
  ASSERT_OK(name);
  EXPECT_EQ(name->server.listen_host, "localhost");
  EXPECT_EQ(name->server.listen_port, 65535);
}

TEST_F(ConfigTest, ListenErrors) {
  ExpectIssue("server:\n  listen: localhost\n", 2,
              "server.listen: expected host:port, got 'localhost'");
  ExpectIssue("server:\n  listen: 127.0.0.1:65536\n", 2,
              "server.listen: port must be between 0 and 65535, got 65536");
  ExpectIssue("server:\n  listen: :80\n", 2, "server.listen: host is empty in ':80'");
  ExpectIssue("server:\n  listen: 127.0.0.1:http\n", 2,
              "server.listen: port must be a number in '127.0.0.1:http'");
  ExpectIssue("server:\n  listen: ::1:80\n", 2,
              "server.listen: an IPv6 host needs brackets, e.g. [::1]:8080, got '::1:80'");
}

TEST_F(ConfigTest, SizesAndThreadsMustBePositive) {
  ExpectIssue("server:\n  max_body_bytes: 0\n", 2,
              "server.max_body_bytes: must be positive, got 0");
  ExpectIssue("server:\n  io_threads: -1\n", 2,
              "server.io_threads: must be between 1 and 1024, got -1");
  ExpectIssue("pipeline:\n  queue_capacity: lots\n", 2,
              "pipeline.queue_capacity: expected an integer, got 'lots'");
  ExpectIssue("pipeline:\n  scoring_threads: 0\n", 2,
              "pipeline.scoring_threads: must be between 1 and 1024, got 0");
  {
    auto nice = Load("pipeline:\n  scoring_nice: 0\n");
    ASSERT_TRUE(nice.has_value()) << nice.error().message;
    EXPECT_EQ(nice->pipeline.scoring_nice, 0);
  }
  {
    auto unlimited = Load("storage:\n  background_write_mb_per_s: 0\n");
    ASSERT_TRUE(unlimited.has_value()) << unlimited.error().message;
    EXPECT_EQ(unlimited->storage.background_write_mb_per_s, 0u);
  }
  ExpectIssue("storage:\n  background_write_mb_per_s: -5\n", 2,
              "storage.background_write_mb_per_s: must be between 0 and 100000, got -5");
  {
    auto at_once = Load("storage:\n  delete_mb_per_s: 0\n");
    ASSERT_TRUE(at_once.has_value()) << at_once.error().message;
    EXPECT_EQ(at_once->storage.delete_mb_per_s, 0u);
  }
  ExpectIssue("storage:\n  delete_mb_per_s: 100001\n", 2,
              "storage.delete_mb_per_s: must be between 0 and 100000, got 100001");
  ExpectIssue("pipeline:\n  scoring_nice: 20\n", 2,
              "pipeline.scoring_nice: must be between 0 and 19, got 20");
  ExpectIssue("pipeline:\n  max_text_bytes: [1]\n", 2,
              "pipeline.max_text_bytes: expected an integer");
  ExpectIssue("alerts:\n  timeout_ms: 0\n", 2, "alerts.timeout_ms: must be positive, got 0");
  ExpectIssue("alerts:\n  max_in_flight: 0\n", 2,
              "alerts.max_in_flight: must be between 1 and 1000000, got 0");
  ExpectIssue("alerts:\n  max_open_groups: 10\n", 2,
              "alerts.max_open_groups: must be between 100 and 100000000, got 10");
  ExpectIssue("alerts:\n  give_up_after_ms: 99999999999999999999\n", 2,
              "alerts.give_up_after_ms: integer '99999999999999999999' is out of range");
  ExpectIssue("storage:\n  sync_writes: maybe\n", 2,
              "storage.sync_writes: expected true or false, got 'maybe'");
  ExpectIssue("storage:\n  data_dir: \"\"\n", 2, "storage.data_dir: must not be empty");
}

TEST_F(ConfigTest, ServerLimitsAndTls) {
  {
    auto defaults = Load("server:\n  listen: 127.0.0.1:0\n");
    ASSERT_TRUE(defaults.has_value()) << defaults.error().message;
    const auto& s = defaults->server;
    EXPECT_EQ(s.max_body_bytes_in_flight, 256u << 20);
    EXPECT_EQ(s.max_connections, 1024u);
    EXPECT_EQ(s.max_connections_per_ip, 256u);
    EXPECT_EQ(s.idle_timeout_seconds, 60);
    EXPECT_EQ(s.header_timeout_seconds, 10);
    EXPECT_EQ(s.body_timeout_seconds, 60);
    EXPECT_EQ(s.export_threads, 1);
    EXPECT_EQ(s.max_exports_per_token, 2u);
    EXPECT_FALSE(s.tls.has_value());
  }
  auto config = Load(R"yaml(server:
  max_body_bytes_in_flight: 1000000
  max_connections: 50
  max_connections_per_ip: 0
  idle_timeout_seconds: 30
  header_timeout_seconds: 5
  body_timeout_seconds: 20
  export_threads: 2
  max_exports_per_token: 1
  tls:
    cert_file: tls/cert.pem
    key_file: /etc/key.pem
    min_version: "1.3"
)yaml");
  ASSERT_TRUE(config.has_value()) << config.error().message;
  const auto& s = config->server;
  EXPECT_EQ(s.max_body_bytes_in_flight, 1000000u);
  EXPECT_EQ(s.max_connections, 50u);
  EXPECT_EQ(s.max_connections_per_ip, 0u);
  EXPECT_EQ(s.idle_timeout_seconds, 30);
  EXPECT_EQ(s.header_timeout_seconds, 5);
  EXPECT_EQ(s.body_timeout_seconds, 20);
  EXPECT_EQ(s.export_threads, 2);
  EXPECT_EQ(s.max_exports_per_token, 1u);
  ASSERT_TRUE(s.tls.has_value());
  EXPECT_EQ(s.tls->cert_file, (dir_.path() / "tls/cert.pem").string()) << "next to the config";
  EXPECT_EQ(s.tls->key_file, "/etc/key.pem");
  EXPECT_EQ(s.tls->min_version, "1.3");

  ExpectIssue("server:\n  max_connections: 0\n", 2,
              "server.max_connections: must be between 1 and 1000000, got 0");
  ExpectIssue("server:\n  header_timeout_seconds: 0\n", 2,
              "server.header_timeout_seconds: must be between 1 and 86400, got 0");
  ExpectIssue("server:\n  max_exports_per_token: 0\n", 2,
              "server.max_exports_per_token: must be between 1 and 1000, got 0");
  ExpectIssue("server:\n  tls:\n    cert_file: a.pem\n", 3, "server.tls.key_file: required");
  ExpectIssue("server:\n  tls:\n    cert_file: a.pem\n    key_file: b.pem\n    min_version: \"1.1\"\n",
              5,
              "server.tls.min_version: must be \"1.2\" or \"1.3\" (older TLS versions are never "
              "offered), got '1.1'");
}

TEST_F(ConfigTest, BackoffMaxBelowInitial) {
  ExpectIssue("alerts:\n  backoff_initial_ms: 500\n  backoff_max_ms: 100\n", 3,
              "alerts.backoff_max_ms: must be at least backoff_initial_ms (500), got 100");
}

TEST_F(ConfigTest, SeverityNames) {
  ExpectIssue("alerts:\n  min_severity: urgent\n", 2,
              "alerts.min_severity: unknown severity 'urgent' (expected: info, low, medium, high, "
              "critical)");
  ExpectIssue(std::string(kContact) + "    min_severity: HIGH\n", 8,
              "contacts[0].min_severity: unknown severity 'HIGH' (expected: info, low, medium, "
              "high, critical)");
}

TEST_F(ConfigTest, UnknownKeysAreErrors) {
  ExpectIssue("servr:\n  listen: 1.2.3.4:5\n", 1,
              "servr: unknown key (expected one of: server, storage, pipeline, classifier, alerts, "
              "contacts, tokens, logging, sources, privacy, sms, whatsapp, replies, clusters, analytics, retention, "
              "cluster)");
  ExpectIssue("server:\n  port: 80\n", 2,
              "server.port: unknown key (expected one of: listen, max_body_bytes, io_threads, "
              "max_body_bytes_in_flight, max_connections, max_connections_per_ip, "
              "idle_timeout_seconds, header_timeout_seconds, body_timeout_seconds, export_threads, "
              "max_exports_per_token, tls)");
  ExpectIssue(std::string(kContact) + "        secrett: x\n", 8,
              "contacts[0].channels[0].secrett: unknown key (expected one of: type, url, secret, "
              "secret_env)");
}

TEST_F(ConfigTest, ClassifierModels) {
  auto none = Load("classifier: {}\n");
  ASSERT_OK(none);
  EXPECT_TRUE(none->classifier.models.empty());
  auto config = Load(
      "classifier:\n"
      "  models:\n"
      "    - {dir: models/rumour, label: rumour, weight: 4, min_probability: 0.7, "
      "category: rumour_model}\n"
      "    - {dir: /abs/hate, label: hate, category: hate_model}\n");
  ASSERT_OK(config);
  ASSERT_EQ(config->classifier.models.size(), 2u);
  const ModelConfig& m = config->classifier.models[0];
  EXPECT_EQ(m.dir, (dir_.path() / "models/rumour").string());  // relative to the config file
  EXPECT_EQ(m.label, "rumour");
  EXPECT_EQ(m.weight, 4);
  EXPECT_EQ(m.min_probability, 0.7);
  EXPECT_EQ(m.category, "rumour_model");
  EXPECT_EQ(m.origin, path_ + ":3");
  EXPECT_EQ(config->classifier.models[1].dir, "/abs/hate");
  EXPECT_EQ(config->classifier.models[1].weight, 1);
  EXPECT_EQ(config->classifier.models[1].min_probability, 0.5);

  ExpectIssue("classifier:\n  models:\n    - {dir: m, label: r, category: c, wieght: 2}\n", 3,
              "classifier.models[0].wieght: unknown key (expected one of: dir, label, category, "
              "weight, min_probability)");
  ExpectIssue("classifier:\n  models:\n    - {dir: m, category: c}\n", 3,
              "classifier.models[0].label: required");
  ExpectIssue("classifier:\n  models:\n    - {dir: m, label: r, category: c, "
              "min_probability: 1.5}\n",
              3,
              "classifier.models[0].min_probability: must be between 0.000000 and 1.000000, "
              "got 1.5");
  ExpectIssue("classifier:\n  models: {dir: m}\n", 2,
              "classifier.models: expected a list of models");
}

TEST_F(ConfigTest, DuplicateYamlKey) {
  ExpectIssue("logging:\n  level: info\n  level: debug\n", 3, "logging.level: duplicate key");
}

TEST_F(ConfigTest, WrongShapes) {
  ExpectIssue("- a\n", 1, "(top level): expected a mapping of keys");
  ExpectIssue("server: 8080\n", 1, "server: expected a mapping of keys");
  ExpectIssue("contacts: {id: x}\n", 1, "contacts: expected a list of contacts");
  ExpectIssue("tokens: abc\n", 1, "tokens: expected a list of tokens");
}

TEST_F(ConfigTest, SyntaxErrorIsOneIssueWithLine) {
  auto lines = IssueLines("server:\n  listen: [1\nlogging: {\n");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_THAT(lines[0], ::testing::StartsWith(path_ + ":"));
  EXPECT_THAT(lines[0], HasSubstr("YAML syntax error"));
  auto tab = IssueLines("server:\n  listen: 1.2.3.4:5\n io_threads: 2\n");
  ASSERT_EQ(tab.size(), 1u);
  EXPECT_THAT(tab[0], ::testing::StartsWith(path_ + ":3: YAML syntax error"));
}

TEST_F(ConfigTest, UnknownChannelType) {
  ExpectIssue(R"yaml(server:
  listen: 127.0.0.1:8080
contacts:
  - id: a
    areas: [KG]
    channels:
      - type: webhook
        url: http://x/
        secret: k
  - id: b
    areas: [KG]
    channels:
      - type: pigeon
)yaml",
              13,
              "contacts[1].channels[0].type: unknown channel type 'pigeon' (expected: sms, telegram, email, webhook)");
}

TEST_F(ConfigTest, ContactNeedsChannelsAndAreas) {
  ExpectIssue("contacts:\n  - id: a\n    areas: [KG]\n", 2,
              "contacts[0].channels: a contact needs at least one channel");
  ExpectIssue("contacts:\n  - id: a\n    areas: [KG]\n    channels: []\n", 4,
              "contacts[0].channels: a contact needs at least one channel");
  ExpectIssue(
      "contacts:\n  - id: a\n    areas: []\n    channels: [{type: webhook, url: "
      "'http://h', secret: k}]\n",
      3, "contacts[0].areas: a contact needs at least one area");
  ExpectIssue(
      "contacts:\n  - name: a\n    areas: [KG]\n    channels: [{type: webhook, url: "
      "'http://h', secret: k}]\n",
      2, "contacts[0].id: required");
}

TEST_F(ConfigTest, DuplicateContactIds) {
  ExpectIssue(R"yaml(contacts:
  - id: a
    areas: [KG]
    channels: [{type: webhook, url: "http://h", secret: k}]
  - id: a
    areas: [KG]
    channels: [{type: webhook, url: "http://h", secret: k}]
)yaml",
              5, "contacts[1].id: duplicate contact id 'a' (first defined at " + path_ + ":2)");
}

TEST_F(ConfigTest, ContactLanguage) {
  ExpectIssue(std::string(kContact) + "    language: de\n", 8,
              "contacts[0].language: unknown language 'de' (expected: ky, ru, uz, en)");
}

TEST_F(ConfigTest, WebhookUrl) {
  auto with_url = [](const std::string& url) {
    return "contacts:\n  - id: a\n    areas: [KG]\n    channels:\n      - type: webhook\n"
           "        url: \"" +
           url + "\"\n        secret: k\n";
  };
  ExpectIssue(with_url("ftp://host/x"), 6,
              "contacts[0].channels[0].url: url must start with http:// or https://, got "
              "'ftp://host/x'");
  ExpectIssue(with_url("http:///path"), 6,
              "contacts[0].channels[0].url: url has no host: 'http:///path'");
  ExpectIssue(with_url("https://"), 6, "contacts[0].channels[0].url: url has no host: 'https://'");
  ExpectIssue(with_url("http://h:0/"), 6,
              "contacts[0].channels[0].url: url has an invalid port in 'http://h:0/'");
  ExpectIssue(
      "contacts:\n  - id: a\n    areas: [KG]\n    channels:\n      - type: webhook\n"
      "        secret: k\n",
      5, "contacts[0].channels[0].url: required for a webhook channel");
  EXPECT_OK(Load(with_url("http://user@host:8080/p#f")));
}

TEST_F(ConfigTest, WebhookSecret) {
  const std::string head =
      "contacts:\n  - id: a\n    areas: [KG]\n    channels:\n      - type: webhook\n"
      "        url: http://h/\n";
  ExpectIssue(head, 5,
              "contacts[0].channels[0].secret: a webhook channel needs secret or secret_env (the "
              "HMAC signing key)");
  ExpectIssue(head + "        secret: a\n        secret_env: SAKCHY_WEBHOOK_CONFIG_TEST_SECRET\n", 8,
              "contacts[0].channels[0].secret_env: give either secret or secret_env, not both");
  ExpectIssue(head + "        secret_env: SAKCHY_WEBHOOK_CONFIG_TEST_UNSET\n", 7,
              "contacts[0].channels[0].secret_env: environment variable "
              "SAKCHY_WEBHOOK_CONFIG_TEST_UNSET is not set");
  ASSERT_EQ(setenv(kSecretEnv, "", 1), 0);
  ExpectIssue(head + "        secret_env: SAKCHY_WEBHOOK_CONFIG_TEST_SECRET\n", 7,
              "contacts[0].channels[0].secret_env: environment variable "
              "SAKCHY_WEBHOOK_CONFIG_TEST_SECRET is empty");
  // Only SAKCHY_WEBHOOK_* names, and the same answer whether the variable exists or not.
  ASSERT_EQ(setenv("SAKCHY_KANNEL_SECRET_FOR_CONFIG_TEST", "a-secret-0123456789", 1), 0);
  for (const char* name : {"SAKCHY_KANNEL_SECRET_FOR_CONFIG_TEST", "HOME", "NO_SUCH_VARIABLE_X",
                           "SAKCHY_WEBHOOK_"}) {
    ExpectIssue(head + "        secret_env: " + name + "\n", 7,
                "contacts[0].channels[0].secret_env: must name an environment variable whose "
                "name starts with SAKCHY_WEBHOOK_ (e.g. SAKCHY_WEBHOOK_OSH_DUTY)");
  }
  ExpectIssue(head + "        secret: \"\"\n", 7,
              "contacts[0].channels[0].secret: must not be empty");
}

// Webhooks never point inside: loopback, private, link-local, metadata addresses and numeric
// spellings of them are refused unless alerts.allow_private_targets lists them.
TEST_F(ConfigTest, WebhookToAnInternalAddressIsRefused) {
  auto with_url = [](const std::string& url, const std::string& allow = "") {
    return "alerts:\n  allow_private_targets: [" + allow +
           "]\ncontacts:\n  - id: a\n    areas: [KG]\n    channels:\n      - type: webhook\n"
           "        url: \"" + url + "\"\n        secret: k\n";
  };
  for (const char* url : {"http://127.0.0.1:8099/hook", "http://169.254.169.254/latest",
                          "http://10.0.0.1/", "http://[::1]/", "http://0x7f000001/",
                          "http://2130706433/", "http://[::ffff:127.0.0.1]/", "http://localhost/",
                          "https://192.168.1.10/x", "http://[fe80::1]/", "http://[fd00::1]/",
                          "http://0.0.0.0/", "http://224.0.0.1/"}) {
    auto config = Load(with_url(url));
    ASSERT_FALSE(config.has_value()) << url;
    EXPECT_THAT(config.error().message, ::testing::HasSubstr("url points to an internal address"))
        << url;
  }
  auto loopback = Load(with_url("http://127.0.0.1:8099/hook"));
  ASSERT_FALSE(loopback.has_value());
  EXPECT_THAT(loopback.error().message,
              ::testing::HasSubstr("127.0.0.1 is a loopback address (not in allow_private_targets)"));
  EXPECT_OK(Load(with_url("http://127.0.0.1:8099/hook", "127.0.0.1/32")));
  EXPECT_OK(Load(with_url("http://0x7f000001:8099/hook", "127.0.0.0/8")));
  EXPECT_OK(Load(with_url("https://hooks.example.org/x")));
  EXPECT_OK(Load(with_url("https://93.184.216.34/x")));
  EXPECT_OK(Load(with_url("https://[2a00:1450:4001:80b::200e]/x")));  // IPv6 without a port
  ExpectIssue(with_url("https://hooks.example.org/x", "localhost"), 2,
              "alerts.allow_private_targets: 'localhost' is not an address or CIDR range (e.g. "
              "127.0.0.1/32, 10.0.0.0/8, ::1/128)");
}

TEST_F(ConfigTest, TokenErrors) {
  const std::string sha = Sha256Hex("x");
  ExpectIssue("tokens:\n  - {name: a, role: root, sha256: " + sha + "}\n", 2,
              "tokens[0].role: unknown role 'root' (expected: monitor, analyst, admin, official)");
  ExpectIssue("tokens:\n  - {name: a, role: admin, sha256: abc}\n", 2,
              "tokens[0].sha256: must be 64 hex characters (the SHA-256 of the token: echo -n "
              "TOKEN | sha256sum), got 3 characters");
  ExpectIssue("tokens:\n  - {name: a, role: admin, sha256: " + std::string(64, 'g') + "}\n", 2,
              "tokens[0].sha256: must be 64 hex characters (the SHA-256 of the token: echo -n "
              "TOKEN | sha256sum), got 64 characters");
  ExpectIssue("tokens:\n  - {name: a, role: admin, sha256: " + sha +
                  "}\n  - {name: a, role: "
                  "monitor, sha256: " +
                  sha + "}\n",
              3, "tokens[1].name: duplicate token name 'a' (first defined at " + path_ + ":2)");
  ExpectIssue("tokens:\n  - {role: admin, sha256: " + sha + "}\n", 2, "tokens[0].name: required");
}

TEST_F(ConfigTest, TokenHashIsLowerCased) {
  std::string upper = Sha256Hex("x");
  for (auto& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  auto config = Load("tokens:\n  - {name: a, role: analyst, sha256: " + upper + "}\n");
  ASSERT_OK(config);
  EXPECT_EQ(config->tokens[0].sha256, Sha256Hex("x"));
  EXPECT_EQ(config->tokens[0].role, Role::kAnalyst);
}

TEST_F(ConfigTest, LoggingValues) {
  ExpectIssue("logging:\n  level: verbose\n", 2,
              "logging.level: unknown log level 'verbose' (expected: trace, debug, info, warn, "
              "error)");
  ExpectIssue("logging:\n  format: xml\n", 2,
              "logging.format: unknown log format 'xml' (expected: text, json)");
}

TEST_F(ConfigTest, EveryIssueIsReported) {
  auto lines = IssueLines(R"yaml(server:
  listen: nowhere
  io_threads: 0
alerts:
  min_severity: loud
logging:
  level: loud
extra: 1
)yaml");
  EXPECT_EQ(lines, (std::vector<std::string>{
                       path_ + ":2: server.listen: expected host:port, got 'nowhere'",
                       path_ + ":3: server.io_threads: must be between 1 and 1024, got 0",
                       path_ + ":5: alerts.min_severity: unknown severity 'loud' (expected: info, "
                               "low, medium, high, critical)",
                       path_ + ":7: logging.level: unknown log level 'loud' (expected: trace, "
                               "debug, info, warn, error)",
                       path_ + ":8: extra: unknown key (expected one of: server, storage, "
                               "pipeline, classifier, alerts, contacts, tokens, logging, "
                               "sources, privacy, sms, whatsapp, replies, clusters, analytics, retention, "
                               "cluster)",
                   }));
}

TEST_F(ConfigTest, PathResolution) {
  auto config = Load(
      "storage:\n  data_dir: data\nclassifier:\n  rules: /opt/rules\n"
      "  areas: ../shared/areas.yaml\n");
  ASSERT_OK(config);
  EXPECT_EQ(config->storage.data_dir, (dir_.path() / "data").string());
  EXPECT_EQ(config->classifier.rules_dir, "/opt/rules");
  EXPECT_EQ(config->classifier.areas_file, (dir_.path() / "../shared/areas.yaml").string());
}

TEST_F(ConfigTest, MissingFileIsNotFound) {
  auto config = LoadConfigFile((dir_.path() / "none.yaml").string());
  ASSERT_FALSE(config.has_value());
  EXPECT_EQ(config.error().code, ErrorCode::kNotFound);
}

TEST(DefaultConfigTest, LoadsEmbeddedDefaultWithDemoContact) {
  ASSERT_EQ(setenv(kDemoSecretEnv, "demo-secret-for-tests", 1), 0);
  auto config = LoadDefaultConfig();
  ASSERT_OK(config);
  EXPECT_EQ(config->source, "embedded:sakchy.yaml");
  EXPECT_EQ(config->server.listen_host, "127.0.0.1");
  EXPECT_EQ(config->server.listen_port, 8080);
  EXPECT_EQ(config->classifier.rules_dir, "embedded:rules");
  EXPECT_EQ(config->classifier.areas_file, "embedded:areas.yaml");
  EXPECT_EQ(config->storage.data_dir, "./var/data");  // relative to the working directory
  EXPECT_EQ(config->alerts.min_severity, Severity::kHigh);
  ASSERT_EQ(config->contacts.size(), 1u);
  const Contact& demo = config->contacts[0];
  EXPECT_EQ(demo.id, "demo-osh-duty");
  EXPECT_EQ(demo.areas, (std::vector<AreaCode>{"KG-O", "KG-GO"}));
  EXPECT_EQ(demo.min_severity, Severity::kHigh);
  EXPECT_THAT(demo.origin, ::testing::StartsWith("embedded:sakchy.yaml:"));
  ASSERT_EQ(demo.channels.size(), 1u);
  EXPECT_EQ(demo.channels[0].type, "webhook");
  EXPECT_EQ(demo.channels[0].address, "http://127.0.0.1:8099/sakchy-alerts");
  EXPECT_EQ(demo.channels[0].secret, "demo-secret-for-tests");
  EXPECT_TRUE(config->tokens.empty());
}

TEST(DefaultConfigTest, MissingDemoSecretNamesTheVariable) {
  ASSERT_EQ(unsetenv(kDemoSecretEnv), 0);
  auto config = LoadDefaultConfig();
  ASSERT_FALSE(config.has_value());
  EXPECT_THAT(
      config.error().message,
      ::testing::MatchesRegex("embedded:sakchy.yaml:[0-9]+: contacts\\[0\\]\\.channels\\[0\\]"
                              "\\.secret_env: environment variable "
                              "SAKCHY_WEBHOOK_DEMO_SECRET is not set"));
}

TEST(RoleTest, NamesRoundTrip) {
  for (Role r : {Role::kMonitor, Role::kAnalyst, Role::kAdmin, Role::kOfficial}) {
    auto parsed = ParseRole(RoleName(r));
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(*parsed, r);
  }
  EXPECT_EQ(RoleName(Role::kAnalyst), "analyst");
  EXPECT_FALSE(ParseRole("Admin").has_value());
  EXPECT_FALSE(ParseRole("").has_value());
}

TEST(EnvTokensTest, AddsHashedTokensWithNames) {
  Config config;
  config.tokens.push_back({"env-monitor-1", Role::kMonitor, Sha256Hex("existing")});
  ASSERT_OK(AddTokensFromEnv(
      " monitor:monitor-token-0001, analyst:analyst-token-0001,monitor:monitor-token-0002,",
      config));
  ASSERT_EQ(config.tokens.size(), 4u);
  EXPECT_EQ(config.tokens[1].name, "env-monitor-2");
  EXPECT_EQ(config.tokens[1].role, Role::kMonitor);
  EXPECT_EQ(config.tokens[1].sha256, Sha256Hex("monitor-token-0001"));
  EXPECT_EQ(config.tokens[2].name, "env-analyst-1");
  EXPECT_EQ(config.tokens[2].role, Role::kAnalyst);
  EXPECT_EQ(config.tokens[2].sha256, Sha256Hex("analyst-token-0001"));
  EXPECT_EQ(config.tokens[3].name, "env-monitor-3");
  EXPECT_EQ(config.tokens[3].sha256, Sha256Hex("monitor-token-0002"));
}

TEST(EnvTokensTest, EmptySpecAddsNothing) {
  Config config;
  ASSERT_OK(AddTokensFromEnv("", config));
  EXPECT_TRUE(config.tokens.empty());
}

TEST(EnvTokensTest, BadEntriesAreReportedWithoutTokensAndNothingIsAdded) {
  Config config;
  const std::string spec =
      "admin:admin-token-000001,root:secret-root-token-1,monitor:,analyst:short-tok,"
      "no-colon-secret-token";
  auto status = AddTokensFromEnv(spec, config);
  ASSERT_FALSE(status.has_value());
  EXPECT_EQ(status.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(status.error().message,
            "SAKCHY_TOKENS entry 2: unknown role 'root' (expected: monitor, analyst, admin, "
            "official@AREA+AREA)\n"
            "SAKCHY_TOKENS entry 3: empty token for role monitor\n"
            "SAKCHY_TOKENS entry 4: token for role analyst is too short (min 16 characters)\n"
            "SAKCHY_TOKENS entry 5: expected role:token (roles: monitor, analyst, admin, "
            "official@AREA+AREA)");
  for (const char* token :
       {"admin-token-000001", "secret-root-token-1", "short-tok", "no-colon-secret-token"}) {
    EXPECT_THAT(status.error().message, Not(HasSubstr(token)));
  }
  EXPECT_TRUE(config.tokens.empty());
}

TEST(EnvTokensTest, OfficialsNameTheirAreas) {
  Config config;
  ASSERT_OK(AddTokensFromEnv("official@KG-O+KG-GO:official-token-0001,official@KG-N:official-token-2x",
                             config));
  ASSERT_EQ(config.tokens.size(), 2u);
  EXPECT_EQ(config.tokens[0].name, "env-official-1");
  EXPECT_EQ(config.tokens[0].role, Role::kOfficial);
  EXPECT_EQ(config.tokens[0].areas, (std::vector<AreaCode>{"KG-O", "KG-GO"}));
  EXPECT_EQ(config.tokens[0].origin, "SAKCHY_TOKENS entry 1");
  EXPECT_EQ(config.tokens[1].name, "env-official-2");
  EXPECT_EQ(config.tokens[1].areas, (std::vector<AreaCode>{"KG-N"}));
}

TEST(EnvTokensTest, OfficialAreaMistakesAreReported) {
  Config config;
  auto status = AddTokensFromEnv(
      "official:official-token-0001,analyst@KG-O:analyst-token-0001,official@KG-O+:official-token-2x,"
      "official@:official-token-3x",
      config);
  ASSERT_FALSE(status.has_value());
  EXPECT_EQ(status.error().message,
            "SAKCHY_TOKENS entry 1: an official token needs its areas: official@KG-O+KG-GO:TOKEN\n"
            "SAKCHY_TOKENS entry 2: only official tokens name areas ('analyst@...' is not allowed)\n"
            "SAKCHY_TOKENS entry 3: empty area code in 'official@KG-O+' (expected "
            "official@KG-O+KG-GO)\n"
            "SAKCHY_TOKENS entry 4: empty area code in 'official@' (expected official@KG-O+KG-GO)");
  EXPECT_THAT(status.error().message, Not(HasSubstr("official-token")));
  EXPECT_TRUE(config.tokens.empty());
}

TEST_F(ConfigTest, OfficialTokensNeedAreasOthersMustNotHaveThem) {
  const std::string sha(64, 'a');
  auto ok = Load("tokens:\n  - {name: aravan, role: official, sha256: " + sha +
                 ", areas: [KG-O-ARAVAN, KG-GO]}\n");
  ASSERT_OK(ok);
  ASSERT_EQ(ok->tokens.size(), 1u);
  EXPECT_EQ(ok->tokens[0].role, Role::kOfficial);
  EXPECT_EQ(ok->tokens[0].areas, (std::vector<AreaCode>{"KG-O-ARAVAN", "KG-GO"}));
  EXPECT_EQ(ok->tokens[0].origin, path_ + ":2");
  auto bad = Load("tokens:\n  - {name: a, role: official, sha256: " + sha + "}\n" +
                  "  - {name: b, role: analyst, sha256: " + sha + ", areas: [KG-O]}\n" +
                  "  - {name: c, role: official, sha256: " + sha + ", areas: []}\n");
  ASSERT_FALSE(bad.has_value());
  EXPECT_THAT(bad.error().message,
              HasSubstr(":2: tokens[0].areas: required for role official"));
  EXPECT_THAT(bad.error().message,
              HasSubstr(":3: tokens[1].areas: only tokens of role official have areas"));
  EXPECT_THAT(bad.error().message, HasSubstr(":4: tokens[2].areas: must name at least one area"));
}

TEST(ValidateAreasTest, UnknownOfficialAreaIsNamedWithOrigin) {
  auto tree = AreaTree::Parse(
      "areas:\n  - {code: KG, level: country}\n  - {code: KG-O, parent: KG, level: oblast}\n",
      "areas.yaml");
  ASSERT_OK(tree);
  Config config;
  ASSERT_OK(AddTokensFromEnv("official@KG-O+KG-Q:official-token-0001", config));
  auto status = ValidateAreas(config, *tree);
  ASSERT_FALSE(status.has_value());
  EXPECT_EQ(status.error().message,
            "SAKCHY_TOKENS entry 1: tokens[0].areas: unknown area code 'KG-Q' (token "
            "'env-official-1')");
}

TEST(ValidateAreasTest, UnknownContactAreaIsNamedWithOrigin) {
  auto tree = AreaTree::Parse(
      "areas:\n  - {code: KG, level: country}\n  - {code: KG-O, parent: KG, level: oblast}\n",
      "areas.yaml");
  ASSERT_OK(tree);
  Config config;
  config.contacts.push_back(Contact{});
  config.contacts[0].areas = {"KG-O"};
  config.contacts[0].origin = "my.yaml:3";
  config.contacts.push_back(Contact{});
  config.contacts[1].areas = {"KG", "KG-Z", "KG-Y"};
  config.contacts[1].origin = "my.yaml:9";
  auto status = ValidateAreas(config, *tree);
  ASSERT_FALSE(status.has_value());
  EXPECT_EQ(status.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(status.error().message,
            "my.yaml:9: contacts[1].areas: unknown area code 'KG-Z'\n"
            "my.yaml:9: contacts[1].areas: unknown area code 'KG-Y'");
  config.contacts.pop_back();
  EXPECT_OK(ValidateAreas(config, *tree));
}

}  // namespace
}  // namespace sakchy::config::config_test

// The command line of `sakchy`: one CLI11 App with a subcommand per command (`--opt value` and
// `--opt=value`, exclusive and required options declared, generated `--help` per command;
// unknown options and commands are usage errors, exit status 2). This file has the service's
// own commands; the client commands are in client_cli.cc, `model ...` in model_cli.cc.

#include <CLI/CLI.hpp>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "classifier/classifier.h"
#include "classifier/with_models.h"
#include "classify_stream.h"
#include "cli_commands.h"
#include "config/areas.h"
#include "config/config.h"
#include "core/time.h"
#include "core/version.h"
#include "model_loading.h"
#include "service/backup.h"
#include "service/service.h"

namespace sakchy::service {
namespace {

constexpr const char* kDescription = "sakchy — early warning of rumours and misinformation";

constexpr const char* kFooter = R"(Client commands (report, import, export, alerts, ack) talk to a running service: --url
http://HOST:PORT (default $SAKCHY_URL or http://127.0.0.1:8080), the token in SAKCHY_TOKEN.
Options also as --opt=value; `sakchy COMMAND --help` lists a command's options.

Environment:
  SAKCHY_TOKEN, SAKCHY_URL   the client commands' token and service
  SAKCHY_ADMIN_TOKEN         the admin token of `sakchy backup --url`
  SAKCHY_TOKENS="monitor:TOKEN1,analyst:TOKEN2,admin:TOKEN3,official@KG-O+KG-GO:TOKEN4"
      API tokens added at start-up (at least 16 characters each; stored only as SHA-256);
      an official token sees only the areas named after '@' (joined by '+').
Exit status: 0 ok, 1 failed (configuration, rules, the service refused), 2 usage.)";

constexpr const char* kServeFooter = R"(Without --config it runs the bundled default (demo mode): embedded config, rules and Kyrgyz
areas, data under ./var/data, demo tokens generated once and kept in ./var/demo-secrets.
Stops cleanly on SIGINT/SIGTERM: stops accepting, drains the queue, flushes, exits 0.)";

constexpr const char* kConfigFooter = R"(Validates FILE (YAML), the areas file and the rules it points at, and the contacts' areas.
Prints "FILE: OK ..." and exits 0, or prints every problem as file:line: field: problem and
exits 1.)";

constexpr const char* kRulesFooter = R"(Loads every *.yaml rule file in DIR, compiles it together with the place names of the areas
(default: the bundled Kyrgyz areas) and runs every rule's match/no_match examples.
Prints "DIR: OK ..." and exits 0, or prints every problem as file:line: rule <id>: problem
and exits 1.)";

constexpr const char* kClassifyFooter = R"(Reads in.ndjson from standard input, writes out.ndjson to standard output.
Scores texts offline with the rules in DIR and, with --model, learned models beside them (each
model's probability of its positive label p adds WEIGHT × p to the score when p >= 0.5, and the
model's task as a category; WEIGHT defaults to 1). Input: one JSON object per line with a "text"
string. Output: one JSON object per line:
  {"line":1,"score":..,"severity":"..","rules_score":..,"language":"ky|ru|uz|en|unknown",
   "categories":[..],"area":..,"matches":[{"rule_id","category","term","begin","end","excerpt"}],
   "places":[..],"models":[{"model","version","probability","contribution"}],"input":{..}}
or {"line":N,"error":"..."} for a line that cannot be read. Offsets are UTF-8 byte offsets.)";

constexpr const char* kBackupFooter = R"(Adds a backup of the database to DIR (RocksDB BackupEngine: checksummed, incremental: a second
backup into the same DIR copies only new files). Shows progress on stderr. With --url, DIR is a
path on the service's machine and the admin token is read from SAKCHY_ADMIN_TOKEN.)";

constexpr const char* kRestoreFooter = R"(Restores the latest backup in DIR into the data directory (of --config's storage.data_dir, or
--data-dir, default ./var/data) after verifying its checksums. The service must be stopped.
Without --force a data directory that is not empty is refused and left as it is. The backup is
restored beside it first and renamed into place only when complete.)";

constexpr const char* kBundledAreas = "embedded:areas.yaml";

int ConfigCheck(const std::string& path) {
  auto cfg = config::LoadConfigFile(path);
  if (!cfg) {
    std::fprintf(stderr, "%s\n", cfg.error().message.c_str());
    return 1;
  }
  auto areas = config::AreaTree::Load(cfg->classifier.areas_file);
  if (!areas) {
    std::fprintf(stderr, "%s\n", areas.error().message.c_str());
    return 1;
  }
  if (auto s = config::ValidateAreas(*cfg, *areas); !s) {
    std::fprintf(stderr, "%s\n", s.error().message.c_str());
    return 1;
  }
  auto rules = classifier::Classifier::Load(cfg->classifier.rules_dir, *areas,
                                            SystemClock::Instance().NowMs());
  if (!rules) {
    std::fprintf(stderr, "%s\n", rules.error().message.c_str());
    return 1;
  }
  auto models = LoadModels(cfg->classifier.models);
  if (!models) {
    std::fprintf(stderr, "%s\n", models.error().message.c_str());
    return 1;
  }
  std::printf("%s: OK (%zu areas, %zu rules, %zu models, %zu contacts, %zu tokens)\n",
              path.c_str(), areas->areas().size(), (*rules)->info().rule_count, models->size(),
              cfg->contacts.size(), cfg->tokens.size());
  return 0;
}

Result<std::shared_ptr<const classifier::Classifier>> LoadRulesForCli(
    const std::string& dir, const std::string& areas_path, config::AreaTree* areas_out) {
  auto areas = config::AreaTree::Load(areas_path);
  if (!areas) return tl::unexpected(areas.error());
  *areas_out = std::move(*areas);
  return classifier::Classifier::Load(dir, *areas_out, SystemClock::Instance().NowMs());
}

int RulesCheck(const std::string& dir, const std::string& areas_path) {
  config::AreaTree areas;
  auto rules = LoadRulesForCli(dir, areas_path, &areas);
  if (!rules) {
    std::fprintf(stderr, "%s\n", rules.error().message.c_str());
    return 1;
  }
  const auto& info = (*rules)->info();
  std::printf("%s: OK (%zu rules, %zu terms, %zu place patterns, %zu files, version %s)\n",
              dir.c_str(), info.rule_count, info.term_count, info.place_pattern_count,
              info.files.size(), info.version.substr(0, 16).c_str());
  return 0;
}

// "DIR" or "DIR:WEIGHT" of `sakchy classify --model`.
Result<classifier::ModelUse> LoadModelForCli(const std::string& spec) {
  std::string dir = spec;
  double weight = 1;
  if (const auto colon = spec.rfind(':'); colon != std::string::npos && colon > 0) {
    char* end = nullptr;
    const std::string w = spec.substr(colon + 1);
    const double parsed = std::strtod(w.c_str(), &end);
    if (!w.empty() && *end == '\0') {
      dir = spec.substr(0, colon);
      weight = parsed;
    }
  }
  auto model = classifier::Model::Load(dir);
  if (!model) return tl::unexpected(model.error());
  const std::string category = (*model)->card().task;
  return classifier::ModelUse{std::move(*model), weight, 0.5, category};
}

struct ClassifyArgs {
  std::string rules_dir, areas_path = kBundledAreas;
  std::vector<std::string> model_specs;
};

int Classify(const ClassifyArgs& a) {
  const std::string& dir = a.rules_dir;
  const std::string& areas_path = a.areas_path;
  const std::vector<std::string>& model_specs = a.model_specs;
  config::AreaTree areas;
  auto rules = LoadRulesForCli(dir, areas_path, &areas);
  if (!rules) {
    std::fprintf(stderr, "%s\n", rules.error().message.c_str());
    return 1;
  }
  std::vector<classifier::ModelUse> models;
  for (const auto& spec : model_specs) {
    auto use = LoadModelForCli(spec);
    if (!use) {
      std::fprintf(stderr, "%s\n", use.error().message.c_str());
      return 1;
    }
    models.push_back(std::move(*use));
  }
  return ClassifyStream(*classifier::WithModels(*rules, std::move(models)), stdin, stdout);
}

void AddServe(CLI::App& app, CliActions& actions) {
  struct Args {
    std::string config, listen, data_dir;
    ServeOptions options;
  };
  auto a = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("serve", "run the service");
  cmd->footer(kServeFooter);
  auto* config = cmd->add_option("--config", a->config,
                                 "YAML config (default: the bundled demo config)");
  config->type_name("FILE");
  auto* listen = cmd->add_option("--listen", a->listen,
                                 "listen address (overrides server.listen; port 0 = any free port)");
  listen->type_name("HOST:PORT");
  auto* data_dir =
      cmd->add_option("--data-dir", a->data_dir, "RocksDB directory (overrides storage.data_dir)");
  data_dir->type_name("DIR");
  cmd->add_option("--log-format", a->options.log_format,
                  "text (default) or json (one JSON object per line on stderr)")
      ->type_name("FORMAT")
      ->check(CLI::IsMember({"text", "json"}));
  cmd->add_option("--log-level", a->options.log_level,
                  "trace, debug, info (default), warn, error, critical, off")
      ->type_name("LEVEL")
      ->check(CLI::IsMember(
          {"trace", "debug", "info", "warn", "warning", "error", "err", "critical", "off"}));
  actions.On(cmd, [a, config, listen, data_dir] {
    if (config->count() > 0) a->options.config_path = a->config;
    if (listen->count() > 0) a->options.listen = a->listen;
    if (data_dir->count() > 0) a->options.data_dir = a->data_dir;
    return Serve(a->options);
  });
}

void AddConfigAndRules(CLI::App& app, CliActions& actions) {
  auto* config = app.add_subcommand("config", "check a configuration");
  config->require_subcommand(1, 1);
  auto config_file = std::make_shared<std::string>();
  auto* check = config->add_subcommand("check", "validate a config file, its areas, contacts and rules");
  check->footer(kConfigFooter);
  check->add_option("file", *config_file, "the YAML config")->type_name("FILE")->required();
  actions.On(check, [config_file] { return ConfigCheck(*config_file); });

  auto* rules = app.add_subcommand("rules", "check rules");
  rules->require_subcommand(1, 1);
  struct RulesArgs {
    std::string dir, areas = kBundledAreas;
  };
  auto r = std::make_shared<RulesArgs>();
  auto* rules_check = rules->add_subcommand(
      "check", "compile every rule file in DIR with the areas and run the rules' examples");
  rules_check->footer(kRulesFooter);
  rules_check->add_option("dir", r->dir, "the rules directory")->type_name("DIR")->required();
  rules_check->add_option("--areas", r->areas, "the areas file")
      ->type_name("FILE")
      ->capture_default_str();
  actions.On(rules_check, [r] { return RulesCheck(r->dir, r->areas); });
}

void AddClassify(CLI::App& app, CliActions& actions) {
  auto a = std::make_shared<ClassifyArgs>();
  auto* cmd = app.add_subcommand(
      "classify", "offline scoring of NDJSON texts from standard input to standard output");
  cmd->footer(kClassifyFooter);
  cmd->add_option("--rules", a->rules_dir, "the rules directory")->type_name("DIR")->required();
  cmd->add_option("--areas", a->areas_path, "the areas file")
      ->type_name("FILE")
      ->capture_default_str();
  cmd->add_option("--model", a->model_specs,
                  "a learned model and its weight (default 1); repeat for more")
      ->type_name("DIR[:WEIGHT]")
      ->allow_extra_args(false);
  actions.On(cmd, [a] { return Classify(*a); });
}

void AddBackupAndRestore(CLI::App& app, CliActions& actions) {
  struct Args {
    std::string dir;
    DataDirChoice where;
    bool force = false;
  };
  auto b = std::make_shared<Args>();
  auto* backup = app.add_subcommand("backup", "add a backup of the database to DIR, with progress");
  backup->footer(kBackupFooter);
  backup->add_option("dir", b->dir, "the backup directory")->type_name("DIR")->required();
  auto* url = backup->add_option("--url", b->where.url,
                                 "back up a RUNNING service through POST /v1/admin/backup");
  auto* config = backup->add_option("--config", b->where.config,
                                    "back up the stopped service's storage.data_dir")
                     ->type_name("FILE");
  auto* data_dir = backup->add_option("--data-dir", b->where.data_dir,
                                      "back up this stopped data directory (default ./var/data)")
                       ->type_name("DIR");
  url->excludes(config)->excludes(data_dir);
  config->excludes(data_dir);
  actions.On(backup, [b] { return BackupCommand(b->dir, b->where); });

  auto r = std::make_shared<Args>();
  auto* restore = app.add_subcommand(
      "restore", "restore the latest backup in DIR into the (stopped) service's data directory");
  restore->footer(kRestoreFooter);
  restore->add_option("dir", r->dir, "the backup directory")->type_name("DIR")->required();
  auto* into_config = restore->add_option("--config", r->where.config,
                                          "restore into this config's storage.data_dir")
                          ->type_name("FILE");
  auto* into_dir = restore->add_option("--data-dir", r->where.data_dir,
                                       "restore into this data directory (default ./var/data)")
                       ->type_name("DIR");
  into_config->excludes(into_dir);
  restore->add_flag("--force", r->force,
                    "replace a directory that is not empty (moved aside to "
                    "DATA_DIR.replaced-<UTC time>, not deleted)");
  actions.On(restore, [r] { return RestoreCommand(r->dir, r->where, r->force); });
}

// The error CLI11 found, prefixed by the command that was being parsed ("sakchy model train: ...").
// Where a command belongs (`sakchy frob`, `sakchy model tran`, `sakchy --frob`) the word is named
// rather than CLI11's "A subcommand is required".
std::string FailureMessage(const CLI::App* app, const CLI::Error& e) {
  std::string name = "sakchy";
  for (auto subs = app->get_subcommands(); !subs.empty(); subs = subs.front()->get_subcommands()) {
    name += " " + subs.front()->get_name();
    app = subs.front();
  }
  const auto rest = app->remaining();
  if (app->get_require_subcommand_min() > 0 && app->get_subcommands().empty()) {
    if (!rest.empty()) {
      const bool option = rest.front().starts_with("-");
      return name + ": unknown " + (option ? "option" : "command") + " '" + rest.front() +
             "'\nRun `" + name + " --help` for the commands.\n";
    }
    std::string commands;
    for (const auto* sub : app->get_subcommands([](const CLI::App*) { return true; })) {
      commands += (commands.empty() ? "" : ", ") + sub->get_name();
    }
    return name + ": a command is required (" + commands + ")\nRun `" + name +
           " --help` for the commands.\n";
  }
  return name + ": " + e.what() + "\nRun `" + name + " --help` for the options.\n";
}

}  // namespace

int RunCli(int argc, char** argv) {
  CLI::App app{kDescription, "sakchy"};
  app.require_subcommand(1, 1);
  // An option given twice takes the last value (scripts and tests append an override, e.g. a
  // second --listen), as the hand-written parsers did; CLI11's default refuses it. Commands copy
  // the defaults when added, so this comes first. Repeatable options (--model) keep every value.
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.set_version_flag("--version", "sakchy " + std::string(kVersion), "print the version");
  app.failure_message(FailureMessage);
  CliActions actions;
  AddServe(app, actions);
  AddConfigAndRules(app, actions);
  AddClassify(app, actions);
  AddModelCommands(app, actions);
  AddBackupAndRestore(app, actions);
  AddClientCommands(app, actions);
  auto* version = app.add_subcommand("version", "print the version");
  actions.On(version, [] {
    std::printf("sakchy %s\n", std::string(kVersion).c_str());
    return 0;
  });
  app.footer(kFooter);  // after the commands: a subcommand copies its parent's footer when added
  if (argc < 2) {
    std::fputs(app.help().c_str(), stderr);
    return 2;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  return actions.RunChosen();
}

}  // namespace sakchy::service

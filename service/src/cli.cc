#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "classifier/classifier.h"
#include "config/areas.h"
#include "config/config.h"
#include "core/time.h"
#include "core/version.h"
#include "classifier/with_models.h"
#include "classify_stream.h"
#include "client_cli.h"
#include "model_cli.h"
#include "model_loading.h"
#include "service/backup.h"
#include "service/service.h"

namespace sakchy::service {
namespace {

constexpr const char* kUsage = R"(sakchy — early warning of rumours and misinformation

Usage:
  sakchy serve [--config FILE] [--listen HOST:PORT] [--data-dir DIR]
               [--log-format text|json] [--log-level LEVEL]
      Run the service. Without --config it runs the bundled default (demo mode):
      embedded config, rules and Kyrgyz areas, data under ./var/data, demo tokens
      generated once and kept in ./var/demo-secrets.
  sakchy config check FILE
      Validate a config file, its areas, contacts and rules; print every problem
      as file:line: field: problem and exit 1 if there is any.
  sakchy rules check DIR [--areas FILE]
      Load every rule file in DIR, compile it with the areas (default: the bundled
      Kyrgyz areas) and run every embedded example; exit 1 with file:line errors.
  sakchy classify --rules DIR [--areas FILE] [--model DIR[:WEIGHT]]... < in.ndjson > out.ndjson
      Offline scoring: each input line is {"text": "..."} (other fields are copied
      through under "input"); each output line has score, severity, categories,
      matches with offsets, places and area, the rules' score and each model's part.
  sakchy model train|eval|check|export-labels ...
      Learned scorers: train a fastText model with its model card on labelled NDJSON
      (cross-validated), evaluate it, check a model directory, export analysts' labels
      from a running service (docs/MODELS.md).
  sakchy backup DIR [--url URL | --config FILE | --data-dir DIR]
      Add a backup of the database to DIR, with progress. A running service is backed up
      through its API (--url http://HOST:PORT, admin token in SAKCHY_ADMIN_TOKEN); a stopped
      one by opening its data directory.
  sakchy restore DIR [--config FILE | --data-dir DIR] [--force]
      Restore the latest backup in DIR into the (stopped) service's data directory.
  sakchy report [TEXT...] [--area CODE] [--source-ref REF] [--observed-at TIME]
  sakchy import FILE.ndjson [--restart] [--batch N]
  sakchy export events.csv|areas.geojson [-o FILE] [--area CODE] [--from T] [--to T]
               [--severity S] [--category C] [--hxl | --no-bom]
  sakchy alerts [--unacked | --acked] [--state S] [--limit N] [--json]
  sakchy ack ID [--note TEXT]
      Client commands against a running service (--url http://HOST:PORT, default
      $SAKCHY_URL or http://127.0.0.1:8080; the token in SAKCHY_TOKEN). import sends
      FILE in batches with a progress bar, resumes after an interruption (FILE.progress)
      and never stores a line twice (each line gets a source_ref from its content).
      Options also as --opt=value; COMMAND --help lists them.
  sakchy version
  sakchy --help | sakchy COMMAND --help

Environment:
  SAKCHY_TOKEN, SAKCHY_URL   the client commands' token and service
  SAKCHY_TOKENS="monitor:TOKEN1,analyst:TOKEN2,admin:TOKEN3,official@KG-O+KG-GO:TOKEN4"
      API tokens added at start-up (at least 16 characters each; stored only as SHA-256);
      an official token sees only the areas named after '@' (joined by '+').
)";

constexpr const char* kServeUsage = R"(Usage: sakchy serve [options]
  --config FILE          YAML config (default: the bundled demo config)
  --listen HOST:PORT     listen address (overrides server.listen; port 0 = any free port)
  --data-dir DIR         RocksDB directory (overrides storage.data_dir)
  --log-format FORMAT    text (default) or json (one JSON object per line on stderr)
  --log-level LEVEL      trace, debug, info (default), warn, error
Stops cleanly on SIGINT/SIGTERM: stops accepting, drains the queue, flushes, exits 0.
)";

constexpr const char* kConfigUsage = R"(Usage: sakchy config check FILE
Validates FILE (YAML), the areas file and the rules it points at, and the contacts'
areas. Prints "FILE: OK ..." and exits 0, or prints every problem and exits 1.
)";

bool IsHelp(const char* a) { return !std::strcmp(a, "--help") || !std::strcmp(a, "-h"); }

int ServeCommand(const std::vector<std::string>& args) {
  ServeOptions opts;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](std::optional<std::string>& out) -> bool {
      if (i + 1 >= args.size()) {
        std::fprintf(stderr, "sakchy serve: %s needs a value\n", a.c_str());
        return false;
      }
      out = args[++i];
      return true;
    };
    std::optional<std::string> v;
    if (a == "--help" || a == "-h") {
      std::fputs(kServeUsage, stdout);
      return 0;
    } else if (a == "--config") {
      if (!value(opts.config_path)) return 2;
    } else if (a == "--listen") {
      if (!value(opts.listen)) return 2;
    } else if (a == "--data-dir") {
      if (!value(opts.data_dir)) return 2;
    } else if (a == "--log-format") {
      if (!value(v)) return 2;
      opts.log_format = *v;
    } else if (a == "--log-level") {
      if (!value(v)) return 2;
      opts.log_level = *v;
    } else {
      std::fprintf(stderr, "sakchy serve: unknown option '%s'\n%s", a.c_str(), kServeUsage);
      return 2;
    }
  }
  return Serve(opts);
}

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

constexpr const char* kRulesUsage = R"(Usage: sakchy rules check DIR [--areas FILE]
Loads every *.yaml rule file in DIR, compiles it together with the place names of the areas
(default: the bundled Kyrgyz areas) and runs every rule's match/no_match examples.
Prints "DIR: OK ..." and exits 0, or prints every problem as file:line: rule <id>: problem
and exits 1.
)";

constexpr const char* kClassifyUsage = R"(Usage: sakchy classify --rules DIR [--areas FILE] [--model DIR[:WEIGHT]]... < in.ndjson > out.ndjson
Scores texts offline with the rules in DIR and, with --model, learned models beside them (each
model's probability of its positive label p adds WEIGHT × p to the score when p >= 0.5, and the
model's task as a category; WEIGHT defaults to 1). Input: one JSON object per line with a "text"
string. Output: one JSON object per line:
  {"line":1,"score":..,"severity":"..","rules_score":..,"language":"ky|ru|uz|en|unknown",
   "categories":[..],"area":..,"matches":[{"rule_id","category","term","begin","end","excerpt"}],
   "places":[..],"models":[{"model","version","probability","contribution"}],"input":{..}}
or {"line":N,"error":"..."} for a line that cannot be read. Offsets are UTF-8 byte offsets.
)";

Result<std::shared_ptr<const classifier::Classifier>> LoadRulesForCli(
    const std::string& dir, const std::string& areas_path, config::AreaTree* areas_out) {
  auto areas = config::AreaTree::Load(areas_path);
  if (!areas) return tl::unexpected(areas.error());
  *areas_out = std::move(*areas);
  return classifier::Classifier::Load(dir, *areas_out, SystemClock::Instance().NowMs());
}

int RulesCommand(const std::vector<std::string>& args) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::fputs(kRulesUsage, args.empty() ? stderr : stdout);
    return args.empty() ? 2 : 0;
  }
  if (args[0] != "check") {
    std::fprintf(stderr, "sakchy rules: unknown subcommand '%s'\n%s", args[0].c_str(), kRulesUsage);
    return 2;
  }
  std::string dir, areas_path = "embedded:areas.yaml";
  for (size_t i = 1; i < args.size(); ++i) {
    if (args[i] == "--help" || args[i] == "-h") {
      std::fputs(kRulesUsage, stdout);
      return 0;
    } else if (args[i] == "--areas" && i + 1 < args.size()) {
      areas_path = args[++i];
    } else if (dir.empty() && args[i].rfind("--", 0) != 0) {
      dir = args[i];
    } else {
      std::fprintf(stderr, "sakchy rules check: unexpected argument '%s'\n%s", args[i].c_str(),
                   kRulesUsage);
      return 2;
    }
  }
  if (dir.empty()) {
    std::fputs(kRulesUsage, stderr);
    return 2;
  }
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

int ClassifyCommand(const std::vector<std::string>& args) {
  std::string dir, areas_path = "embedded:areas.yaml";
  std::vector<std::string> model_specs;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--help" || args[i] == "-h") {
      std::fputs(kClassifyUsage, stdout);
      return 0;
    } else if (args[i] == "--model" && i + 1 < args.size()) {
      model_specs.push_back(args[++i]);
    } else if (args[i] == "--rules" && i + 1 < args.size()) {
      dir = args[++i];
    } else if (args[i] == "--areas" && i + 1 < args.size()) {
      areas_path = args[++i];
    } else {
      std::fprintf(stderr, "sakchy classify: unexpected argument '%s'\n%s", args[i].c_str(),
                   kClassifyUsage);
      return 2;
    }
  }
  if (dir.empty()) {
    std::fputs(kClassifyUsage, stderr);
    return 2;
  }
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

}  // namespace

int RunCli(int argc, char** argv) {
  if (argc < 2 || IsHelp(argv[1])) {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  std::string cmd = argv[1];
  std::vector<std::string> rest(argv + 2, argv + argc);
  if (cmd == "serve") return ServeCommand(rest);
  if (cmd == "rules") return RulesCommand(rest);
  if (cmd == "classify") return ClassifyCommand(rest);
  if (cmd == "model") return ModelCommand(rest);
  if (cmd == "backup") return BackupCommand(rest);
  if (cmd == "restore") return RestoreCommand(rest);
  if (IsClientCommand(argv[1])) return ClientCommand(argc, argv);
  if (cmd == "version" || cmd == "--version") {
    std::printf("sakchy %s\n", std::string(kVersion).c_str());
    return 0;
  }
  if (cmd == "config") {
    if (rest.empty() || IsHelp(rest[0].c_str())) {
      std::fputs(kConfigUsage, rest.empty() ? stderr : stdout);
      return rest.empty() ? 2 : 0;
    }
    if (rest[0] == "check") {
      if (rest.size() == 2 && IsHelp(rest[1].c_str())) {
        std::fputs(kConfigUsage, stdout);
        return 0;
      }
      if (rest.size() != 2) {
        std::fputs(kConfigUsage, stderr);
        return 2;
      }
      return ConfigCheck(rest[1]);
    }
    std::fprintf(stderr, "sakchy config: unknown subcommand '%s'\n%s", rest[0].c_str(), kConfigUsage);
    return 2;
  }
  std::fprintf(stderr, "sakchy: unknown command '%s'\n\n%s", cmd.c_str(), kUsage);
  return 2;
}

}  // namespace sakchy::service

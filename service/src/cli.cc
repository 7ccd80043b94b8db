#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "classifier/classifier.h"
#include "config/areas.h"
#include "config/config.h"
#include "core/time.h"
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
  sakchy version
  sakchy --help | sakchy COMMAND --help

Environment:
  SAKCHY_TOKENS="monitor:TOKEN1,analyst:TOKEN2,admin:TOKEN3"
      API tokens added at start-up (at least 16 characters each; stored only as SHA-256).
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
  std::printf("%s: OK (%zu areas, %zu rules, %zu contacts, %zu tokens)\n", path.c_str(),
              areas->areas().size(), (*rules)->info().rule_count, cfg->contacts.size(),
              cfg->tokens.size());
  return 0;
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
  if (cmd == "version" || cmd == "--version") {
    std::printf("sakchy 0.1.0\n");
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

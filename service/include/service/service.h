#pragma once
// Wiring of the whole service and the command-line interface.

#include <optional>
#include <string>

namespace sakchy::service {

struct ServeOptions {
  std::optional<std::string> config_path;  // none: the bundled default (demo mode)
  std::optional<std::string> listen;       // "host:port" override
  std::optional<std::string> data_dir;     // override
  std::string log_format;                  // "", "text" or "json" (overrides config)
  std::string log_level;                   // "" or a level (overrides config)
};

// Runs the service until SIGINT/SIGTERM; then stops accepting, drains the queue, flushes, and
// returns 0. Start-up errors are printed to stderr and return non-zero.
int Serve(const ServeOptions& options);

// `sakchy ...` entry point (argv as given to main).
int RunCli(int argc, char** argv);

}  // namespace sakchy::service

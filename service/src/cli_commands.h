#pragma once
// The one command line of `sakchy`, parsed by CLI11 (cli.cc owns the App). Each file of commands
// adds its subcommands to the App and registers what runs when one of them was chosen; option
// values live in state the action owns (a shared_ptr it captures), so they outlive the parse.

#include <CLI/CLI.hpp>

#include <functional>
#include <utility>
#include <vector>

namespace sakchy::service {

// The actions of the leaf commands (`serve`, `model train`, `report` ...).
class CliActions {
 public:
  // `action` runs when parsing chose `command`; it returns the exit status (0 ok, 1 failed).
  void On(const CLI::App* command, std::function<int()> action) {
    actions_.emplace_back(command, std::move(action));
  }
  // Runs the action of the command that was parsed; 2 (usage) when none was.
  int RunChosen() const {
    for (const auto& [command, action] : actions_) {
      if (command->parsed()) return action();
    }
    return 2;
  }

 private:
  std::vector<std::pair<const CLI::App*, std::function<int()>>> actions_;
};

// report | import | export | alerts | ack (client_cli.cc).
void AddClientCommands(CLI::App& app, CliActions& actions);
// model train | eval | check | export-labels (model_cli.cc).
void AddModelCommands(CLI::App& app, CliActions& actions);

}  // namespace sakchy::service

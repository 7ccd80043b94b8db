#pragma once
// `sakchy model ...` (docs/MODELS.md).

#include <string>
#include <vector>

namespace sakchy::service {

// args: everything after "model". Returns the exit status (0 ok, 1 failure, 2 usage).
int ModelCommand(const std::vector<std::string>& args);

}  // namespace sakchy::service

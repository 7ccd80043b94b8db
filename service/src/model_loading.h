#pragma once
// Loads the learned models of the config (classifier.models) for the service, `sakchy config
// check` and the reloader.

#include <vector>

#include "classifier/with_models.h"
#include "config/config.h"
#include "core/result.h"

namespace sakchy::service {

// Loads every configured model, each refused unless trained for its entry's `label`. All or
// nothing: on any failure, kInvalidArgument (or the first failure's code) with one line per
// failing entry: "<file:line>: classifier.models: <model's error>".
[[nodiscard]] Result<std::vector<classifier::ModelUse>> LoadModels(
    const std::vector<config::ModelConfig>& configs);

}  // namespace sakchy::service

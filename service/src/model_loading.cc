#include "model_loading.h"

namespace sakchy::service {

Result<std::vector<classifier::ModelUse>> LoadModels(
    const std::vector<config::ModelConfig>& configs) {
  std::vector<classifier::ModelUse> out;
  std::string errors;
  ErrorCode code = ErrorCode::kInvalidArgument;
  for (const auto& c : configs) {
    auto model = classifier::Model::Load(c.dir, c.label);
    if (!model) {
      if (errors.empty()) code = model.error().code;
      if (!errors.empty()) errors += '\n';
      errors += c.origin + ": classifier.models: " + model.error().message;
      continue;
    }
    out.push_back(classifier::ModelUse{std::move(*model), c.weight, c.min_probability, c.category});
  }
  if (!errors.empty()) return MakeError(code, std::move(errors));
  return out;
}

}  // namespace sakchy::service

#include "classifier/with_models.h"

#include <algorithm>

namespace sakchy::classifier {
namespace {

class RulesWithModels final : public Classifier {
 public:
  RulesWithModels(std::shared_ptr<const Classifier> rules, std::vector<ModelUse> models)
      : rules_(std::move(rules)), models_(std::move(models)) {}

  Classification Classify(std::string_view text) const override {
    Classification c = rules_->Classify(text);
    c.rules_score = c.score;
    c.models.reserve(models_.size());
    for (const ModelUse& use : models_) {
      const double p = use.model->PositiveProbability(text);
      const double contribution = ModelContribution(use, p);
      c.models.push_back(
          ModelScore{use.model->card().name, use.model->version(), p, contribution});
      if (contribution <= 0) continue;
      c.score += contribution;
      const auto at = std::lower_bound(c.categories.begin(), c.categories.end(), use.category);
      if (at == c.categories.end() || *at != use.category) c.categories.insert(at, use.category);
    }
    c.severity = std::max(c.severity, SeverityOfScore(c.score, rules_->info().thresholds));
    return c;
  }

  const RuleSetInfo& info() const override { return rules_->info(); }

 private:
  std::shared_ptr<const Classifier> rules_;
  std::vector<ModelUse> models_;
};

}  // namespace

double ModelContribution(const ModelUse& use, double p) {
  return p >= use.min_probability ? use.weight * p : 0.0;
}

Severity SeverityOfScore(double score, const std::array<double, 4>& thresholds) {
  for (int i = 3; i >= 0; --i) {
    if (score >= thresholds[static_cast<std::size_t>(i)]) return static_cast<Severity>(i + 1);
  }
  return Severity::kInfo;
}

std::shared_ptr<const Classifier> WithModels(std::shared_ptr<const Classifier> rules,
                                             std::vector<ModelUse> models) {
  if (models.empty()) return rules;
  return std::make_shared<const RulesWithModels>(std::move(rules), std::move(models));
}

}  // namespace sakchy::classifier

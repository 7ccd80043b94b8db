#pragma once
// The rules plus learned models (config classifier.models, docs/MODELS.md): one Classifier that
// the pipeline uses like the rules alone.

#include <memory>
#include <string>
#include <vector>

#include "classifier/classifier.h"
#include "classifier/model.h"

namespace sakchy::classifier {

// A loaded model and how its probability enters the score.
struct ModelUse {
  std::shared_ptr<const Model> model;
  double weight = 1;
  double min_probability = 0.5;
  std::string category;
};

// What a model adds to the score for probability `p` of its positive label:
// weight × p when p >= min_probability, else 0.
double ModelContribution(const ModelUse& use, double p);

// The severity of `score` under `thresholds` (minimum score of low, medium, high, critical).
Severity SeverityOfScore(double score, const std::array<double, 4>& thresholds);

// Classify() runs the rules, then every model on the same text: each model's probability and
// contribution go to Classification::models (in `models` order), the contributions are added to
// the score, a model's category is added when its contribution is above 0, and the severity
// becomes the higher of the rules' severity (minimums of rules included) and the severity of the
// new score under the rules' thresholds. Tension rules see the rules' categories only.
// info() is the rules' info. With no models, returns `rules` itself.
// Thread safety: like the rules, Classify() may run concurrently.
std::shared_ptr<const Classifier> WithModels(std::shared_ptr<const Classifier> rules,
                                             std::vector<ModelUse> models);

}  // namespace sakchy::classifier

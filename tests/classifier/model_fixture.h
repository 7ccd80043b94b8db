#pragma once
// Tiny learned-scorer models for tests: fixture texts written for the tests (no dataset text),
// labelled "rumour" / "other", grouped by a made-up topic, and a trainer with small, fast
// hyperparameters.

#include <cstdio>
#include <string>
#include <vector>

#include "classifier/model.h"
#include "classifier/model_training.h"
#include "core/result.h"

namespace sakchy::testing {

// About 120 short texts in English, Russian and Kyrgyz; every text has a group ("water",
// "bank", "border", "school").
std::vector<classifier::TrainingExample> ModelFixtureExamples();

// Small hyperparameters: dim 8, buckets 4096, n-grams 2..4, word bigrams, 30 epochs, 1 thread.
classifier::ModelHyperparameters TinyHyperparameters();

// Trains a "rumour" model on ModelFixtureExamples() into `dir` (no cross-validation).
Result<classifier::ModelCard> TrainTinyModel(const std::string& dir, int seed = 1);

}  // namespace sakchy::testing

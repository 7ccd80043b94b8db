#pragma once
// Private to the classifier: everything that calls libfasttext (training, reading model.bin,
// and fastText's own prediction for tests). libfasttext throws; every call is contained here and
// comes back as a Result.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "classifier/model.h"
#include "core/result.h"
#include "model_tables.h"

namespace sakchy::classifier::internal {

// A model read by libfasttext, converted: its tables and its labels (without "__label__", in
// fastText's order, which is the order of the tables' outputs).
struct ConvertedModel {
  ModelTables tables;
  std::vector<std::string> labels;
  ModelHyperparameters hyperparameters;  // as stored in model.bin (lr/epoch/seed/threads too)
};

// Reads a model.bin image. `origin` names it in errors. Refuses a file fastText cannot read, a
// model that is not supervised with softmax loss, a quantised one, more than kMaxModelLabels
// labels or word_ngrams above kMaxWordNgrams.
[[nodiscard]] Result<ConvertedModel> ReadFastTextModel(const std::string& bytes,
                                                       const std::string& origin);

// One training line per example: (label, model text).
using TrainingLines = std::vector<std::pair<std::string, std::string>>;

// Trains a supervised softmax model on `lines` (written to a temporary file next to
// `work_path`, removed after) and returns the model.bin image.
[[nodiscard]] Result<std::string> TrainFastText(const TrainingLines& lines,
                                                const ModelHyperparameters& hp,
                                                const std::string& work_path);

// fastText's own probabilities (predictLine on `model_text` + "\n") of `labels` (in that
// order), for testing the tables against the library.
[[nodiscard]] Result<std::vector<float>> FastTextPredict(const std::string& model_bin_path,
                                                         std::string_view model_text,
                                                         const std::vector<std::string>& labels);

}  // namespace sakchy::classifier::internal

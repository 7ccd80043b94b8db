#pragma once
// Training and evaluation of learned scorers (`sakchy model train | eval`, docs/MODELS.md).
// Training writes a model directory (model.bin + card.json) that Model::Load reads.
//
// Thread safety: free functions; each call uses its own files and state. Blocking: trains on the
// calling thread (seconds to minutes); writes files.

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "classifier/model.h"
#include "core/result.h"
#include "core/types.h"

namespace sakchy::classifier {

struct TrainingExample {
  std::string text;   // raw text (cut into model text by the trainer)
  std::string label;  // a valid label name (IsValidLabelName)
  std::string group;  // cross-validation group (e.g. the event); may be empty
};

// Letters, digits, '_' and '-', 1 to 64 characters (labels travel through fastText's
// whitespace-separated format and through URLs).
bool IsValidLabelName(std::string_view label);

// How the figures on the card are cross-validated.
struct CrossValidationPlan {
  enum class Kind { kNone, kLeaveOneGroupOut, kKFold };
  Kind kind = Kind::kNone;
  int folds = 0;  // kKFold: k >= 2 (examples shuffled with the seed, then dealt round-robin)
};

struct TrainingSpec {
  std::string name;      // card name, e.g. "rumour-en"
  std::string task;      // card task, e.g. "rumour"
  std::string positive;  // one of the labels
  ModelHyperparameters hyperparameters;
  CrossValidationPlan cross_validation;
  // For the card.
  std::string data_description;
  std::string data_file;
  std::string data_sha256;
  std::string group_field;
};

// Progress lines for a person ("fold 3/7 (ferguson): macro-F1 0.61").
using TrainingProgress = std::function<void(const std::string& line)>;

// Checks the examples (at least two labels, the positive one among them, leave-one-group-out
// needs every example grouped and at least two groups), cross-validates, trains on every example
// plus `extra` and writes `out_dir`/model.bin and card.json (out_dir is created; existing files
// of those names are replaced). `extra` examples are added to every training fold and to the
// final model but are never held out or scored. Returns the card written.
[[nodiscard]] Result<ModelCard> TrainModel(const std::vector<TrainingExample>& examples,
                                           const std::vector<TrainingExample>& extra,
                                           const TrainingSpec& spec, const std::string& out_dir,
                                           TimeMs now, const TrainingProgress& progress = {});

// Precision, recall and F1 of each label of `labels` for (gold, predicted) label indexes.
EvalFigures ComputeFigures(const std::vector<std::string>& labels,
                           const std::vector<std::pair<int, int>>& gold_predicted);

// The model's predictions (the most probable label) on `examples`, scored against their labels.
// Labels the model does not have are refused (kInvalidArgument naming the first such example's
// index).
[[nodiscard]] Result<EvalFigures> EvaluateModel(const Model& model,
                                                const std::vector<TrainingExample>& examples);

}  // namespace sakchy::classifier

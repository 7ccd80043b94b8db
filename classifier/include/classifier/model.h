#pragma once
// A learned scorer: a supervised fastText model (character n-grams, optional word n-grams) with
// its model card, loaded from a model directory. docs/MODELS.md describes the directory, the card
// and how a deployment trains its own model.
//
// A model directory holds exactly:
//   model.bin   the fastText supervised model (softmax loss, not quantised)
//   card.json   the model card: format version, name, task, labels and the positive one, the
//               text version, the SHA-256 of model.bin, training data, date, hyperparameters
//               and cross-validated figures.
// Inference does not call fastText: Load() copies what prediction needs into compact tables
// (each input row already multiplied by the output matrix, so a row is one float per label, and
// each vocabulary word's rows pre-summed), then Predict() hashes the tokens as fastText does
// (FNV-1a, "<word>" character n-grams by code point, word n-grams), averages the rows and takes
// the softmax. The result equals fastText's predictions (tested within 1e-4).

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"
#include "core/types.h"

namespace sakchy::classifier {

inline constexpr int kModelFormatVersion = 1;
inline constexpr std::string_view kModelFile = "model.bin";
inline constexpr std::string_view kModelCardFile = "card.json";

struct LabelFigures {
  std::string label;
  double precision = 0;
  double recall = 0;
  double f1 = 0;
  std::size_t support = 0;  // examples with this gold label
};

// Precision/recall/F1 per label (in label order) and their unweighted mean.
struct EvalFigures {
  std::vector<LabelFigures> labels;
  double macro_f1 = 0;
  double accuracy = 0;
  std::size_t examples = 0;
};

struct ModelHyperparameters {
  int dim = 16;
  int minn = 3;             // character n-grams of minn..maxn code points; maxn 0: none
  int maxn = 5;
  int bucket = 200'000;     // hash buckets of n-grams (rows of the input matrix besides words)
  int word_ngrams = 2;      // 1: words only
  int epoch = 25;
  double lr = 0.2;
  int seed = 1;
  int threads = 1;          // >1 trains faster but not reproducibly
};

struct ModelCard {
  int format_version = kModelFormatVersion;
  std::string name;                 // e.g. "rumour-en"
  std::string task;                 // what the positive label means, e.g. "rumour"
  std::vector<std::string> labels;  // sorted
  std::string positive;             // one of labels
  std::string text_version;         // the model text the model was trained on
  std::string model_sha256;         // hex SHA-256 of model.bin
  std::string trained_at;           // RFC 3339, UTC
  struct TrainingData {
    std::string description;
    std::string file;               // file name as given to `sakchy model train`
    std::string sha256;             // hex SHA-256 of that file
    std::size_t examples = 0;
    std::vector<std::pair<std::string, std::size_t>> per_label;
    std::string group_field;        // empty when not grouped
    std::size_t groups = 0;
  } training_data;
  ModelHyperparameters hyperparameters;
  struct CrossValidation {
    std::string scheme = "none";    // "leave-one-group-out" | "k-fold" | "none"
    int folds = 0;
    EvalFigures pooled;             // every held-out prediction together
    std::vector<std::pair<std::string, EvalFigures>> per_fold;  // group name or "fold N"
  } cross_validation;
};

// The card as pretty JSON, and back. ParseModelCard names `origin` and the field in errors.
std::string ModelCardToJson(const ModelCard& card);
[[nodiscard]] Result<ModelCard> ParseModelCard(std::string_view json, const std::string& origin);

// A loaded model. Immutable; Predict() may be called from any number of threads at once, never
// blocks and does not allocate once a thread has seen its longest text.
class Model {
 public:
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;
  ~Model();

  // Loads `dir`. Refused, with a message naming the file and the problem: a directory or file
  // that is missing; a card that is not valid JSON, misses a field or has another format
  // version; model.bin whose SHA-256 differs from the card's (corrupt or replaced); a file
  // fastText cannot read, or a model that is not supervised softmax or is quantised; labels
  // other than the card's; a text version this build does not have; and, when
  // `expected_positive` is not empty, a model whose positive label is another one.
  [[nodiscard]] static Result<std::shared_ptr<const Model>> Load(
      const std::string& dir, std::string_view expected_positive = {});

  // Probabilities of card().labels, in that order. `out.size()` must be the number of labels.
  // A text without any known token gives the model's bias (fastText's "</s>" row alone).
  void Predict(std::string_view text, std::span<float> out) const;
  // The probability of the positive label.
  double PositiveProbability(std::string_view text) const;

  const ModelCard& card() const;
  const std::string& dir() const;
  // First 16 hex digits of the SHA-256 of model.bin.
  const std::string& version() const;
  std::size_t memory_bytes() const;

  class Impl;

 private:
  explicit Model(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace sakchy::classifier

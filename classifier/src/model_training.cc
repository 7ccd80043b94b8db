#include "classifier/model_training.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <numeric>
#include <random>
#include <set>

#include "core/crypto.h"
#include "core/time.h"
#include "model_fasttext.h"
#include "model_text.h"

namespace sakchy::classifier {
namespace {

Error Invalid(const std::string& message) { return Error{ErrorCode::kInvalidArgument, message}; }

int IndexOf(const std::vector<std::string>& labels, const std::string& label) {
  const auto it = std::lower_bound(labels.begin(), labels.end(), label);
  return it != labels.end() && *it == label ? static_cast<int>(it - labels.begin()) : -1;
}

int ArgMax(const float* p, int n) { return static_cast<int>(std::max_element(p, p + n) - p); }

// Trains on `train` (indexes into `lines`) and predicts `test`: (gold, predicted) label indexes.
Result<std::vector<std::pair<int, int>>> TrainAndPredict(
    const internal::TrainingLines& lines, const std::vector<std::size_t>& train,
    const internal::TrainingLines& extra, const std::vector<TrainingExample>& examples,
    const std::vector<std::size_t>& test, const std::vector<std::string>& labels,
    const ModelHyperparameters& hp, const std::string& work_path) {
  internal::TrainingLines fold;
  fold.reserve(train.size() + extra.size());
  for (std::size_t i : train) fold.push_back(lines[i]);
  fold.insert(fold.end(), extra.begin(), extra.end());
  auto bytes = internal::TrainFastText(fold, hp, work_path);
  if (!bytes) return tl::unexpected(bytes.error());
  auto model = internal::ReadFastTextModel(*bytes, "fold model");
  if (!model) return tl::unexpected(model.error());
  std::vector<int> to_label;  // table output -> index in `labels`
  for (const auto& l : model->labels) to_label.push_back(IndexOf(labels, l));
  std::vector<std::pair<int, int>> out;
  float p[internal::kMaxModelLabels];
  const int n = model->tables.labels;
  for (std::size_t i : test) {
    model->tables.Predict(examples[i].text, std::span<float>(p, static_cast<std::size_t>(n)));
    out.emplace_back(IndexOf(labels, examples[i].label), to_label[ArgMax(p, n)]);
  }
  return out;
}

Status WriteFileAtomically(const std::filesystem::path& path, const std::string& bytes) {
  const std::filesystem::path tmp = path.string() + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    f.close();
    if (!f) return MakeError(ErrorCode::kIo, tmp.string() + ": cannot write");
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return MakeError(ErrorCode::kIo, path.string() + ": " + ec.message());
  return OkStatus();
}

}  // namespace

bool IsValidLabelName(std::string_view label) {
  if (label.empty() || label.size() > 64) return false;
  return std::all_of(label.begin(), label.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-';
  });
}

EvalFigures ComputeFigures(const std::vector<std::string>& labels,
                           const std::vector<std::pair<int, int>>& gold_predicted) {
  EvalFigures f;
  f.examples = gold_predicted.size();
  std::size_t correct = 0;
  for (const auto& [g, p] : gold_predicted) correct += g == p ? 1 : 0;
  f.accuracy = f.examples == 0 ? 0 : static_cast<double>(correct) / static_cast<double>(f.examples);
  double f1_sum = 0;
  for (int l = 0; l < static_cast<int>(labels.size()); ++l) {
    std::size_t tp = 0, fp = 0, fn = 0;
    for (const auto& [g, p] : gold_predicted) {
      tp += g == l && p == l ? 1 : 0;
      fp += g != l && p == l ? 1 : 0;
      fn += g == l && p != l ? 1 : 0;
    }
    LabelFigures lf;
    lf.label = labels[static_cast<std::size_t>(l)];
    lf.support = tp + fn;
    lf.precision = tp + fp == 0 ? 0 : static_cast<double>(tp) / static_cast<double>(tp + fp);
    lf.recall = tp + fn == 0 ? 0 : static_cast<double>(tp) / static_cast<double>(tp + fn);
    lf.f1 = lf.precision + lf.recall == 0
                ? 0
                : 2 * lf.precision * lf.recall / (lf.precision + lf.recall);
    f1_sum += lf.f1;
    f.labels.push_back(std::move(lf));
  }
  f.macro_f1 = labels.empty() ? 0 : f1_sum / static_cast<double>(labels.size());
  return f;
}

Result<ModelCard> TrainModel(const std::vector<TrainingExample>& examples,
                             const std::vector<TrainingExample>& extra, const TrainingSpec& spec,
                             const std::string& out_dir, TimeMs now,
                             const TrainingProgress& progress) {
  auto say = [&progress](const std::string& line) {
    if (progress) progress(line);
  };
  std::set<std::string> label_set;
  for (const auto* set : {&examples, &extra}) {
    for (const auto& e : *set) {
      if (!IsValidLabelName(e.label)) return tl::unexpected(Invalid("invalid label '" + e.label + "'"));
      label_set.insert(e.label);
    }
  }
  const std::vector<std::string> labels(label_set.begin(), label_set.end());
  if (labels.size() < 2) {
    return tl::unexpected(Invalid("the data has " + std::to_string(labels.size()) +
                                  " label(s); a model needs at least two"));
  }
  if (IndexOf(labels, spec.positive) < 0) {
    return tl::unexpected(Invalid("the positive label '" + spec.positive +
                                  "' does not occur in the data"));
  }
  const auto& hp = spec.hyperparameters;
  if (hp.dim < 1 || hp.dim > 1000 || hp.minn < 0 || hp.maxn < 0 || hp.maxn > 32 ||
      (hp.maxn > 0 && hp.minn > hp.maxn) || hp.bucket < 1 || hp.word_ngrams < 1 ||
      hp.word_ngrams > internal::kMaxWordNgrams || hp.epoch < 1 || hp.lr <= 0 ||
      hp.threads < 1) {
    return tl::unexpected(Invalid("hyperparameters out of range"));
  }
  internal::TrainingLines lines, extra_lines;
  for (const auto& e : examples) lines.emplace_back(e.label, internal::ModelText(e.text));
  for (const auto& e : extra) extra_lines.emplace_back(e.label, internal::ModelText(e.text));

  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (ec) return MakeError(ErrorCode::kIo, out_dir + ": " + ec.message());
  const std::string work = (std::filesystem::path(out_dir) / (".train-" + std::to_string(getpid())))
                               .string();

  ModelCard card;
  card.name = spec.name;
  card.task = spec.task;
  card.labels = labels;
  card.positive = spec.positive;
  card.text_version = std::string(internal::kModelTextVersion);
  card.trained_at = FormatRfc3339(now);
  card.hyperparameters = hp;
  auto& data = card.training_data;
  data.description = spec.data_description;
  data.file = spec.data_file;
  data.sha256 = spec.data_sha256;
  data.examples = examples.size();
  for (const auto& l : labels) {
    data.per_label.emplace_back(
        l, static_cast<std::size_t>(std::count_if(examples.begin(), examples.end(),
                                                  [&l](const auto& e) { return e.label == l; })));
  }
  data.group_field = spec.group_field;

  // Folds: (name, held-out example indexes).
  std::vector<std::pair<std::string, std::vector<std::size_t>>> folds;
  auto& cv = card.cross_validation;
  switch (spec.cross_validation.kind) {
    case CrossValidationPlan::Kind::kNone: break;
    case CrossValidationPlan::Kind::kLeaveOneGroupOut: {
      std::map<std::string, std::vector<std::size_t>> groups;
      for (std::size_t i = 0; i < examples.size(); ++i) {
        if (examples[i].group.empty()) {
          return tl::unexpected(Invalid("example " + std::to_string(i + 1) +
                                        " has no group (leave-one-group-out needs one)"));
        }
        groups[examples[i].group].push_back(i);
      }
      if (groups.size() < 2) return tl::unexpected(Invalid("leave-one-group-out needs 2+ groups"));
      data.groups = groups.size();
      for (auto& [name, idx] : groups) folds.emplace_back(name, std::move(idx));
      cv.scheme = "leave-one-group-out";
      break;
    }
    case CrossValidationPlan::Kind::kKFold: {
      const int k = spec.cross_validation.folds;
      if (k < 2 || static_cast<std::size_t>(k) > examples.size()) {
        return tl::unexpected(Invalid("k-fold needs 2 <= k <= the number of examples"));
      }
      std::vector<std::size_t> order(examples.size());
      std::iota(order.begin(), order.end(), 0);
      std::mt19937 rng(static_cast<std::mt19937::result_type>(hp.seed));
      std::shuffle(order.begin(), order.end(), rng);
      folds.resize(static_cast<std::size_t>(k));
      for (int f = 0; f < k; ++f) folds[static_cast<std::size_t>(f)].first = "fold " + std::to_string(f + 1);
      for (std::size_t p = 0; p < order.size(); ++p) {
        folds[p % static_cast<std::size_t>(k)].second.push_back(order[p]);
      }
      cv.scheme = "k-fold";
      break;
    }
  }
  cv.folds = static_cast<int>(folds.size());
  std::vector<std::pair<int, int>> pooled;
  for (std::size_t f = 0; f < folds.size(); ++f) {
    const auto& held = folds[f].second;
    std::vector<char> is_held(examples.size(), 0);
    for (std::size_t i : held) is_held[i] = 1;
    std::vector<std::size_t> train;
    for (std::size_t i = 0; i < examples.size(); ++i) {
      if (is_held[i] == 0) train.push_back(i);
    }
    auto pairs = TrainAndPredict(lines, train, extra_lines, examples, held, labels, hp, work);
    if (!pairs) return tl::unexpected(pairs.error());
    EvalFigures figures = ComputeFigures(labels, *pairs);
    say("fold " + std::to_string(f + 1) + "/" + std::to_string(folds.size()) + " (" +
        folds[f].first + ", " + std::to_string(held.size()) + " held out): macro-F1 " +
        std::to_string(figures.macro_f1));
    cv.per_fold.emplace_back(folds[f].first, std::move(figures));
    pooled.insert(pooled.end(), pairs->begin(), pairs->end());
  }
  if (!folds.empty()) cv.pooled = ComputeFigures(labels, pooled);

  internal::TrainingLines all = lines;
  all.insert(all.end(), extra_lines.begin(), extra_lines.end());
  auto bytes = internal::TrainFastText(all, hp, work);
  if (!bytes) return tl::unexpected(bytes.error());
  card.model_sha256 = Sha256Hex(*bytes);
  const std::filesystem::path dir(out_dir);
  if (auto s = WriteFileAtomically(dir / kModelFile, *bytes); !s) return tl::unexpected(s.error());
  if (auto s = WriteFileAtomically(dir / kModelCardFile, ModelCardToJson(card)); !s) {
    return tl::unexpected(s.error());
  }
  return card;
}

Result<EvalFigures> EvaluateModel(const Model& model,
                                  const std::vector<TrainingExample>& examples) {
  const auto& labels = model.card().labels;
  std::vector<std::string> sorted = labels;
  std::sort(sorted.begin(), sorted.end());
  std::vector<std::pair<int, int>> pairs;
  pairs.reserve(examples.size());
  float p[internal::kMaxModelLabels];
  const int n = static_cast<int>(labels.size());
  for (std::size_t i = 0; i < examples.size(); ++i) {
    const int gold = IndexOf(sorted, examples[i].label);
    if (gold < 0) {
      return tl::unexpected(Invalid("example " + std::to_string(i + 1) + ": label '" +
                                    examples[i].label + "' is not one of the model's"));
    }
    model.Predict(examples[i].text, std::span<float>(p, static_cast<std::size_t>(n)));
    pairs.emplace_back(gold, IndexOf(sorted, labels[static_cast<std::size_t>(ArgMax(p, n))]));
  }
  return ComputeFigures(sorted, pairs);
}

}  // namespace sakchy::classifier

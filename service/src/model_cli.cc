// `sakchy model train | eval | check | export-labels` (docs/MODELS.md).

#include "cli_commands.h"

#include <boost/json.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <set>

#include "classifier/model.h"
#include "classifier/model_training.h"
#include "core/json_text.h"
#include "core/time.h"
#include "label_export_client.h"
#include "training_data.h"

namespace sakchy::service {
namespace {

namespace json = boost::json;

constexpr const char* kModelFooter =
    "A model directory holds model.bin (fastText) and card.json (its model card). docs/MODELS.md.";

constexpr const char* kTrainFooter = R"(Trains a learned scorer (supervised fastText, character n-grams) on labelled NDJSON, one object
per line: {"text": "...", "label": "rumour", ...}. Cross-validates, then trains on every line and
writes DIR/model.bin and DIR/card.json (data file and SHA-256, date, labels, hyperparameters,
cross-validated figures). Refuses data with fewer than two labels; lines with a missing or
unknown label, a missing or empty text, or bad JSON are reported by line number and nothing is
trained.)";

constexpr const char* kEvalFooter = R"(Predicts the most probable label of every line and prints precision, recall and F1 per label and
their mean (macro-F1). Lines as for `model train`; a label the model does not have is an error.
JSON shape of --json (stable; fields may be added):
  {"model": {"dir","name","version","task","positive","labels":[..]},
   "data": {"file","sha256","examples"},
   "overall": FIGURES, "groups": {"<group>": FIGURES, ...} (only with --group-field)}
  FIGURES = {"examples","accuracy","macro_f1",
             "labels": {"<label>": {"precision","recall","f1","support"}, ...}}
Exit status: 0, 1 on bad data or a model that cannot be loaded, 2 on bad usage.)";

constexpr const char* kCheckFooter = R"(Loads the model directory as the service would (card, format version, SHA-256 of model.bin,
fastText file, labels; with --label, that the model's positive label is LABEL) and prints its
card's summary, load time and memory. Exit 1 with the problem when it would be refused.)";

constexpr const char* kExportFooter = R"(Downloads analysts' labels (POST /v1/events/{id}/label) and the members of clusters with a
false, confirmed or misleading verdict (label "rumour", task "rumour") from a running service as
NDJSON ready for `sakchy model train` ({"text","label","task","event_id","source","labelled_at"}).
The token (analyst or admin) is read from SAKCHY_TOKEN.)";

// What `model train` and `model eval` read of the data.
struct DataArgs {
  std::string data_path;
  TrainingDataOptions options;
};

struct TrainArgs {
  DataArgs data;
  std::string out;
  std::string extra_path, id_field;
  classifier::TrainingSpec spec;
  int folds = 5;
  bool folds_given = false;
  bool quiet = false;
};

struct EvalArgs {
  DataArgs data;
  std::string model_dir;
  bool json = false;
};

struct CheckArgs {
  std::string dir, label;
};

struct ExportLabelsArgs {
  std::string url, task, out;
};

// Prints bad lines (at most 50) and returns true when there were any.
bool ReportBadLines(const std::string& file, const std::vector<std::string>& errors) {
  if (errors.empty()) return false;
  std::size_t shown = 0;
  for (const auto& e : errors) {
    if (++shown > 50) break;
    std::fprintf(stderr, "%s: %s\n", file.c_str(), e.c_str());
  }
  if (errors.size() > 50) std::fprintf(stderr, "... and %zu more\n", errors.size() - 50);
  std::fprintf(stderr, "%s: %zu bad line(s); nothing done\n", file.c_str(), errors.size());
  return true;
}

void PrintFigures(const classifier::EvalFigures& f, const char* indent) {
  std::printf("%s%-16s %9s %9s %9s %8s\n", indent, "label", "precision", "recall", "F1", "support");
  for (const auto& l : f.labels) {
    std::printf("%s%-16s %9.3f %9.3f %9.3f %8zu\n", indent, l.label.c_str(), l.precision, l.recall,
                l.f1, l.support);
  }
  std::printf("%smacro-F1 %.3f, accuracy %.3f, %zu examples\n", indent, f.macro_f1, f.accuracy,
              f.examples);
}

json::object FiguresToJson(const classifier::EvalFigures& f) {
  json::object labels;
  for (const auto& l : f.labels) {
    labels[l.label] = json::object{{"precision", l.precision},
                                   {"recall", l.recall},
                                   {"f1", l.f1},
                                   {"support", l.support}};
  }
  return json::object{{"examples", f.examples},
                      {"accuracy", f.accuracy},
                      {"macro_f1", f.macro_f1},
                      {"labels", std::move(labels)}};
}

int Train(TrainArgs a) {
  TrainingDataOptions& data_options = a.data.options;
  const std::string& data_path = a.data.data_path;
  const std::string& out = a.out;
  classifier::TrainingSpec& spec = a.spec;
  if (spec.name.empty()) spec.name = std::filesystem::path(out).filename().string();
  if (spec.task.empty()) spec.task = spec.positive;
  spec.group_field = data_options.group_field;
  const int folds = a.folds_given || data_options.group_field.empty() ? a.folds : 0;
  const std::string& extra_path = a.extra_path;
  const std::string& id_field = a.id_field;
  const bool quiet = a.quiet;
  if (!data_options.group_field.empty()) {
    spec.cross_validation = {classifier::CrossValidationPlan::Kind::kLeaveOneGroupOut, 0};
  } else if (folds > 0) {
    spec.cross_validation = {classifier::CrossValidationPlan::Kind::kKFold, folds};
  }
  data_options.id_field = id_field;
  auto data = ReadTrainingData(data_path, data_options);
  if (!data) {
    std::fprintf(stderr, "sakchy model train: %s\n", data.error().message.c_str());
    return 1;
  }
  if (ReportBadLines(data_path, data->errors)) return 1;
  std::vector<classifier::TrainingExample> extra;
  if (!extra_path.empty()) {
    TrainingDataOptions extra_options = data_options;
    extra_options.group_field.clear();
    auto more = ReadTrainingData(extra_path, extra_options);
    if (!more) {
      std::fprintf(stderr, "sakchy model train: %s\n", more.error().message.c_str());
      return 1;
    }
    if (ReportBadLines(extra_path, more->errors)) return 1;
    const std::set<std::string> ids(data->ids.begin(), data->ids.end());
    for (std::size_t i = 0; i < more->examples.size(); ++i) {
      if (!id_field.empty() && ids.contains(more->ids[i])) continue;
      extra.push_back(std::move(more->examples[i]));
    }
    if (!quiet) {
      std::fprintf(stderr, "extra: %zu of %zu lines of %s added to every training fold\n",
                   extra.size(), more->examples.size(), extra_path.c_str());
    }
  }
  spec.data_file = std::filesystem::path(data_path).filename().string();
  spec.data_sha256 = data->sha256;
  auto progress = [quiet](const std::string& line) {
    if (!quiet) std::fprintf(stderr, "%s\n", line.c_str());
  };
  auto card = classifier::TrainModel(data->examples, extra, spec, out,
                                     SystemClock::Instance().NowMs(), progress);
  if (!card) {
    std::fprintf(stderr, "sakchy model train: %s\n", card.error().message.c_str());
    return 1;
  }
  if (card->cross_validation.scheme != "none") {
    std::printf("cross-validation (%s, %d folds), every held-out prediction:\n",
                card->cross_validation.scheme.c_str(), card->cross_validation.folds);
    PrintFigures(card->cross_validation.pooled, "  ");
  }
  std::printf("%s: wrote model.bin (%s...) and card.json (%zu examples, labels", out.c_str(),
              card->model_sha256.substr(0, 16).c_str(), card->training_data.examples);
  for (const auto& l : card->labels) std::printf(" %s", l.c_str());
  std::printf(", positive %s)\n", card->positive.c_str());
  return 0;
}

int Eval(EvalArgs a) {
  TrainingDataOptions& data_options = a.data.options;
  const std::string& data_path = a.data.data_path;
  const std::string& model_dir = a.model_dir;
  const bool as_json = a.json;
  auto model = classifier::Model::Load(model_dir);
  if (!model) {
    std::fprintf(stderr, "sakchy model eval: %s\n", model.error().message.c_str());
    return 1;
  }
  data_options.labels = (*model)->card().labels;
  auto data = ReadTrainingData(data_path, data_options);
  if (!data) {
    std::fprintf(stderr, "sakchy model eval: %s\n", data.error().message.c_str());
    return 1;
  }
  if (ReportBadLines(data_path, data->errors)) return 1;
  auto overall = classifier::EvaluateModel(**model, data->examples);
  if (!overall) {
    std::fprintf(stderr, "sakchy model eval: %s\n", overall.error().message.c_str());
    return 1;
  }
  std::map<std::string, classifier::EvalFigures> groups;
  if (!data_options.group_field.empty()) {
    std::map<std::string, std::vector<classifier::TrainingExample>> by_group;
    for (const auto& e : data->examples) by_group[e.group].push_back(e);
    for (const auto& [g, examples] : by_group) {
      auto f = classifier::EvaluateModel(**model, examples);
      if (f) groups[g] = std::move(*f);
    }
  }
  const auto& card = (*model)->card();
  if (as_json) {
    json::array labels;
    for (const auto& l : card.labels) labels.emplace_back(l);
    json::object doc{
        {"model", json::object{{"dir", model_dir},
                               {"name", card.name},
                               {"version", (*model)->version()},
                               {"task", card.task},
                               {"positive", card.positive},
                               {"labels", std::move(labels)}}},
        {"data", json::object{{"file", data_path},
                              {"sha256", data->sha256},
                              {"examples", data->examples.size()}}},
        {"overall", FiguresToJson(*overall)}};
    if (!data_options.group_field.empty()) {
      json::object g;
      for (const auto& [name, f] : groups) g[name] = FiguresToJson(f);
      doc["groups"] = std::move(g);
    }
    std::printf("%s\n", ToJsonText(json::value(doc)).c_str());
    return 0;
  }
  std::printf("%s (%s, %s) on %s:\n", card.name.c_str(), (*model)->version().c_str(),
              card.task.c_str(), data_path.c_str());
  PrintFigures(*overall, "  ");
  for (const auto& [name, f] : groups) {
    std::printf("  %s = %s:\n", data_options.group_field.c_str(), name.c_str());
    PrintFigures(f, "    ");
  }
  return 0;
}

int Check(const CheckArgs& a) {
  const std::string& dir = a.dir;
  const std::string& label = a.label;
  const auto start = std::chrono::steady_clock::now();
  auto model = classifier::Model::Load(dir, label);
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() -
                                                              start)
                        .count();
  if (!model) {
    std::fprintf(stderr, "%s\n", model.error().message.c_str());
    return 1;
  }
  const auto& c = (*model)->card();
  std::printf("%s: OK (%s, task %s, positive %s of", dir.c_str(), c.name.c_str(), c.task.c_str(),
              c.positive.c_str());
  for (const auto& l : c.labels) std::printf(" %s", l.c_str());
  std::printf("; version %s, trained %s on %zu examples of %s", (*model)->version().c_str(),
              c.trained_at.c_str(), c.training_data.examples, c.training_data.file.c_str());
  if (c.cross_validation.scheme != "none") {
    std::printf("; %s macro-F1 %.3f", c.cross_validation.scheme.c_str(),
                c.cross_validation.pooled.macro_f1);
  }
  std::printf("; loaded in %.0f ms, %.1f MB)\n", ms,
              static_cast<double>((*model)->memory_bytes()) / 1e6);
  return 0;
}

int ExportLabels(const ExportLabelsArgs& a) {
  const std::string& url = a.url;
  const std::string& task = a.task;
  const std::string& out = a.out;
  const char* token = std::getenv("SAKCHY_TOKEN");
  if (token == nullptr || *token == '\0') {
    std::fprintf(stderr, "sakchy model export-labels: set SAKCHY_TOKEN to an analyst token\n");
    return 2;
  }
  auto written = DownloadLabels(url, token, task, out);
  if (!written) {
    std::fprintf(stderr, "sakchy model export-labels: %s\n", written.error().message.c_str());
    return 1;
  }
  std::fprintf(stderr, "%zu labelled texts written to %s\n", *written,
               out.empty() ? "standard output" : out.c_str());
  return 0;
}

// The options `model train` and `model eval` share.
void AddDataOptions(CLI::App* command, DataArgs& a) {
  command->add_option("--data", a.data_path, "labelled NDJSON ('-': standard input)")
      ->type_name("FILE")
      ->required();
  a.options.text_field = "text";
  a.options.label_field = "label";
  command->add_option("--text-field", a.options.text_field, "the text's field")
      ->type_name("F")
      ->capture_default_str();
  command->add_option("--label-field", a.options.label_field,
                      "the label's field (string, integer or boolean values)")
      ->type_name("F")
      ->capture_default_str();
}

void AddTrain(CLI::App& model, CliActions& actions) {
  auto a = std::make_shared<TrainArgs>();
  auto* cmd = model.add_subcommand("train", "train a learned scorer and its model card");
  cmd->footer(kTrainFooter);
  AddDataOptions(cmd, a->data);
  cmd->add_option("--out", a->out, "model directory to write (created)")
      ->type_name("DIR")
      ->required();
  cmd->add_option("--positive", a->spec.positive,
                  "the label whose probability enters the score (e.g. rumour)")
      ->type_name("LABEL")
      ->required();
  cmd->add_option("--labels", a->data.options.labels,
                  "the allowed labels (default: every label in the data)")
      ->type_name("A,B")
      ->delimiter(',')
      ->allow_extra_args(false);
  auto* group = cmd->add_option("--cv-group", a->data.options.group_field,
                                "leave-one-group-out cross-validation by FIELD (e.g. event)")
                    ->type_name("FIELD");
  auto* folds = cmd->add_option("--folds", a->folds,
                                "k-fold cross-validation (default 5 without --cv-group; 0: none)")
                    ->type_name("K")
                    ->check(CLI::NonNegativeNumber);
  group->excludes(folds);
  cmd->add_option("--extra", a->extra_path,
                  "more training lines (same fields) added to every training fold and to the "
                  "model, never held out or scored")
      ->type_name("FILE.ndjson");
  cmd->add_option("--id-field", a->id_field,
                  "with --extra: extra lines whose F equals an id in --data are dropped")
      ->type_name("F");
  cmd->add_option("--name", a->spec.name, "card name (default: the name of DIR)");
  cmd->add_option("--task", a->spec.task, "card task (default: the positive label)");
  cmd->add_option("--description", a->spec.data_description, "what the data is, for the card")
      ->type_name("TEXT");
  auto& hp = a->spec.hyperparameters;
  cmd->add_option("--dim", hp.dim, "vector dimension")->capture_default_str();
  cmd->add_option("--minn", hp.minn, "shortest character n-gram")->capture_default_str();
  cmd->add_option("--maxn", hp.maxn, "longest character n-gram")->capture_default_str();
  cmd->add_option("--bucket", hp.bucket, "n-gram hash buckets")->capture_default_str();
  cmd->add_option("--word-ngrams", hp.word_ngrams, "word n-grams")->capture_default_str();
  cmd->add_option("--epoch", hp.epoch, "training epochs")->capture_default_str();
  cmd->add_option("--lr", hp.lr, "learning rate")->capture_default_str();
  cmd->add_option("--seed", hp.seed, "random seed")->capture_default_str();
  cmd->add_option("--threads", hp.threads, "threads (1: reproducible)")->capture_default_str();
  cmd->add_flag("--quiet", a->quiet, "no progress lines");
  actions.On(cmd, [a, folds] {
    a->folds_given = folds->count() > 0;
    return Train(*a);
  });
}

void AddEval(CLI::App& model, CliActions& actions) {
  auto a = std::make_shared<EvalArgs>();
  auto* cmd = model.add_subcommand("eval", "precision, recall and F1 of a model on labelled data");
  cmd->footer(kEvalFooter);
  cmd->add_option("--model", a->model_dir, "the model directory")->type_name("DIR")->required();
  AddDataOptions(cmd, a->data);
  cmd->add_option("--group-field", a->data.options.group_field,
                  "also report the figures of each value of F")
      ->type_name("F");
  cmd->add_flag("--json", a->json, "one JSON document (the shape below), for the quality harness");
  actions.On(cmd, [a] { return Eval(*a); });
}

void AddCheck(CLI::App& model, CliActions& actions) {
  auto a = std::make_shared<CheckArgs>();
  auto* cmd = model.add_subcommand("check", "load a model directory as the service would");
  cmd->footer(kCheckFooter);
  cmd->add_option("dir", a->dir, "the model directory")->type_name("DIR")->required();
  cmd->add_option("--label", a->label, "the positive label it must have")->type_name("LABEL");
  actions.On(cmd, [a] { return Check(*a); });
}

void AddExportLabels(CLI::App& model, CliActions& actions) {
  auto a = std::make_shared<ExportLabelsArgs>();
  auto* cmd = model.add_subcommand("export-labels",
                                   "download analysts' labels from a running service as NDJSON");
  cmd->footer(kExportFooter);
  cmd->add_option("--url", a->url, "the service, e.g. http://127.0.0.1:8080")->required();
  cmd->add_option("--task", a->task, "only labels of this task");
  cmd->add_option("--out", a->out, "the file to write (default: standard output)")
      ->type_name("FILE");
  actions.On(cmd, [a] { return ExportLabels(*a); });
}

}  // namespace

void AddModelCommands(CLI::App& app, CliActions& actions) {
  auto* model = app.add_subcommand("model", "learned scorers: train, eval, check, export-labels");
  model->footer(kModelFooter);
  model->require_subcommand(1, 1);
  AddTrain(*model, actions);
  AddEval(*model, actions);
  AddCheck(*model, actions);
  AddExportLabels(*model, actions);
}

}  // namespace sakchy::service

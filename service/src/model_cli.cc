// `sakchy model train | eval | check | export-labels` (docs/MODELS.md).

#include "model_cli.h"

#include <boost/json.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
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

constexpr const char* kModelUsage = R"(Usage: sakchy model COMMAND ...
  sakchy model train --data FILE.ndjson --out DIR --positive LABEL [options]
  sakchy model eval --model DIR --data FILE.ndjson [--json] [options]
  sakchy model check DIR [--label LABEL]
  sakchy model export-labels --url URL [--task TASK] [--out FILE]
A model directory holds model.bin (fastText) and card.json (its model card). docs/MODELS.md.
`sakchy model COMMAND --help` for each command's options.
)";

constexpr const char* kTrainUsage = R"(Usage: sakchy model train --data FILE.ndjson --out DIR --positive LABEL [options]
Trains a learned scorer (supervised fastText, character n-grams) on labelled NDJSON, one object
per line: {"text": "...", "label": "rumour", ...}. Cross-validates, then trains on every line and
writes DIR/model.bin and DIR/card.json (data file and SHA-256, date, labels, hyperparameters,
cross-validated figures). Refuses data with fewer than two labels; lines with a missing or
unknown label, a missing or empty text, or bad JSON are reported by line number and nothing is
trained.
  --data FILE            labelled NDJSON ("-": standard input)
  --out DIR              model directory to write (created)
  --positive LABEL       the label whose probability enters the score (e.g. rumour)
  --labels A,B           the allowed labels (default: every label in the data)
  --text-field F         default "text"
  --label-field F        default "label" (string, integer or boolean values)
  --cv-group FIELD       leave-one-group-out cross-validation by FIELD (e.g. event)
  --folds K              k-fold cross-validation (default 5 without --cv-group; 0: none)
  --extra FILE.ndjson    more training lines (same fields) added to every training fold and to
                         the model, never held out or scored
  --id-field F           with --extra: extra lines whose F equals an id in --data are dropped
  --name NAME            card name (default: the name of DIR)
  --task TASK            card task (default: the positive label)
  --description TEXT     what the data is, for the card
  --dim N (16) --minn N (3) --maxn N (5) --bucket N (200000) --word-ngrams N (2)
  --epoch N (25) --lr X (0.2) --seed N (1) --threads N (1: reproducible)
  --quiet                no progress lines
)";

constexpr const char* kEvalUsage = R"(Usage: sakchy model eval --model DIR --data FILE.ndjson [--json] [options]
Predicts the most probable label of every line and prints precision, recall and F1 per label and
their mean (macro-F1). Lines as for `model train`; a label the model does not have is an error.
  --text-field F  --label-field F   as for train
  --group-field F     also report the figures of each value of F
  --json              one JSON document (the shape below), for the quality harness
JSON shape (stable; fields may be added):
  {"model": {"dir","name","version","task","positive","labels":[..]},
   "data": {"file","sha256","examples"},
   "overall": FIGURES, "groups": {"<group>": FIGURES, ...} (only with --group-field)}
  FIGURES = {"examples","accuracy","macro_f1",
             "labels": {"<label>": {"precision","recall","f1","support"}, ...}}
Exit status: 0, 1 on bad data or a model that cannot be loaded, 2 on bad usage.
)";

constexpr const char* kCheckUsage = R"(Usage: sakchy model check DIR [--label LABEL]
Loads the model directory as the service would (card, format version, SHA-256 of model.bin,
fastText file, labels; with --label, that the model's positive label is LABEL) and prints its
card's summary, load time and memory. Exit 1 with the problem when it would be refused.
)";

constexpr const char* kExportUsage = R"(Usage: sakchy model export-labels --url URL [--task TASK] [--out FILE]
Downloads analysts' labels (POST /v1/events/{id}/label) and the members of clusters with a
false, confirmed or misleading verdict (label "rumour", task "rumour") from a running service as
NDJSON ready for `sakchy model train` ({"text","label","task","event_id","source","labelled_at"}).
The token (analyst or admin) is read from SAKCHY_TOKEN.
  --url URL      e.g. http://127.0.0.1:8080
  --task TASK    only labels of this task
  --out FILE     default: standard output
)";

// Reads "--flag value" pairs. Unknown flags are errors.
class Flags {
 public:
  Flags(const std::vector<std::string>& args, std::size_t from, const char* command)
      : command_(command) {
    for (std::size_t i = from; i < args.size(); ++i) {
      const std::string& a = args[i];
      if (a == "--help" || a == "-h") {
        help_ = true;
      } else if (a == "--json" || a == "--quiet") {
        values_[a] = "1";
      } else if (a.starts_with("--") && i + 1 < args.size()) {
        values_[a] = args[++i];
      } else {
        positional_.push_back(a);
      }
    }
  }
  bool help() const { return help_; }
  std::string Get(const std::string& flag, const std::string& fallback = {}) {
    used_.insert(flag);
    auto it = values_.find(flag);
    return it == values_.end() ? fallback : it->second;
  }
  bool Has(const std::string& flag) {
    used_.insert(flag);
    return values_.contains(flag);
  }
  // Integer/double flags; false (with a message) when not a number.
  bool Int(const std::string& flag, int* out) {
    if (!Has(flag)) return true;
    char* end = nullptr;
    const std::string v = Get(flag);
    const long n = std::strtol(v.c_str(), &end, 10);
    if (v.empty() || *end != '\0') return Bad(flag + " needs an integer");
    *out = static_cast<int>(n);
    return true;
  }
  bool Double(const std::string& flag, double* out) {
    if (!Has(flag)) return true;
    char* end = nullptr;
    const std::string v = Get(flag);
    const double d = std::strtod(v.c_str(), &end);
    if (v.empty() || *end != '\0') return Bad(flag + " needs a number");
    *out = d;
    return true;
  }
  // Reports flags given but never asked for, and positional arguments beyond `positional`.
  bool Finish(std::size_t positional = 0) {
    for (const auto& [flag, value] : values_) {
      if (!used_.contains(flag)) return Bad("unknown option '" + flag + "'");
    }
    if (positional_.size() > positional) return Bad("unexpected argument '" + positional_.back() + "'");
    return true;
  }
  bool Bad(const std::string& problem) {
    std::fprintf(stderr, "sakchy model %s: %s\n", command_, problem.c_str());
    return false;
  }
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  const char* command_;
  bool help_ = false;
  std::map<std::string, std::string> values_;
  std::vector<std::string> positional_;
  std::set<std::string> used_;
};

std::vector<std::string> SplitComma(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    const auto comma = s.find(',', start);
    std::string part = s.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!part.empty()) out.push_back(part);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

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

int Train(const std::vector<std::string>& args) {
  Flags flags(args, 1, "train");
  if (flags.help()) {
    std::fputs(kTrainUsage, stdout);
    return 0;
  }
  TrainingDataOptions data_options;
  data_options.text_field = flags.Get("--text-field", "text");
  data_options.label_field = flags.Get("--label-field", "label");
  data_options.group_field = flags.Get("--cv-group");
  data_options.labels = SplitComma(flags.Get("--labels"));
  const std::string data_path = flags.Get("--data");
  const std::string out = flags.Get("--out");
  classifier::TrainingSpec spec;
  spec.positive = flags.Get("--positive");
  spec.name = flags.Get("--name", std::filesystem::path(out).filename().string());
  spec.task = flags.Get("--task", spec.positive);
  spec.data_description = flags.Get("--description");
  spec.group_field = data_options.group_field;
  int folds = data_options.group_field.empty() ? 5 : 0;
  auto& hp = spec.hyperparameters;
  const std::string extra_path = flags.Get("--extra");
  const std::string id_field = flags.Get("--id-field");
  const bool quiet = flags.Has("--quiet");
  if (!flags.Int("--folds", &folds) || !flags.Int("--dim", &hp.dim) ||
      !flags.Int("--minn", &hp.minn) || !flags.Int("--maxn", &hp.maxn) ||
      !flags.Int("--bucket", &hp.bucket) || !flags.Int("--word-ngrams", &hp.word_ngrams) ||
      !flags.Int("--epoch", &hp.epoch) || !flags.Double("--lr", &hp.lr) ||
      !flags.Int("--seed", &hp.seed) || !flags.Int("--threads", &hp.threads) || !flags.Finish()) {
    return 2;
  }
  if (data_path.empty() || out.empty() || spec.positive.empty()) {
    std::fputs(kTrainUsage, stderr);
    return 2;
  }
  if (!data_options.group_field.empty() && folds > 0 && flags.Has("--folds")) {
    flags.Bad("--cv-group and --folds exclude each other");
    return 2;
  }
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

int Eval(const std::vector<std::string>& args) {
  Flags flags(args, 1, "eval");
  if (flags.help()) {
    std::fputs(kEvalUsage, stdout);
    return 0;
  }
  TrainingDataOptions data_options;
  data_options.text_field = flags.Get("--text-field", "text");
  data_options.label_field = flags.Get("--label-field", "label");
  data_options.group_field = flags.Get("--group-field");
  const std::string model_dir = flags.Get("--model");
  const std::string data_path = flags.Get("--data");
  const bool as_json = flags.Has("--json");
  if (!flags.Finish()) return 2;
  if (model_dir.empty() || data_path.empty()) {
    std::fputs(kEvalUsage, stderr);
    return 2;
  }
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

int Check(const std::vector<std::string>& args) {
  Flags flags(args, 1, "check");
  if (flags.help()) {
    std::fputs(kCheckUsage, stdout);
    return 0;
  }
  const std::string label = flags.Get("--label");
  if (!flags.Finish(1)) return 2;
  if (flags.positional().size() != 1) {
    std::fputs(kCheckUsage, stderr);
    return 2;
  }
  const std::string& dir = flags.positional()[0];
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

int ExportLabels(const std::vector<std::string>& args) {
  Flags flags(args, 1, "export-labels");
  if (flags.help()) {
    std::fputs(kExportUsage, stdout);
    return 0;
  }
  const std::string url = flags.Get("--url");
  const std::string task = flags.Get("--task");
  const std::string out = flags.Get("--out");
  if (!flags.Finish()) return 2;
  if (url.empty()) {
    std::fputs(kExportUsage, stderr);
    return 2;
  }
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

}  // namespace

int ModelCommand(const std::vector<std::string>& args) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::fputs(kModelUsage, args.empty() ? stderr : stdout);
    return args.empty() ? 2 : 0;
  }
  if (args[0] == "train") return Train(args);
  if (args[0] == "eval") return Eval(args);
  if (args[0] == "check") return Check(args);
  if (args[0] == "export-labels") return ExportLabels(args);
  std::fprintf(stderr, "sakchy model: unknown subcommand '%s'\n%s", args[0].c_str(), kModelUsage);
  return 2;
}

}  // namespace sakchy::service

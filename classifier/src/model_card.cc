// The model card (card.json): written by `sakchy model train`, read by Model::Load. Parsed with
// yaml-cpp (JSON is YAML); every problem names the card and the field.

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <set>
#include <string>

#include "classifier/model.h"
#include "core/json_text.h"

namespace sakchy::classifier {
namespace {

// A small pretty-printing JSON writer (two-space indent, keys in the order written).
class JsonWriter {
 public:
  void Open(char bracket) {
    out_ += bracket;
    first_ = true;
    ++depth_;
  }
  void Close(char bracket) {
    --depth_;
    if (!first_) Newline();
    out_ += bracket;
    first_ = false;
  }
  void Key(std::string_view key) {
    Item();
    AppendJsonString(out_, key);
    out_ += ": ";
  }
  void Item() {
    if (!first_) out_ += ',';
    Newline();
    first_ = false;
  }
  void String(std::string_view s) { AppendJsonString(out_, s); }
  void Number(double d) { AppendJsonNumber(out_, d); }
  void Int(std::int64_t i) { out_ += std::to_string(i); }
  std::string& out() { return out_; }

 private:
  void Newline() {
    out_ += '\n';
    out_.append(static_cast<std::size_t>(depth_) * 2, ' ');
  }
  std::string out_;
  bool first_ = true;
  int depth_ = 0;
};

void WriteFigures(JsonWriter& w, const EvalFigures& f) {
  w.Open('{');
  w.Key("examples");
  w.Int(static_cast<std::int64_t>(f.examples));
  w.Key("accuracy");
  w.Number(f.accuracy);
  w.Key("macro_f1");
  w.Number(f.macro_f1);
  w.Key("labels");
  w.Open('{');
  for (const auto& l : f.labels) {
    w.Key(l.label);
    w.Open('{');
    w.Key("precision");
    w.Number(l.precision);
    w.Key("recall");
    w.Number(l.recall);
    w.Key("f1");
    w.Number(l.f1);
    w.Key("support");
    w.Int(static_cast<std::int64_t>(l.support));
    w.Close('}');
  }
  w.Close('}');
  w.Close('}');
}

// Reads fields of one mapping, reporting the first problem as "origin: field: problem".
class CardReader {
 public:
  CardReader(const std::string& origin, std::string* error) : origin_(origin), error_(error) {}

  bool Fail(const std::string& field, const std::string& problem) {
    if (error_->empty()) *error_ = origin_ + ": " + field + ": " + problem;
    return false;
  }
  YAML::Node Need(const YAML::Node& map, const char* key, const std::string& field) {
    if (!map.IsMap()) {
      Fail(field, "expected an object");
      return YAML::Node();
    }
    YAML::Node n = map[key];
    if (!n) Fail(field, "missing");
    return n;
  }
  template <typename T>
  bool Read(const YAML::Node& map, const char* key, const std::string& prefix, T* out) {
    const std::string field = prefix.empty() ? key : prefix + "." + key;
    YAML::Node n = Need(map, key, field);
    if (!n) return false;
    if (!n.IsScalar()) return Fail(field, "expected a value");
    try {
      *out = n.as<T>();
    } catch (const YAML::Exception&) {
      return Fail(field, "wrong type");
    }
    return true;
  }

 private:
  const std::string& origin_;
  std::string* error_;
};

bool ReadFigures(CardReader& r, const YAML::Node& node, const std::string& field,
                 EvalFigures* f) {
  if (!r.Read(node, "examples", field, &f->examples) ||
      !r.Read(node, "accuracy", field, &f->accuracy) ||
      !r.Read(node, "macro_f1", field, &f->macro_f1)) {
    return false;
  }
  YAML::Node labels = r.Need(node, "labels", field + ".labels");
  if (!labels) return false;
  if (!labels.IsMap()) return r.Fail(field + ".labels", "expected an object");
  for (const auto& kv : labels) {
    LabelFigures l;
    l.label = kv.first.as<std::string>();
    const std::string lf = field + ".labels." + l.label;
    if (!r.Read(kv.second, "precision", lf, &l.precision) ||
        !r.Read(kv.second, "recall", lf, &l.recall) || !r.Read(kv.second, "f1", lf, &l.f1) ||
        !r.Read(kv.second, "support", lf, &l.support)) {
      return false;
    }
    f->labels.push_back(std::move(l));
  }
  return true;
}

bool ReadCard(CardReader& r, const YAML::Node& root, ModelCard* c) {
  if (!root.IsMap()) return r.Fail("(top)", "expected a JSON object");
  if (!r.Read(root, "format_version", "", &c->format_version)) return false;
  if (c->format_version != kModelFormatVersion) {
    return r.Fail("format_version", "version " + std::to_string(c->format_version) +
                                        " is not supported (this build reads version " +
                                        std::to_string(kModelFormatVersion) + ")");
  }
  if (!r.Read(root, "name", "", &c->name) || !r.Read(root, "task", "", &c->task) ||
      !r.Read(root, "positive", "", &c->positive) ||
      !r.Read(root, "text_version", "", &c->text_version) ||
      !r.Read(root, "model_sha256", "", &c->model_sha256) ||
      !r.Read(root, "trained_at", "", &c->trained_at)) {
    return false;
  }
  YAML::Node labels = r.Need(root, "labels", "labels");
  if (!labels) return false;
  if (!labels.IsSequence() || labels.size() < 2) {
    return r.Fail("labels", "expected a list of at least two labels");
  }
  std::set<std::string> seen;
  for (const auto& l : labels) {
    if (!l.IsScalar()) return r.Fail("labels", "expected strings");
    c->labels.push_back(l.as<std::string>());
    if (!seen.insert(c->labels.back()).second) {
      return r.Fail("labels", "label '" + c->labels.back() + "' twice");
    }
  }
  if (!seen.contains(c->positive)) {
    return r.Fail("positive", "'" + c->positive + "' is not one of the labels");
  }
  if (c->model_sha256.size() != 64) return r.Fail("model_sha256", "expected 64 hex digits");

  YAML::Node data = r.Need(root, "training_data", "training_data");
  if (!data) return false;
  auto& d = c->training_data;
  if (!r.Read(data, "description", "training_data", &d.description) ||
      !r.Read(data, "file", "training_data", &d.file) ||
      !r.Read(data, "sha256", "training_data", &d.sha256) ||
      !r.Read(data, "examples", "training_data", &d.examples) ||
      !r.Read(data, "group_field", "training_data", &d.group_field) ||
      !r.Read(data, "groups", "training_data", &d.groups)) {
    return false;
  }
  YAML::Node per_label = r.Need(data, "per_label", "training_data.per_label");
  if (!per_label) return false;
  if (!per_label.IsMap()) return r.Fail("training_data.per_label", "expected an object");
  for (const auto& kv : per_label) {
    d.per_label.emplace_back(kv.first.as<std::string>(), 0);
    if (!r.Read(per_label, d.per_label.back().first.c_str(), "training_data.per_label",
                &d.per_label.back().second)) {
      return false;
    }
  }

  YAML::Node hp = r.Need(root, "hyperparameters", "hyperparameters");
  if (!hp) return false;
  auto& h = c->hyperparameters;
  const std::string hf = "hyperparameters";
  if (!r.Read(hp, "dim", hf, &h.dim) || !r.Read(hp, "minn", hf, &h.minn) ||
      !r.Read(hp, "maxn", hf, &h.maxn) || !r.Read(hp, "bucket", hf, &h.bucket) ||
      !r.Read(hp, "word_ngrams", hf, &h.word_ngrams) || !r.Read(hp, "epoch", hf, &h.epoch) ||
      !r.Read(hp, "lr", hf, &h.lr) || !r.Read(hp, "seed", hf, &h.seed) ||
      !r.Read(hp, "threads", hf, &h.threads)) {
    return false;
  }

  YAML::Node cv = r.Need(root, "cross_validation", "cross_validation");
  if (!cv) return false;
  auto& x = c->cross_validation;
  if (!r.Read(cv, "scheme", "cross_validation", &x.scheme) ||
      !r.Read(cv, "folds", "cross_validation", &x.folds)) {
    return false;
  }
  if (x.scheme != "none") {
    YAML::Node pooled = r.Need(cv, "pooled", "cross_validation.pooled");
    if (!pooled || !ReadFigures(r, pooled, "cross_validation.pooled", &x.pooled)) return false;
    YAML::Node per_fold = r.Need(cv, "per_fold", "cross_validation.per_fold");
    if (!per_fold) return false;
    if (!per_fold.IsMap()) return r.Fail("cross_validation.per_fold", "expected an object");
    for (const auto& kv : per_fold) {
      x.per_fold.emplace_back(kv.first.as<std::string>(), EvalFigures{});
      if (!ReadFigures(r, kv.second, "cross_validation.per_fold." + x.per_fold.back().first,
                       &x.per_fold.back().second)) {
        return false;
      }
    }
  }
  return true;
}

}  // namespace

std::string ModelCardToJson(const ModelCard& c) {
  JsonWriter w;
  w.Open('{');
  w.Key("format_version");
  w.Int(c.format_version);
  w.Key("name");
  w.String(c.name);
  w.Key("task");
  w.String(c.task);
  w.Key("labels");
  w.Open('[');
  for (const auto& l : c.labels) {
    w.Item();
    w.String(l);
  }
  w.Close(']');
  w.Key("positive");
  w.String(c.positive);
  w.Key("text_version");
  w.String(c.text_version);
  w.Key("model_sha256");
  w.String(c.model_sha256);
  w.Key("trained_at");
  w.String(c.trained_at);

  const auto& d = c.training_data;
  w.Key("training_data");
  w.Open('{');
  w.Key("description");
  w.String(d.description);
  w.Key("file");
  w.String(d.file);
  w.Key("sha256");
  w.String(d.sha256);
  w.Key("examples");
  w.Int(static_cast<std::int64_t>(d.examples));
  w.Key("per_label");
  w.Open('{');
  for (const auto& [label, n] : d.per_label) {
    w.Key(label);
    w.Int(static_cast<std::int64_t>(n));
  }
  w.Close('}');
  w.Key("group_field");
  w.String(d.group_field);
  w.Key("groups");
  w.Int(static_cast<std::int64_t>(d.groups));
  w.Close('}');

  const auto& h = c.hyperparameters;
  w.Key("hyperparameters");
  w.Open('{');
  w.Key("dim");
  w.Int(h.dim);
  w.Key("minn");
  w.Int(h.minn);
  w.Key("maxn");
  w.Int(h.maxn);
  w.Key("bucket");
  w.Int(h.bucket);
  w.Key("word_ngrams");
  w.Int(h.word_ngrams);
  w.Key("epoch");
  w.Int(h.epoch);
  w.Key("lr");
  w.Number(h.lr);
  w.Key("seed");
  w.Int(h.seed);
  w.Key("threads");
  w.Int(h.threads);
  w.Close('}');

  const auto& x = c.cross_validation;
  w.Key("cross_validation");
  w.Open('{');
  w.Key("scheme");
  w.String(x.scheme);
  w.Key("folds");
  w.Int(x.folds);
  if (x.scheme != "none") {
    w.Key("pooled");
    WriteFigures(w, x.pooled);
    w.Key("per_fold");
    w.Open('{');
    for (const auto& [name, figures] : x.per_fold) {
      w.Key(name);
      WriteFigures(w, figures);
    }
    w.Close('}');
  }
  w.Close('}');
  w.Close('}');
  w.out() += '\n';
  return std::move(w.out());
}

Result<ModelCard> ParseModelCard(std::string_view json, const std::string& origin) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(json));
  } catch (const YAML::Exception& e) {
    return MakeError(ErrorCode::kInvalidArgument,
                     origin + ": not valid JSON: " + std::string(e.what()));
  }
  ModelCard card;
  std::string error;
  CardReader reader(origin, &error);
  bool ok = false;
  try {
    ok = ReadCard(reader, root, &card);
  } catch (const YAML::Exception& e) {
    if (error.empty()) error = origin + ": " + e.what();
  }
  if (!ok) return MakeError(ErrorCode::kInvalidArgument, error);
  return card;
}

}  // namespace sakchy::classifier

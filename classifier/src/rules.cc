#include "rules.h"

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <exception>
#include <set>

namespace sakchy::classifier::internal {
namespace {

constexpr double kMaxWeight = 1000;

int LineOf(const YAML::Node& node) { return node.Mark().line + 1; }

// Collects problems of one file with its name, the current rule id and line.
class Reporter {
 public:
  Reporter(const std::string& file, std::vector<std::string>& errors)
      : file_(file), errors_(errors) {}
  void Add(int line, std::string_view rule, const std::string& problem) {
    std::string msg = file_ + ":" + std::to_string(line) + ": ";
    if (!rule.empty()) msg += "rule " + std::string(rule) + ": ";
    errors_.push_back(msg + problem);
  }
  const std::string& file() const { return file_; }

 private:
  const std::string& file_;
  std::vector<std::string>& errors_;
};

bool IsIdChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}
bool IsCategoryChar(char c) { return (c >= 'a' && c <= 'z') || c == '_'; }

bool ValidName(std::string_view s, bool (*ok)(char)) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!ok(c)) return false;
  }
  return true;
}

void CheckKeys(const YAML::Node& map, const std::set<std::string_view>& allowed,
               std::string_view rule, std::string_view where, Reporter& rep) {
  for (const auto& kv : map) {
    const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "?";
    if (!allowed.contains(key)) {
      std::string problem = "unknown key '" + key + "'";
      if (!where.empty()) problem += " in " + std::string(where);
      rep.Add(LineOf(kv.first), rule, problem);
    }
  }
}

std::optional<std::string> ScalarString(const YAML::Node& node) {
  if (!node.IsScalar()) return std::nullopt;
  return node.Scalar();
}

std::optional<double> ScalarNumber(const YAML::Node& node) {
  if (!node.IsScalar()) return std::nullopt;
  try {
    return node.as<double>();
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// `allow_negative`: rule weights may be from -1000 (docs/RULES.md "Scoring").
void ParseWeight(const YAML::Node& node, std::string_view rule, double& out, Reporter& rep,
                 bool allow_negative = false) {
  const std::optional<double> w = ScalarNumber(node);
  const double min = allow_negative ? -kMaxWeight : 0;
  if (!w || !std::isfinite(*w) || *w < min || *w > kMaxWeight) {
    rep.Add(LineOf(node), rule,
            "invalid weight '" + (node.IsScalar() ? node.Scalar() : std::string("?")) +
                "': expected a number from " + std::to_string(static_cast<int>(min)) + " to " +
                std::to_string(static_cast<int>(kMaxWeight)));
    return;
  }
  out = *w;
}

std::optional<Morphology> ParseMorphology(const YAML::Node& node, std::string_view rule,
                                          Reporter& rep) {
  const std::optional<std::string> s = ScalarString(node);
  if (s && *s == "stems") return Morphology::kStems;
  if (s && *s == "exact") return Morphology::kExact;
  rep.Add(LineOf(node), rule, "invalid morphology: expected stems or exact");
  return std::nullopt;
}

std::optional<bool> ParseBool(const YAML::Node& node) {
  const std::optional<std::string> s = ScalarString(node);
  if (s && *s == "true") return true;
  if (s && *s == "false") return false;
  return std::nullopt;
}

void ParseSeverity(const YAML::Node& node, std::string_view rule, std::optional<Severity>& out,
                   Reporter& rep) {
  const std::optional<std::string> s = ScalarString(node);
  std::optional<Severity> sev = s ? ::sakchy::ParseSeverity(*s) : std::nullopt;
  if (!sev) {
    rep.Add(LineOf(node), rule, "invalid severity: expected info, low, medium, high or critical");
    return;
  }
  out = sev;
}

std::optional<std::uint8_t> LanguageBit(std::string_view name) {
  if (name == "ky") return kLangKy;
  if (name == "ru") return kLangRu;
  if (name == "uz") return kLangUz;
  if (name == "en") return kLangEn;
  return std::nullopt;
}

std::vector<TermItem> ParseTermSequence(const YAML::Node& node, std::string_view rule,
                                        std::string_view key, std::uint8_t langs, Reporter& rep);

// A list of terms, or a map of languages to lists of terms ({ru: [...], ky: [...]}).
std::vector<TermItem> ParseTerms(const YAML::Node& node, std::string_view rule,
                                 std::string_view key, Reporter& rep) {
  if (!node.IsMap()) return ParseTermSequence(node, rule, key, kLangAll, rep);
  std::vector<TermItem> out;
  for (const auto& kv : node) {
    const std::string lang = kv.first.IsScalar() ? kv.first.Scalar() : "?";
    const std::optional<std::uint8_t> bit = LanguageBit(lang);
    if (!bit) {
      rep.Add(LineOf(kv.first), rule, "'" + std::string(key) + "': unknown language '" + lang +
                                          "': use ky, ru, uz or en");
      continue;
    }
    std::vector<TermItem> terms =
        ParseTermSequence(kv.second, rule, std::string(key) + "." + lang, *bit, rep);
    out.insert(out.end(), terms.begin(), terms.end());
  }
  if (out.empty() && node.size() == 0) {
    rep.Add(LineOf(node), rule, "'" + std::string(key) + "' has no language");
  }
  return out;
}

std::vector<TermItem> ParseTermSequence(const YAML::Node& node, std::string_view rule,
                                        std::string_view key, std::uint8_t langs, Reporter& rep) {
  std::vector<TermItem> out;
  if (!node.IsSequence()) {
    rep.Add(LineOf(node), rule, "'" + std::string(key) + "' must be a list of terms");
    return out;
  }
  for (const YAML::Node& item : node) {
    const std::optional<std::string> s = ScalarString(item);
    if (!s) {
      rep.Add(LineOf(item), rule, "'" + std::string(key) + "': a term must be a string");
      continue;
    }
    std::string_view t = *s;
    while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.remove_prefix(1);
    while (!t.empty() && (t.back() == ' ' || t.back() == '\t')) t.remove_suffix(1);
    if (t.empty() || t == "*" || t == "@") {
      rep.Add(LineOf(item), rule, "'" + std::string(key) + "': empty term");
      continue;
    }
    out.push_back(TermItem{std::string(t), LineOf(item), langs});
  }
  return out;
}

std::vector<std::string> ParseStrings(const YAML::Node& node, std::string_view rule,
                                      std::string_view key, Reporter& rep) {
  std::vector<std::string> out;
  if (!node.IsSequence()) {
    rep.Add(LineOf(node), rule, "'" + std::string(key) + "' must be a list of strings");
    return out;
  }
  for (const YAML::Node& item : node) {
    std::optional<std::string> s = ScalarString(item);
    if (!s || s->empty()) {
      rep.Add(LineOf(item), rule, "'" + std::string(key) + "': expected a non-empty string");
      continue;
    }
    out.push_back(std::move(*s));
  }
  return out;
}

void ParseExamples(const YAML::Node& node, std::string_view rule, Examples& out, Reporter& rep) {
  if (!node.IsMap()) {
    rep.Add(LineOf(node), rule, "'examples' must be a map with 'match' and 'no_match'");
    return;
  }
  CheckKeys(node, {"match", "no_match"}, rule, "examples", rep);
  for (const char* key : {"match", "no_match"}) {
    const YAML::Node list = node[key];
    if (!list) continue;
    if (!list.IsSequence()) {
      rep.Add(LineOf(list), rule, std::string("examples: '") + key + "' must be a list of texts");
      continue;
    }
    for (const YAML::Node& item : list) {
      std::optional<std::string> s = ScalarString(item);
      if (!s) {
        rep.Add(LineOf(item), rule, std::string("examples: '") + key + "': expected a text");
        continue;
      }
      (std::string_view(key) == "match" ? out.match : out.no_match)
          .emplace_back(std::move(*s), LineOf(item));
    }
  }
}

// id: required, [a-z0-9_.-]+. Returns the id or "" (and reports).
std::string ParseId(const YAML::Node& entry, std::string_view kind, Reporter& rep) {
  const YAML::Node id = entry["id"];
  if (!id) {
    rep.Add(LineOf(entry), "", std::string(kind) + " without 'id'");
    return "";
  }
  std::optional<std::string> s = ScalarString(id);
  if (!s || !ValidName(*s, IsIdChar)) {
    rep.Add(LineOf(id), "", "invalid " + std::string(kind) + " id '" +
                                (s ? *s : std::string("?")) + "': use [a-z0-9_.-]+");
    return "";
  }
  return *s;
}

void ParseRule(const YAML::Node& entry, RuleSetSpec& spec, Reporter& rep) {
  if (!entry.IsMap()) {
    rep.Add(LineOf(entry), "", "a rule must be a map");
    return;
  }
  RuleSpec rule;
  rule.file = rep.file();
  rule.line = LineOf(entry);
  rule.id = ParseId(entry, "rule", rep);
  const std::string label = rule.id.empty() ? "?" : rule.id;
  CheckKeys(entry,
            {"id", "description", "category", "weight", "morphology", "negatable", "any", "all",
             "none", "near", "within_words", "exceptions", "severity", "tags", "examples"},
            label, "", rep);
  if (const YAML::Node n = entry["description"]) rule.description = ScalarString(n).value_or("");
  if (const YAML::Node n = entry["category"]) {
    std::optional<std::string> s = ScalarString(n);
    if (!s || !ValidName(*s, IsCategoryChar)) {
      rep.Add(LineOf(n), label, "invalid category: use [a-z_]+");
    } else {
      rule.category = *s;
    }
  } else {
    rep.Add(rule.line, label, "missing 'category'");
  }
  if (const YAML::Node n = entry["weight"]) {
    ParseWeight(n, label, rule.weight, rep, /*allow_negative=*/true);
    if (rule.weight < 0 && entry["severity"]) {
      rep.Add(LineOf(n), label, "a rule with a negative weight cannot have a 'severity'");
    }
  }
  if (const YAML::Node n = entry["morphology"]) rule.morphology = ParseMorphology(n, label, rep);
  if (const YAML::Node n = entry["negatable"]) {
    const std::optional<bool> b = ParseBool(n);
    if (!b) {
      rep.Add(LineOf(n), label, "invalid negatable: expected true or false");
    } else {
      rule.negatable = *b;
    }
  }
  if (const YAML::Node n = entry["any"]) rule.any = ParseTerms(n, label, "any", rep);
  if (const YAML::Node n = entry["all"]) rule.all = ParseTerms(n, label, "all", rep);
  if (const YAML::Node n = entry["none"]) rule.none = ParseTerms(n, label, "none", rep);
  if (const YAML::Node n = entry["near"]) {
    rule.near = ParseTerms(n, label, "near", rep);
    if (rule.near.size() != 2 && n.IsSequence()) {
      rep.Add(LineOf(n), label, "'near' needs exactly two items: near: [a, b]");
      rule.near.clear();
    }
    if (!entry["within_words"]) rep.Add(LineOf(n), label, "'near' needs 'within_words: N'");
  }
  if (const YAML::Node n = entry["within_words"]) {
    const std::optional<double> v = ScalarNumber(n);
    if (!v || *v != std::floor(*v) || *v < 0 || *v > kMaxWithinWords) {
      rep.Add(LineOf(n), label, "invalid within_words: expected a whole number from 0 to " +
                                    std::to_string(kMaxWithinWords));
    } else {
      rule.within_words = static_cast<int>(*v);
    }
    if (!entry["near"]) rep.Add(LineOf(n), label, "'within_words' without 'near'");
  }
  if (const YAML::Node n = entry["exceptions"]) {
    rule.exceptions = ParseTerms(n, label, "exceptions", rep);
  }
  if (rule.all.size() > kMaxAllItems) {
    rep.Add(LineOf(entry["all"]), label,
            "'all' has more than " + std::to_string(kMaxAllItems) + " items");
  }
  if (!entry["any"] && !entry["all"] && !entry["near"]) {
    rep.Add(rule.line, label, "needs 'any', 'all' or 'near' terms");
  }
  if (const YAML::Node n = entry["severity"]) ParseSeverity(n, label, rule.severity, rep);
  if (const YAML::Node n = entry["tags"]) rule.tags = ParseStrings(n, label, "tags", rep);
  if (const YAML::Node n = entry["examples"]) ParseExamples(n, label, rule.examples, rep);
  if (!rule.id.empty()) spec.rules.push_back(std::move(rule));
}

void ParseTension(const YAML::Node& entry, RuleSetSpec& spec, Reporter& rep) {
  if (!entry.IsMap()) {
    rep.Add(LineOf(entry), "", "a tension rule must be a map");
    return;
  }
  TensionSpec t;
  t.file = rep.file();
  t.line = LineOf(entry);
  t.id = ParseId(entry, "tension rule", rep);
  const std::string label = t.id.empty() ? "?" : t.id;
  CheckKeys(entry,
            {"id", "description", "category", "weight", "all_categories", "severity", "tags",
             "examples"},
            label, "", rep);
  if (const YAML::Node n = entry["description"]) t.description = ScalarString(n).value_or("");
  if (const YAML::Node n = entry["category"]) {
    std::optional<std::string> s = ScalarString(n);
    if (!s || !ValidName(*s, IsCategoryChar)) {
      rep.Add(LineOf(n), label, "invalid category: use [a-z_]+");
    } else {
      t.category = *s;
    }
  }
  if (const YAML::Node n = entry["weight"]) ParseWeight(n, label, t.weight, rep);
  if (const YAML::Node n = entry["all_categories"]) {
    t.all_categories = ParseStrings(n, label, "all_categories", rep);
    if (t.all_categories.empty() && n.IsSequence()) {
      rep.Add(LineOf(n), label, "'all_categories' is empty");
    }
  } else {
    rep.Add(t.line, label, "missing 'all_categories'");
  }
  if (const YAML::Node n = entry["severity"]) ParseSeverity(n, label, t.severity, rep);
  if (const YAML::Node n = entry["tags"]) t.tags = ParseStrings(n, label, "tags", rep);
  if (const YAML::Node n = entry["examples"]) ParseExamples(n, label, t.examples, rep);
  if (!t.id.empty()) spec.tensions.push_back(std::move(t));
}

void ParseThresholds(const YAML::Node& node, RuleSetSpec& spec, Reporter& rep) {
  spec.threshold_sources.push_back(rep.file() + ":" + std::to_string(LineOf(node)));
  if (!node.IsMap()) {
    rep.Add(LineOf(node), "", "severity_thresholds must be a map {low, medium, high, critical}");
    return;
  }
  CheckKeys(node, {"low", "medium", "high", "critical"}, "", "severity_thresholds", rep);
  const char* names[] = {"low", "medium", "high", "critical"};
  std::array<double, 4> values = spec.thresholds;
  bool ok = true;
  for (int i = 0; i < 4; ++i) {
    const YAML::Node n = node[names[i]];
    if (!n) {
      rep.Add(LineOf(node), "", std::string("severity_thresholds: missing '") + names[i] + "'");
      ok = false;
      continue;
    }
    const std::optional<double> v = ScalarNumber(n);
    if (!v || !std::isfinite(*v) || *v <= 0) {
      rep.Add(LineOf(n), "", std::string("severity_thresholds: '") + names[i] +
                                 "' must be a positive number");
      ok = false;
      continue;
    }
    values[i] = *v;
  }
  if (!ok) return;
  for (int i = 1; i < 4; ++i) {
    if (values[i] <= values[i - 1]) {
      rep.Add(LineOf(node), "",
              "severity_thresholds must increase: low < medium < high < critical");
      return;
    }
  }
  spec.thresholds = values;
}

void ParseLists(const YAML::Node& node, RuleSetSpec& spec, Reporter& rep) {
  if (!node.IsMap()) {
    rep.Add(LineOf(node), "", "'lists' must be a map of name: [terms]");
    return;
  }
  for (const auto& kv : node) {
    const std::string name = kv.first.IsScalar() ? kv.first.Scalar() : "";
    if (!ValidName(name, IsIdChar)) {
      rep.Add(LineOf(kv.first), "", "invalid list name '" + name + "': use [a-z0-9_.-]+");
      continue;
    }
    ListSpec list;
    list.file = rep.file();
    list.line = LineOf(kv.first);
    list.terms = ParseTerms(kv.second, "", "lists: " + name, rep);
    for (const TermItem& t : list.terms) {
      if (t.text.starts_with("@")) {
        rep.Add(t.line, "", "list '" + name + "' refers to another list (" + t.text +
                                "); lists hold terms only");
      }
    }
    if (list.terms.empty() && kv.second.IsSequence()) {
      rep.Add(list.line, "", "list '" + name + "' is empty");
    }
    auto [it, inserted] = spec.lists.emplace(name, std::move(list));
    if (!inserted) {
      rep.Add(LineOf(kv.first), "", "duplicate list '" + name + "' (first defined at " +
                                        it->second.file + ":" + std::to_string(it->second.line) +
                                        ")");
    }
  }
}

void ParseNegation(const YAML::Node& node, RuleSetSpec& spec, Reporter& rep) {
  spec.negation_sources.push_back(rep.file() + ":" + std::to_string(LineOf(node)));
  if (!node.IsMap()) {
    rep.Add(LineOf(node), "", "negation must be a map {cues, window_words}");
    return;
  }
  CheckKeys(node, {"cues", "window_words"}, "", "negation", rep);
  if (const YAML::Node n = node["cues"]) {
    spec.negation.cues = ParseTerms(n, "", "negation: cues", rep);
    for (const TermItem& t : spec.negation.cues) {
      if (t.text.starts_with("@")) rep.Add(t.line, "", "negation: cues cannot refer to lists");
    }
    if (spec.negation.cues.empty() && n.IsSequence()) {
      rep.Add(LineOf(n), "", "negation: 'cues' is empty");
    }
  } else {
    rep.Add(LineOf(node), "", "negation: missing 'cues'");
  }
  if (const YAML::Node n = node["window_words"]) {
    const std::optional<double> v = ScalarNumber(n);
    if (!v || *v != std::floor(*v) || *v < 1 || *v > kMaxNegationWindow) {
      rep.Add(LineOf(n), "", "negation: invalid window_words: expected a whole number from 1 to " +
                                 std::to_string(kMaxNegationWindow));
    } else {
      spec.negation.window_words = static_cast<int>(*v);
    }
  }
}

void ParseDocument(const YAML::Node& root, RuleSetSpec& spec, Reporter& rep) {
  if (!root || root.IsNull()) return;  // an empty file is allowed
  if (!root.IsMap()) {
    rep.Add(LineOf(root), "", "a rules file must be a map (version, lists, rules, tension)");
    return;
  }
  CheckKeys(root,
            {"version", "severity_thresholds", "place_weight", "morphology", "negation",
             "proper_names", "lists", "rules", "tension"},
            "", "", rep);
  const YAML::Node version = root["version"];
  if (!version) {
    rep.Add(LineOf(root), "", "missing 'version: 1'");
  } else if (!version.IsScalar() || version.Scalar() != "1") {
    rep.Add(LineOf(version), "", "unsupported version '" +
                                     (version.IsScalar() ? version.Scalar() : std::string("?")) +
                                     "': this build reads version 1");
  }
  if (const YAML::Node n = root["severity_thresholds"]) ParseThresholds(n, spec, rep);
  if (const YAML::Node n = root["place_weight"]) {
    spec.place_weight_sources.push_back(rep.file() + ":" + std::to_string(LineOf(n)));
    ParseWeight(n, "", spec.place_weight, rep);
  }
  if (const YAML::Node n = root["morphology"]) {
    spec.morphology_sources.push_back(rep.file() + ":" + std::to_string(LineOf(n)));
    if (std::optional<Morphology> m = ParseMorphology(n, "", rep)) spec.morphology = *m;
  }
  if (const YAML::Node n = root["negation"]) ParseNegation(n, spec, rep);
  if (const YAML::Node n = root["proper_names"]) {
    spec.proper_names_sources.push_back(rep.file() + ":" + std::to_string(LineOf(n)));
    const std::optional<std::string> s = ScalarString(n);
    if (s && (*s == "skip" || *s == "match")) {
      spec.skip_proper_names = *s == "skip";
    } else {
      rep.Add(LineOf(n), "", "invalid proper_names: expected skip or match");
    }
  }
  if (const YAML::Node n = root["lists"]) ParseLists(n, spec, rep);
  if (const YAML::Node n = root["rules"]) {
    if (!n.IsSequence()) {
      rep.Add(LineOf(n), "", "'rules' must be a list");
    } else {
      for (const YAML::Node& entry : n) ParseRule(entry, spec, rep);
    }
  }
  if (const YAML::Node n = root["tension"]) {
    if (!n.IsSequence()) {
      rep.Add(LineOf(n), "", "'tension' must be a list");
    } else {
      for (const YAML::Node& entry : n) ParseTension(entry, spec, rep);
    }
  }
}

}  // namespace

void ParseRuleFile(const std::string& name, std::string_view contents, RuleSetSpec& spec,
                   std::vector<std::string>& errors) {
  Reporter rep(name, errors);
  try {
    const YAML::Node root = YAML::Load(std::string(contents));
    ParseDocument(root, spec, rep);
  } catch (const YAML::Exception& e) {
    rep.Add(e.mark.line + 1, "", "YAML syntax: " + e.msg);
  } catch (const std::exception& e) {
    rep.Add(0, "", std::string("cannot parse: ") + e.what());
  }
}

void Validate(const RuleSetSpec& spec, std::vector<std::string>& errors) {
  auto add = [&errors](const std::string& file, int line, const std::string& rule,
                       const std::string& problem) {
    errors.push_back(file + ":" + std::to_string(line) + ": rule " + rule + ": " + problem);
  };
  if (spec.threshold_sources.size() > 1) {
    std::string where;
    for (const std::string& s : spec.threshold_sources) where += (where.empty() ? "" : ", ") + s;
    errors.push_back(spec.threshold_sources[1] +
                     ": severity_thresholds defined in more than one file (" + where + ")");
  }
  const std::pair<const std::vector<std::string>*, const char*> settings[] = {
      {&spec.place_weight_sources, "place_weight"},
      {&spec.morphology_sources, "morphology"},
      {&spec.negation_sources, "negation"},
      {&spec.proper_names_sources, "proper_names"}};
  for (const auto& [sources, name] : settings) {
    if (sources->size() > 1) {
      errors.push_back((*sources)[1] + ": " + name + " defined in more than one file");
    }
  }
  std::map<std::string, std::string> ids;  // id -> "file:line"
  std::set<std::string> categories = {"place"};
  for (const RuleSpec& r : spec.rules) {
    const std::string where = r.file + ":" + std::to_string(r.line);
    auto [it, inserted] = ids.emplace(r.id, where);
    if (!inserted) add(r.file, r.line, r.id, "duplicate id (first defined at " + it->second + ")");
    if (!r.category.empty()) categories.insert(r.category);
    if (r.negatable && spec.negation.cues.empty()) {
      add(r.file, r.line, r.id, "'negatable' needs negation cues ('negation: {cues: ...}')");
    }
    for (const auto* items : {&r.any, &r.all, &r.none, &r.near, &r.exceptions}) {
      for (const TermItem& t : *items) {
        if (t.text.starts_with("@") && !spec.lists.contains(t.text.substr(1))) {
          add(r.file, t.line, r.id, "unknown list '" + t.text + "'");
        }
      }
    }
  }
  for (const TensionSpec& t : spec.tensions) {
    const std::string where = t.file + ":" + std::to_string(t.line);
    auto [it, inserted] = ids.emplace(t.id, where);
    if (!inserted) add(t.file, t.line, t.id, "duplicate id (first defined at " + it->second + ")");
  }
  for (const TensionSpec& t : spec.tensions) {
    for (const std::string& c : t.all_categories) {
      if (!categories.contains(c)) {
        add(t.file, t.line, t.id, "unknown category '" + c + "' (no rule has it)");
      }
    }
  }
}

}  // namespace sakchy::classifier::internal

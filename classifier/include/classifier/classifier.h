#pragma once
// Scores texts against a compiled ruleset: normalise (ICU), match every term and place name in one
// Hyperscan pass, evaluate only the rules with hits, sum weights, map the score to a severity,
// and locate the text in the area hierarchy.

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "classifier/language.h"
#include "config/areas.h"
#include "core/result.h"
#include "core/types.h"

namespace sakchy::classifier {

struct Classification {
  std::vector<Match> matches;           // offsets into the original text
  std::vector<std::string> categories;  // distinct, sorted
  double score = 0;
  Severity severity = Severity::kInfo;
  // The part of `score` the rules gave, and what each learned model added (empty without
  // models: then rules_score == score). See classifier/with_models.h.
  double rules_score = 0;
  std::vector<ModelScore> models;
  std::vector<PlaceMention> places;
  // The most specific area named unambiguously in the text; std::nullopt when none or ambiguous.
  std::optional<AreaCode> area;
  // DetectLanguage(text); terms written for other languages were not matched (docs/RULES.md).
  Language language = Language::kUnknown;
};

struct RuleSetInfo {
  std::string version;  // hex SHA-256 over the rule files' names and contents
  TimeMs loaded_at = 0;
  std::size_t rule_count = 0;
  std::size_t term_count = 0;
  std::size_t place_pattern_count = 0;
  std::vector<std::string> files;
  // Minimum score for low, medium, high, critical.
  std::array<double, 4> thresholds = {1, 3, 6, 10};
};

// An immutable compiled ruleset. Thread safety: Classify() may be called concurrently from any
// number of threads (each thread gets its own Hyperscan scratch). Never blocks on I/O.
class Classifier {
 public:
  Classifier(const Classifier&) = delete;
  Classifier& operator=(const Classifier&) = delete;
  virtual ~Classifier() = default;

  // Loads every *.yaml rule file in `rules_dir` (a directory or "embedded:rules"), compiles the
  // terms and the place names of `areas`, then runs every rule's embedded examples. Any error
  // (YAML syntax, unknown list, duplicate id, unsupported pattern, failing example) fails the load;
  // Error::message has one "file:line: rule <id>: problem" line per issue.
  [[nodiscard]] static Result<std::shared_ptr<const Classifier>> Load(
      const std::string& rules_dir, const config::AreaTree& areas, TimeMs now);
  // The same from in-memory files: (name used in messages, YAML contents). For tests, tools and
  // fuzzing; `files` are read in the order given.
  [[nodiscard]] static Result<std::shared_ptr<const Classifier>> LoadFromSources(
      const std::vector<std::pair<std::string, std::string>>& files,
      const config::AreaTree& areas, TimeMs now);

  // `text` must be valid UTF-8.
  virtual Classification Classify(std::string_view text) const = 0;
  virtual const RuleSetInfo& info() const = 0;

 protected:
  Classifier() = default;
};

}  // namespace sakchy::classifier

#pragma once
// Labelled NDJSON for `sakchy model train | eval` (docs/MODELS.md): one JSON object per line
// with a text field, a label field and optionally a group and an id field.

#include <string>
#include <vector>

#include "classifier/model_training.h"
#include "core/result.h"

namespace sakchy::service {

struct TrainingDataOptions {
  std::string text_field = "text";
  std::string label_field = "label";
  std::string group_field;  // empty: none
  std::string id_field;     // empty: none
  // Allowed labels; empty: any valid label name. A label value may be a string, an integer or a
  // boolean (1 -> "1", true -> "true").
  std::vector<std::string> labels;
};

struct TrainingData {
  std::vector<classifier::TrainingExample> examples;
  std::vector<std::string> ids;      // per example, when id_field is set
  std::vector<std::size_t> lines;    // per example, its line number (1-based)
  // One "line N: problem" per bad line (not valid JSON, missing or empty text, missing label,
  // unknown label, missing group); blank lines are skipped.
  std::vector<std::string> errors;
  std::string sha256;  // of the file's bytes
};

// Reads `path` ("-": standard input). I/O errors fail; bad lines are listed in `errors`.
[[nodiscard]] Result<TrainingData> ReadTrainingData(const std::string& path,
                                                    const TrainingDataOptions& options);

}  // namespace sakchy::service

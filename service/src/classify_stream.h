#pragma once
// Offline scoring of NDJSON (`sakchy classify`).

#include <cstdio>

#include "classifier/classifier.h"

namespace sakchy::service {

// Reads {"text": ...} lines from `in`, writes one result line per input line to `out`.
// Returns 0, or 1 when any line could not be read (its result line carries "error").
int ClassifyStream(const classifier::Classifier& classifier, std::FILE* in, std::FILE* out);

}  // namespace sakchy::service

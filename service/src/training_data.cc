#include "training_data.h"

#include <simdjson.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>

#include "core/crypto.h"
#include "core/utf8.h"

namespace sakchy::service {
namespace {

// The label value of `e` as a string: strings as they are, integers and booleans spelled out.
std::optional<std::string> LabelOf(simdjson::dom::element e) {
  switch (e.type()) {
    case simdjson::dom::element_type::STRING: return std::string(e.get_string().value());
    case simdjson::dom::element_type::INT64: return std::to_string(e.get_int64().value());
    case simdjson::dom::element_type::UINT64: return std::to_string(e.get_uint64().value());
    case simdjson::dom::element_type::BOOL: return e.get_bool().value() ? "true" : "false";
    default: return std::nullopt;
  }
}

std::string JoinLabels(const std::vector<std::string>& labels) {
  std::string out;
  for (const auto& l : labels) out += (out.empty() ? "" : ", ") + l;
  return out;
}

}  // namespace

Result<TrainingData> ReadTrainingData(const std::string& path, const TrainingDataOptions& o) {
  std::string bytes;
  if (path == "-") {
    bytes.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  } else {
    std::ifstream f(path, std::ios::binary);
    if (!f) return MakeError(ErrorCode::kNotFound, path + ": cannot open");
    bytes.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
    if (f.bad()) return MakeError(ErrorCode::kIo, path + ": cannot read");
  }
  TrainingData out;
  out.sha256 = Sha256Hex(bytes);
  simdjson::dom::parser parser;
  std::size_t number = 0;
  std::string_view rest = bytes;
  while (!rest.empty()) {
    ++number;
    const auto nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    auto bad = [&](const std::string& problem) {
      out.errors.push_back("line " + std::to_string(number) + ": " + problem);
    };
    if (!IsValidUtf8(line)) {
      bad("not valid UTF-8");
      continue;
    }
    simdjson::dom::element doc;
    if (auto err = parser.parse(line.data(), line.size()).get(doc)) {
      bad(std::string("not valid JSON: ") + simdjson::error_message(err));
      continue;
    }
    if (!doc.is_object()) {
      bad("not a JSON object");
      continue;
    }
    std::string_view text;
    if (doc[o.text_field].get_string().get(text)) {
      bad("missing \"" + o.text_field + "\" string");
      continue;
    }
    if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) {
      bad("empty text");
      continue;
    }
    simdjson::dom::element label_value;
    std::optional<std::string> label;
    if (doc[o.label_field].get(label_value) || label_value.is_null() ||
        !(label = LabelOf(label_value))) {
      bad("missing label (field \"" + o.label_field + "\": a string, integer or boolean)");
      continue;
    }
    if (!o.labels.empty() &&
        std::find(o.labels.begin(), o.labels.end(), *label) == o.labels.end()) {
      bad("unknown label '" + *label + "' (expected one of: " + JoinLabels(o.labels) + ")");
      continue;
    }
    if (!classifier::IsValidLabelName(*label)) {
      bad("unknown label '" + *label + "' (a label is 1-64 letters, digits, '_' or '-')");
      continue;
    }
    classifier::TrainingExample ex{std::string(text), *label, {}};
    if (!o.group_field.empty()) {
      simdjson::dom::element g;
      std::optional<std::string> group;
      if (doc[o.group_field].get(g) || !(group = LabelOf(g)) || group->empty()) {
        bad("missing group (field \"" + o.group_field + "\")");
        continue;
      }
      ex.group = *group;
    }
    if (!o.id_field.empty()) {
      simdjson::dom::element id;
      std::optional<std::string> value;
      if (doc[o.id_field].get(id) || !(value = LabelOf(id))) {
        bad("missing id (field \"" + o.id_field + "\")");
        continue;
      }
      out.ids.push_back(*value);
    }
    out.examples.push_back(std::move(ex));
    out.lines.push_back(number);
  }
  return out;
}

}  // namespace sakchy::service

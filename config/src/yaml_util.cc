#include "yaml_util.h"

#include <charconv>
#include <cstdlib>
#include <exception>

namespace sakchy::config::internal {

int LineOf(const YAML::Node& node) {
  if (!node.IsDefined()) return 0;
  const YAML::Mark mark = node.Mark();
  return mark.is_null() ? 0 : mark.line + 1;
}

void Issues::Add(int line, std::string_view field, std::string_view problem) {
  std::string out = file_;
  out += ':';
  out += std::to_string(line > 0 ? line : 1);
  out += ": ";
  if (!field.empty()) {
    out += field;
    out += ": ";
  }
  out += problem;
  lines_.push_back(std::move(out));
}

std::string Issues::Origin(const YAML::Node& at) const {
  const int line = LineOf(at);
  return file_ + ":" + std::to_string(line > 0 ? line : 1);
}

Error Issues::ToError() const {
  std::string message;
  for (const auto& line : lines_) {
    if (!message.empty()) message += '\n';
    message += line;
  }
  return Error{ErrorCode::kInvalidArgument, std::move(message)};
}

std::optional<YAML::Node> ParseYaml(std::string_view text, Issues& issues) {
  try {
    return YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    issues.Add(e.mark.is_null() ? 0 : e.mark.line + 1, "", "YAML syntax error: " + e.msg);
  } catch (const std::exception& e) {
    issues.Add(0, "", std::string("YAML syntax error: ") + e.what());
  }
  return std::nullopt;
}

MapReader::MapReader(const YAML::Node& node, std::string path, Issues& issues)
    : node_(node), path_(std::move(path)), issues_(issues) {
  if (node.IsNull()) return;
  if (!node.IsMap()) {
    issues_.Add(node, path_.empty() ? "(top level)" : path_, "expected a mapping of keys");
    ok_ = false;
    return;
  }
  for (auto it = node.begin(); it != node.end(); ++it) {
    const YAML::Node key = it->first;
    if (!key.IsScalar()) {
      issues_.Add(key, path_.empty() ? "(top level)" : path_, "keys must be plain strings");
      continue;
    }
    const std::string& name = key.Scalar();
    bool duplicate = false;
    for (const auto& e : entries_) duplicate = duplicate || e.key == name;
    if (duplicate) {
      issues_.Add(key, Field(name), "duplicate key");
      continue;
    }
    entries_.push_back(Entry{name, key, it->second, false});
  }
}

std::optional<YAML::Node> MapReader::Get(std::string_view key) {
  known_.emplace_back(key);
  for (auto& e : entries_) {
    if (e.key == key) {
      e.claimed = true;
      return e.value;
    }
  }
  return std::nullopt;
}

std::optional<YAML::Node> MapReader::Require(std::string_view key) {
  auto value = Get(key);
  if (!value && ok_) issues_.Add(node_, Field(key), "required");
  return value;
}

void MapReader::Finish() {
  for (const auto& e : entries_) {
    if (e.claimed) continue;
    issues_.Add(e.key_node, Field(e.key),
                "unknown key (expected one of: " + JoinNames(known_) + ")");
  }
}

std::string MapReader::Field(std::string_view key) const {
  if (path_.empty()) return std::string(key);
  return path_ + "." + std::string(key);
}

std::optional<std::string> ReadString(const YAML::Node& node, const std::string& field,
                                      Issues& issues, bool allow_empty) {
  if (node.IsNull()) {
    if (allow_empty) return std::string();
    issues.Add(node, field, "must not be empty");
    return std::nullopt;
  }
  if (!node.IsScalar()) {
    issues.Add(node, field, "expected a string");
    return std::nullopt;
  }
  if (node.Scalar().empty() && !allow_empty) {
    issues.Add(node, field, "must not be empty");
    return std::nullopt;
  }
  return node.Scalar();
}

std::optional<std::int64_t> ReadInt(const YAML::Node& node, const std::string& field,
                                    Issues& issues, std::int64_t min, std::int64_t max) {
  if (!node.IsScalar()) {
    issues.Add(node, field, "expected an integer");
    return std::nullopt;
  }
  const std::string& s = node.Scalar();
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec == std::errc::result_out_of_range) {
    issues.Add(node, field, "integer '" + s + "' is out of range");
    return std::nullopt;
  }
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) {
    issues.Add(node, field, "expected an integer, got '" + s + "'");
    return std::nullopt;
  }
  if (value < min || value > max) {
    std::string problem;
    if (max == std::numeric_limits<std::int64_t>::max()) {
      problem = min == 1 ? "must be positive" : "must be at least " + std::to_string(min);
    } else {
      problem = "must be between " + std::to_string(min) + " and " + std::to_string(max);
    }
    issues.Add(node, field, problem + ", got " + s);
    return std::nullopt;
  }
  return value;
}

std::optional<double> ReadDouble(const YAML::Node& node, const std::string& field, Issues& issues,
                                 double min, double max) {
  if (!node.IsScalar()) {
    issues.Add(node, field, "expected a number");
    return std::nullopt;
  }
  const std::string& s = node.Scalar();
  double value = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) {
    issues.Add(node, field, "expected a number, got '" + s + "'");
    return std::nullopt;
  }
  if (!(value >= min && value <= max)) {
    issues.Add(
        node, field,
        "must be between " + std::to_string(min) + " and " + std::to_string(max) + ", got " + s);
    return std::nullopt;
  }
  return value;
}

std::optional<bool> ReadBool(const YAML::Node& node, const std::string& field, Issues& issues) {
  bool value = false;
  if (node.IsScalar() && YAML::convert<bool>::decode(node, value)) return value;
  issues.Add(node, field,
             "expected true or false" + (node.IsScalar() ? ", got '" + node.Scalar() + "'" : ""));
  return std::nullopt;
}

std::optional<std::vector<std::string>> ReadStringList(const YAML::Node& node,
                                                       const std::string& field, Issues& issues) {
  std::vector<std::string> out;
  if (node.IsNull()) return out;
  if (!node.IsSequence()) {
    issues.Add(node, field, "expected a list of strings");
    return std::nullopt;
  }
  bool ok = true;
  std::size_t i = 0;
  for (const YAML::Node& item : node) {
    auto value = ReadString(item, field + "[" + std::to_string(i++) + "]", issues);
    if (value) {
      out.push_back(std::move(*value));
    } else {
      ok = false;
    }
  }
  if (!ok) return std::nullopt;
  return out;
}

std::string JoinNames(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += ", ";
    out += item;
  }
  return out;
}

std::optional<std::string> ReadEnvValue(const YAML::Node& node, const std::string& field,
                                        Issues& issues, std::string* name_out) {
  auto name = ReadString(node, field, issues);
  if (!name) return std::nullopt;
  if (name_out != nullptr) *name_out = *name;
  const char* env = std::getenv(name->c_str());
  if (env == nullptr) {
    issues.Add(node, field, "environment variable " + *name + " is not set");
    return std::nullopt;
  }
  if (*env == '\0') {
    issues.Add(node, field, "environment variable " + *name + " is empty");
    return std::nullopt;
  }
  return std::string(env);
}

}  // namespace sakchy::config::internal

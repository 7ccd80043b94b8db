#pragma once
// Private helpers for reading validated YAML (yaml-cpp) with "file:line: field: problem" issues.
// yaml-cpp throws; every call that may throw is contained in this file's implementation or in
// ParseYaml, so callers see values and issues only.
// Beware: `YAML::Node a = ...; a = b;` rebinds the tree node `a` referred to; use a.reset(b).

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

namespace sakchy::config::internal {

// 1-based line of `node`, or 0 when yaml-cpp knows no position.
int LineOf(const YAML::Node& node);

// Collects one line per problem, in the order found.
class Issues {
 public:
  explicit Issues(std::string file) : file_(std::move(file)) {}

  void Add(int line, std::string_view field, std::string_view problem);
  void Add(const YAML::Node& at, std::string_view field, std::string_view problem) {
    Add(LineOf(at), field, problem);
  }
  // "file:line" of `at`, for later messages that point back at the config.
  std::string Origin(const YAML::Node& at) const;

  bool empty() const { return lines_.empty(); }
  const std::vector<std::string>& lines() const { return lines_; }
  // kInvalidArgument with every line joined by '\n'.
  Error ToError() const;

 private:
  std::string file_;
  std::vector<std::string> lines_;
};

// Parses a single YAML document. On a syntax error, adds one issue and returns std::nullopt.
std::optional<YAML::Node> ParseYaml(std::string_view text, Issues& issues);

// A mapping whose keys are claimed one by one; Finish() reports every key never claimed.
// A null node (e.g. "server:" with nothing under it) is an empty mapping. Construction reports
// a node that is not a mapping, non-scalar keys and duplicate keys.
class MapReader {
 public:
  MapReader(const YAML::Node& node, std::string path, Issues& issues);

  // The value of `key`, or std::nullopt when absent.
  std::optional<YAML::Node> Get(std::string_view key);
  // Like Get, but an absent key is reported as "<path>.<key>: required".
  std::optional<YAML::Node> Require(std::string_view key);
  // Reports unknown keys, naming the claimed ones as expected.
  void Finish();

  // "<path>.<key>" (or "<key>" at the top level).
  std::string Field(std::string_view key) const;
  bool ok() const { return ok_; }  // false when the node was not a mapping
  const YAML::Node& node() const { return node_; }

 private:
  struct Entry {
    std::string key;
    YAML::Node key_node;
    YAML::Node value;
    bool claimed = false;
  };
  YAML::Node node_;
  std::string path_;
  Issues& issues_;
  std::vector<Entry> entries_;
  std::vector<std::string> known_;
  bool ok_ = true;
};

// Scalar readers: report a wrong type or value at the node's line and return std::nullopt.
std::optional<std::string> ReadString(const YAML::Node& node, const std::string& field,
                                      Issues& issues, bool allow_empty = false);
std::optional<std::int64_t> ReadInt(const YAML::Node& node, const std::string& field,
                                    Issues& issues,
                                    std::int64_t min = std::numeric_limits<std::int64_t>::min(),
                                    std::int64_t max = std::numeric_limits<std::int64_t>::max());
std::optional<double> ReadDouble(const YAML::Node& node, const std::string& field, Issues& issues,
                                 double min, double max);
std::optional<bool> ReadBool(const YAML::Node& node, const std::string& field, Issues& issues);
// A sequence of non-empty strings (a null node is an empty list).
std::optional<std::vector<std::string>> ReadStringList(const YAML::Node& node,
                                                       const std::string& field, Issues& issues);

// Reads the name of an environment variable at `node` and returns its value; reports an unset or
// empty variable. `name_out`, when given, receives the name (also when the variable is unset).
std::optional<std::string> ReadEnvValue(const YAML::Node& node, const std::string& field,
                                        Issues& issues, std::string* name_out = nullptr);

// Joins `items` with ", " (for "expected: a, b, c" messages).
std::string JoinNames(const std::vector<std::string>& items);

}  // namespace sakchy::config::internal

#include "config/areas.h"

#include <algorithm>
#include <exception>

#include "config/files.h"
#include "yaml_util.h"

namespace sakchy::config {
namespace {

using internal::Issues;
using internal::MapReader;

const std::vector<std::string>& Levels() {
  static const std::vector<std::string> levels = {"country", "oblast",     "city",
                                                  "raion",   "aiyl_aimak", "settlement"};
  return levels;
}

bool IsValidCode(const std::string& code) {
  return !code.empty() && std::all_of(code.begin(), code.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
  });
}

// An area as read, with the nodes needed to point at its fields in later checks.
struct ParsedArea {
  Area area;
  std::string path;  // "areas[3]"
  YAML::Node node;
  YAML::Node code_node;
  YAML::Node parent_node;  // the parent value, or the area itself when it has none
};

std::optional<ParsedArea> ParseArea(const YAML::Node& node, std::string path, Issues& issues) {
  MapReader map(node, path, issues);
  if (!map.ok()) return std::nullopt;
  const std::size_t issues_before = issues.lines().size();
  ParsedArea parsed;
  parsed.path = std::move(path);
  // Node::reset, never operator=: assigning to a Node rebinds the tree node it refers to.
  parsed.node.reset(node);
  parsed.parent_node.reset(node);  // where a missing parent is reported
  Area& a = parsed.area;
  if (auto code = map.Require("code")) {
    parsed.code_node.reset(*code);
    if (auto value = internal::ReadString(*code, map.Field("code"), issues)) {
      if (IsValidCode(*value)) {
        a.code = *value;
      } else {
        issues.Add(*code, map.Field("code"),
                   "invalid area code '" + *value + "' (use A-Z, 0-9 and '-')");
      }
    }
  }
  if (auto parent = map.Get("parent")) {
    parsed.parent_node.reset(*parent);
    if (auto value = internal::ReadString(*parent, map.Field("parent"), issues, true)) {
      a.parent = *value;
    }
  }
  if (auto level = map.Require("level")) {
    if (auto value = internal::ReadString(*level, map.Field("level"), issues)) {
      if (std::find(Levels().begin(), Levels().end(), *value) == Levels().end()) {
        issues.Add(
            *level, map.Field("level"),
            "unknown level '" + *value + "' (expected: " + internal::JoinNames(Levels()) + ")");
      } else {
        a.level = *value;
      }
    }
  }
  const std::pair<const char*, std::string*> strings[] = {{"pcode", &a.pcode},
                                                          {"name_en", &a.name_en},
                                                          {"name_ru", &a.name_ru},
                                                          {"name_ky", &a.name_ky}};
  for (const auto& [key, out] : strings) {
    if (auto n = map.Get(key)) {
      if (auto value = internal::ReadString(*n, map.Field(key), issues, true)) *out = *value;
    }
  }
  if (auto lat = map.Get("lat")) {
    if (auto value = internal::ReadDouble(*lat, map.Field("lat"), issues, -90, 90)) a.lat = *value;
  }
  if (auto lon = map.Get("lon")) {
    if (auto value = internal::ReadDouble(*lon, map.Field("lon"), issues, -180, 180)) {
      a.lon = *value;
    }
  }
  if (auto aliases = map.Get("aliases")) {
    if (auto value = internal::ReadStringList(*aliases, map.Field("aliases"), issues)) {
      a.aliases = std::move(*value);
    }
  }
  map.Finish();
  if (issues.lines().size() != issues_before) return std::nullopt;
  return parsed;
}

// Checks roots, parents and cycles over areas whose own fields were valid.
void CheckHierarchy(const std::vector<ParsedArea>& parsed, const YAML::Node& list_node,
                    const std::unordered_map<std::string, std::size_t>& index, AreaCode& root,
                    Issues& issues) {
  std::optional<std::size_t> root_index;
  for (std::size_t i = 0; i < parsed.size(); ++i) {
    const ParsedArea& p = parsed[i];
    if (p.area.parent.empty()) {
      if (!root_index) {
        root_index = i;
      } else {
        issues.Add(p.parent_node, p.path + ".parent",
                   "area '" + p.area.code + "' has no parent, but '" +
                       parsed[*root_index].area.code +
                       "' is already the root (exactly one area may have no parent)");
      }
    } else if (!index.contains(p.area.parent)) {
      issues.Add(p.parent_node, p.path + ".parent", "unknown parent '" + p.area.parent + "'");
    }
  }
  if (!root_index) {
    if (!parsed.empty()) {
      issues.Add(list_node, "areas", "no root area (exactly one area must have no parent)");
    }
  } else {
    root = parsed[*root_index].area.code;
  }

  // Each chain of parents must reach the root. 0 = unvisited, 1 = on the current walk, 2 = done.
  std::vector<int> state(parsed.size(), 0);
  for (std::size_t start = 0; start < parsed.size(); ++start) {
    std::vector<std::size_t> walk;
    std::size_t i = start;
    for (;;) {
      if (state[i] == 2) break;
      if (state[i] == 1) {
        // `i` is on this walk: the part of the walk from `i` is a cycle.
        const auto from = std::find(walk.begin(), walk.end(), i);
        std::string chain;
        for (auto it = from; it != walk.end(); ++it) chain += parsed[*it].area.code + " -> ";
        chain += parsed[i].area.code;
        const std::size_t first = *std::min_element(from, walk.end());
        issues.Add(parsed[first].parent_node, parsed[first].path + ".parent",
                   "parent chain forms a cycle: " + chain);
        break;
      }
      state[i] = 1;
      walk.push_back(i);
      const auto parent = index.find(parsed[i].area.parent);
      if (parsed[i].area.parent.empty() || parent == index.end()) break;
      i = parent->second;
    }
    for (std::size_t w : walk) state[w] = 2;
  }
}

}  // namespace

Result<AreaTree> AreaTree::Load(const std::string& path) {
  auto text = ReadTextFile(path);
  if (!text) return tl::unexpected(text.error());
  return Parse(*text, path);
}

Result<AreaTree> AreaTree::Parse(std::string_view yaml, const std::string& display_name) {
  Issues issues(display_name);
  auto root = internal::ParseYaml(yaml, issues);
  if (!root) return tl::unexpected(issues.ToError());
  AreaTree tree;
  try {
    MapReader top(*root, "", issues);
    if (auto attribution = top.Get("attribution")) {
      internal::ReadString(*attribution, "attribution", issues, true);
    }
    auto list = top.Require("areas");
    top.Finish();
    if (!list) return tl::unexpected(issues.ToError());
    if (!list->IsSequence() || list->size() == 0) {
      issues.Add(*list, "areas", "expected a non-empty list of areas");
      return tl::unexpected(issues.ToError());
    }

    std::vector<ParsedArea> parsed;
    std::unordered_map<std::string, std::size_t> index;
    std::size_t i = 0;
    for (const YAML::Node& item : *list) {
      auto area = ParseArea(item, "areas[" + std::to_string(i++) + "]", issues);
      if (!area) continue;
      auto [it, inserted] = index.emplace(area->area.code, parsed.size());
      if (!inserted) {
        issues.Add(area->code_node, area->path + ".code",
                   "duplicate area code '" + area->area.code + "' (first defined at " +
                       issues.Origin(parsed[it->second].node) + ")");
        continue;
      }
      parsed.push_back(std::move(*area));
    }
    // With invalid entries left out, parent checks would report noise: fix those first.
    if (!issues.empty()) return tl::unexpected(issues.ToError());
    CheckHierarchy(parsed, *list, index, tree.root_, issues);
    if (!issues.empty()) return tl::unexpected(issues.ToError());

    tree.areas_.reserve(parsed.size());
    for (auto& p : parsed) tree.areas_.push_back(std::move(p.area));
    tree.index_ = std::move(index);
  } catch (const std::exception& e) {
    issues.Add(0, "", std::string("cannot read areas: ") + e.what());
    return tl::unexpected(issues.ToError());
  }
  return tree;
}

const Area* AreaTree::Find(std::string_view code) const {
  const auto it = index_.find(std::string(code));
  return it == index_.end() ? nullptr : &areas_[it->second];
}

std::vector<AreaCode> AreaTree::Ancestors(std::string_view code) const {
  std::vector<AreaCode> out;
  // The tree is acyclic after Parse; the size bound only guards a default-constructed misuse.
  for (const Area* a = Find(code); a != nullptr && out.size() <= areas_.size();
       a = a->parent.empty() ? nullptr : Find(a->parent)) {
    out.push_back(a->code);
  }
  return out;
}

bool AreaTree::IsWithin(std::string_view code, std::string_view ancestor) const {
  std::size_t steps = 0;
  for (const Area* a = Find(code); a != nullptr && steps <= areas_.size(); ++steps) {
    if (a->code == ancestor) return true;
    a = a->parent.empty() ? nullptr : Find(a->parent);
  }
  return false;
}

}  // namespace sakchy::config

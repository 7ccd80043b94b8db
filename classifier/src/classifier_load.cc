// Loading a rule set: rule files read (config/files.h), parsed, validated, compiled and their
// examples checked; the rule set's version.
#include <algorithm>
#include <atomic>
#include <exception>
#include <memory>
#include <utility>

#include "classifier_impl.h"
#include "config/files.h"
#include "core/crypto.h"

namespace sakchy::classifier {
namespace engine {
namespace {

std::atomic<std::uint64_t> g_next_instance{1};

}  // namespace

ClassifierImpl::ClassifierImpl() : instance_(g_next_instance.fetch_add(1)) {}

ClassifierImpl::~ClassifierImpl() {
  if (prototype_ != nullptr) hs_free_scratch(prototype_);
  if (database_ != nullptr) hs_free_database(database_);
}

void ClassifierImpl::CheckExamples(const internal::RuleSetSpec& spec,
                                   std::vector<std::string>& errors) const {
  auto check = [&](const std::string& file, const std::string& id, const internal::Examples& ex,
                   bool tension, std::uint32_t index) {
    for (const auto& [want, list] : {std::pair{true, &ex.match}, std::pair{false, &ex.no_match}}) {
      for (const auto& [text, line] : *list) {
        Detail detail;
        Run(text, &detail);
        const auto& fired = tension ? detail.fired_tensions : detail.fired_rules;
        const bool got = std::find(fired.begin(), fired.end(), index) != fired.end();
        if (got == want) continue;
        const char* problem =
            want ? " expected match but got none" : " expected no match but matched";
        errors.push_back(file + ":" + std::to_string(line) + ": rule " + id + ": example " +
                         Quote(text) + problem);
      }
    }
  };
  for (std::uint32_t i = 0; i < spec.rules.size(); ++i) {
    check(spec.rules[i].file, spec.rules[i].id, spec.rules[i].examples, false, i);
  }
  for (std::uint32_t i = 0; i < spec.tensions.size(); ++i) {
    check(spec.tensions[i].file, spec.tensions[i].id, spec.tensions[i].examples, true, i);
  }
}

}  // namespace engine

namespace {

using engine::ClassifierImpl;

std::string BaseName(const std::string& path) {
  std::string_view p = path;
  if (p.starts_with(config::kEmbeddedPrefix)) p.remove_prefix(config::kEmbeddedPrefix.size());
  const std::size_t slash = p.find_last_of('/');
  return std::string(slash == std::string_view::npos ? p : p.substr(slash + 1));
}

// Parses, validates, compiles and checks `files` (name, contents); `names` are the paths reported
// in info().files.
Result<std::shared_ptr<const Classifier>> BuildFromSources(
    const std::vector<std::pair<std::string, std::string>>& files, std::vector<std::string> errors,
    const config::AreaTree& areas, TimeMs now) {
  internal::RuleSetSpec spec;
  std::vector<std::pair<std::string, std::string>> hashed;  // base name, contents
  std::vector<std::string> names;
  for (const auto& [path, contents] : files) {
    internal::ParseRuleFile(path, contents, spec, errors);
    hashed.emplace_back(BaseName(path), contents);
    names.push_back(path);
  }
  internal::Validate(spec, errors);
  auto classifier = std::make_shared<ClassifierImpl>();
  if (errors.empty()) classifier->Build(spec, areas, errors);
  if (errors.empty()) classifier->CheckExamples(spec, errors);
  if (!errors.empty()) {
    std::string message;
    for (const std::string& e : errors) message += (message.empty() ? "" : "\n") + e;
    return MakeError(ErrorCode::kInvalidArgument, message);
  }
  std::sort(hashed.begin(), hashed.end());
  std::string material;
  for (const auto& [name, contents] : hashed) {
    material += name + '\0' + std::to_string(contents.size()) + '\0' + contents;
  }
  RuleSetInfo& info = classifier->mutable_info();
  info.version = Sha256Hex(material);
  info.loaded_at = now;
  info.files = std::move(names);
  return std::shared_ptr<const Classifier>(std::move(classifier));
}

Result<std::shared_ptr<const Classifier>> LoadImpl(const std::string& rules_dir,
                                                   const config::AreaTree& areas, TimeMs now) {
  Result<std::vector<std::string>> files = config::ListYamlFiles(rules_dir);
  if (!files) return tl::unexpected(files.error());
  std::vector<std::string> errors;
  std::vector<std::pair<std::string, std::string>> sources;
  for (const std::string& path : *files) {
    Result<std::string> contents = config::ReadTextFile(path);
    if (!contents) {
      errors.push_back(contents.error().message);
      continue;
    }
    sources.emplace_back(path, std::move(*contents));
  }
  return BuildFromSources(sources, std::move(errors), areas, now);
}

}  // namespace

Result<std::shared_ptr<const Classifier>> Classifier::Load(const std::string& rules_dir,
                                                           const config::AreaTree& areas,
                                                           TimeMs now) {
  try {
    return LoadImpl(rules_dir, areas, now);
  } catch (const std::exception& e) {
    return MakeError(ErrorCode::kInternal, std::string("loading rules failed: ") + e.what());
  }
}

Result<std::shared_ptr<const Classifier>> Classifier::LoadFromSources(
    const std::vector<std::pair<std::string, std::string>>& files, const config::AreaTree& areas,
    TimeMs now) {
  try {
    return BuildFromSources(files, {}, areas, now);
  } catch (const std::exception& e) {
    return MakeError(ErrorCode::kInternal, std::string("loading rules failed: ") + e.what());
  }
}

}  // namespace sakchy::classifier

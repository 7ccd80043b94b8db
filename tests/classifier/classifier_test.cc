// Rule language, scoring, load errors and places, on small rule sets written to temp dirs.

#include "classifier/classifier.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "testutil/testutil.h"

namespace sakchy::classifier::classifier_test {
namespace {

using sakchy::testing::TempDir;

constexpr char kAreas[] = R"(
areas:
  - {code: KG, parent: "", level: country, name_en: Kyrgyzstan, aliases: [Кыргызстан]}
  - {code: KG-O, parent: KG, level: oblast, name_en: Osh, aliases: [Ошская, Ошской]}
  - {code: KG-GO, parent: KG, level: city, name_en: Osh, aliases: [Ош, Оше, Osh]}
  - {code: KG-GB, parent: KG, level: city, name_en: Bishkek, aliases: [Бишкек, Бишкеке]}
  - {code: KG-O-ARAVAN, parent: KG-O, level: raion, name_en: Aravan,
     aliases: [Араванский район, Араванском районе]}
  - {code: KG-O-NOOKAT, parent: KG-O, level: raion, name_en: Nookat, aliases: [Ноокат, Ак-Суу]}
  - {code: KG-B-LEILEK, parent: KG, level: raion, name_en: Leilek, aliases: [Лейлек, Ак-Суу]}
)";

config::AreaTree Areas() {
  auto tree = config::AreaTree::Parse(kAreas, "test-areas.yaml");
  EXPECT_TRUE(tree.has_value()) << tree.error().ToString();
  return tree ? std::move(*tree) : config::AreaTree{};
}

void WriteFile(const TempDir& dir, const std::string& name, const std::string& text) {
  std::ofstream(dir.path() / name) << text;
}

Result<std::shared_ptr<const Classifier>> LoadRules(
    const std::vector<std::pair<std::string, std::string>>& files, TempDir& dir) {
  for (const auto& [name, text] : files) WriteFile(dir, name, text);
  return Classifier::Load(dir.str(), Areas(), 1000);
}

constexpr char kLanguage[] = R"(version: 1
severity_thresholds: {low: 1, medium: 3, high: 6, critical: 10}
place_weight: 0.5
lists:
  markers: [говорят, передайте всем]
rules:
  - id: any-rule
    category: alpha
    weight: 1
    any: ["@markers", "слух*"]
  - id: all-rule
    category: beta
    weight: 2
    all: [красный, синий]
  - id: none-rule
    category: gamma
    weight: 3
    any: [стрельба]
    none: [учебная стрельба]
  - id: floor-rule
    category: delta
    weight: 0.1
    any: [тревога]
    severity: high
  - id: phrase-rule
    category: epsilon
    weight: 1
    any: ["все на площадь"]
tension:
  - id: alpha-beta
    all_categories: [alpha, beta]
    weight: 4
  - id: gamma-place
    all_categories: [gamma, place]
    weight: 1
    category: hot
)";

class RuleLanguage : public ::testing::Test {
 protected:
  void SetUp() override {
    auto loaded = LoadRules({{"rules.yaml", kLanguage}}, dir_);
    ASSERT_TRUE(loaded.has_value()) << loaded.error().ToString();
    classifier_ = *loaded;
  }
  TempDir dir_;
  std::shared_ptr<const Classifier> classifier_;
};

TEST_F(RuleLanguage, Table) {
  struct Row {
    std::string text;
    std::vector<std::string> fired;
    double score;
    Severity severity;
  };
  const Row rows[] = {
      {"Говорят, это так", {"any-rule"}, 1, Severity::kLow},
      {"ГОВОРЯТ", {"any-rule"}, 1, Severity::kLow},
      {"Заговорят все", {}, 0, Severity::kInfo},          // whole word
      {"слухи ходят", {"any-rule"}, 1, Severity::kLow},    // prefix
      {"прослушка", {}, 0, Severity::kInfo},               // prefix still needs a left boundary
      {"передайте   всем", {"any-rule"}, 1, Severity::kLow},
      {"передайте, всем!", {"any-rule"}, 1, Severity::kLow},
      {"красный", {}, 0, Severity::kInfo},                 // all: one of two
      {"синий и красный", {"all-rule"}, 2, Severity::kLow},
      {"стрельба", {"none-rule"}, 3, Severity::kMedium},
      {"учебная стрельба", {}, 0, Severity::kInfo},        // none blocks
      {"тревога", {"floor-rule"}, 0.1, Severity::kHigh},   // severity minimum
      {"все на площадь", {"phrase-rule"}, 1, Severity::kLow},
      {"говорят: красный, синий", {"all-rule", "any-rule"}, 1 + 2 + 4, Severity::kHigh},
      {"стрельба в Оше", {"none-rule"}, 3 + 0.5 + 1, Severity::kMedium},
  };
  for (const Row& row : rows) {
    const Classification c = classifier_->Classify(row.text);
    std::vector<std::string> fired;
    for (const Match& m : c.matches) fired.push_back(m.rule_id);
    std::sort(fired.begin(), fired.end());
    fired.erase(std::unique(fired.begin(), fired.end()), fired.end());
    EXPECT_EQ(fired, row.fired) << row.text;
    EXPECT_DOUBLE_EQ(c.score, row.score) << row.text;
    EXPECT_EQ(c.severity, row.severity) << row.text;
  }
}

TEST_F(RuleLanguage, CategoriesIncludePlaceAndTension) {
  const Classification c = classifier_->Classify("стрельба в Оше");
  EXPECT_EQ(c.categories, (std::vector<std::string>{"gamma", "hot", "place"}));
}

TEST_F(RuleLanguage, MatchOffsetsPointIntoOriginal) {
  const std::string text = "Ну, 6ecпopядки? Нет: СЛУХИ!!! и с.т.р.е.л.ь.б.а";
  const Classification c = classifier_->Classify(text);
  std::vector<std::string> slices;
  for (const Match& m : c.matches) slices.push_back(text.substr(m.begin, m.end - m.begin));
  EXPECT_EQ(slices, (std::vector<std::string>{"СЛУХИ", "с.т.р.е.л.ь.б.а"}));
  EXPECT_EQ(c.matches[0].term, "слух*");
}

TEST_F(RuleLanguage, InfoDescribesRuleset) {
  const RuleSetInfo& info = classifier_->info();
  EXPECT_EQ(info.version.size(), 64u);
  EXPECT_EQ(info.loaded_at, 1000);
  EXPECT_EQ(info.rule_count, 7u);
  EXPECT_EQ(info.files.size(), 1u);
  EXPECT_GT(info.place_pattern_count, 5u);
}

TEST(RuleVersion, DependsOnContentOnly) {
  TempDir a;
  TempDir b;
  TempDir c;
  auto ra = LoadRules({{"r.yaml", kLanguage}}, a);
  auto rb = LoadRules({{"r.yaml", kLanguage}}, b);
  auto rc = LoadRules({{"r.yaml", std::string(kLanguage) + "# changed\n"}}, c);
  ASSERT_OK(ra);
  ASSERT_OK(rb);
  ASSERT_OK(rc);
  EXPECT_EQ((*ra)->info().version, (*rb)->info().version);
  EXPECT_NE((*ra)->info().version, (*rc)->info().version);
}

TEST(Places, ResolveAreas) {
  TempDir dir;
  auto loaded = LoadRules({{"r.yaml", "version: 1\n"}}, dir);
  ASSERT_OK(loaded);
  const auto& cl = **loaded;
  struct Row {
    std::string text;
    std::optional<std::string> area;
  };
  const Row rows[] = {
      {"В Оше прошло заседание", "KG-GO"},         // a bare city name is the city
      {"в Ошской области", "KG-O"},                 // the oblast adjective is the oblast
      {"Osh bazaar", "KG-GO"},
      {"в Араванском районе и Ошской области", "KG-O-ARAVAN"},  // the most specific
      {"Бишкек и Ош", std::nullopt},                // two cities at the same depth
      {"в Ак-Суу", std::nullopt},                   // ambiguous
      {"в Кыргызстан", "KG"},
      {"ничего", std::nullopt},
  };
  for (const Row& row : rows) {
    EXPECT_EQ(cl.Classify(row.text).area, row.area) << row.text;
  }
  const Classification amb = cl.Classify("в Ак-Суу");
  ASSERT_EQ(amb.places.size(), 1u);
  EXPECT_EQ(amb.places[0].name, "Ак-Суу");
  EXPECT_EQ(amb.places[0].candidates, (std::vector<std::string>{"KG-B-LEILEK", "KG-O-NOOKAT"}));
  const Classification osh = cl.Classify("В Оше");
  ASSERT_EQ(osh.places.size(), 1u);
  EXPECT_EQ(osh.places[0].begin, 3u);  // after "В " (2 + 1 bytes)
  EXPECT_EQ(osh.places[0].name, "Оше");
  EXPECT_DOUBLE_EQ(osh.score, 0.5);
  EXPECT_EQ(osh.severity, Severity::kInfo);
}

struct ErrorCase {
  const char* name;
  std::vector<std::pair<std::string, std::string>> files;
  std::vector<std::string> expected;  // substrings of the error message, each "file:line: ..."
};

class LoadErrors : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(LoadErrors, ReportFileLineAndRule) {
  TempDir dir;
  auto loaded = LoadRules(GetParam().files, dir);
  ASSERT_FALSE(loaded.has_value()) << GetParam().name;
  EXPECT_EQ(loaded.error().code, ErrorCode::kInvalidArgument);
  for (const std::string& want : GetParam().expected) {
    EXPECT_NE(loaded.error().message.find(want), std::string::npos)
        << GetParam().name << ": want '" << want << "' in:\n" << loaded.error().message;
  }
}

INSTANTIATE_TEST_SUITE_P(
    All, LoadErrors,
    ::testing::Values(
        ErrorCase{"syntax", {{"a.yaml", "version: 1\nrules:\n  - id: x\n    any: [a, b\n"}},
                  {"a.yaml:5: YAML syntax"}},
        ErrorCase{"unknown_key",
                  {{"a.yaml", "version: 1\nrules:\n  - id: x\n    category: c\n    any: [a]\n"
                              "    wieght: 2\n"}},
                  {"a.yaml:6: rule x: unknown key 'wieght'"}},
        ErrorCase{"unknown_top_key", {{"a.yaml", "version: 1\nrulez: []\n"}},
                  {"a.yaml:2: unknown key 'rulez'"}},
        ErrorCase{"missing_id", {{"a.yaml", "version: 1\nrules:\n  - category: c\n    any: [a]\n"}},
                  {"a.yaml:3: rule without 'id'"}},
        ErrorCase{"missing_category", {{"a.yaml", "version: 1\nrules:\n  - id: x\n    any: [a]\n"}},
                  {"a.yaml:3: rule x: missing 'category'"}},
        ErrorCase{"duplicate_id",
                  {{"a.yaml", "version: 1\nrules:\n  - {id: x, category: c, any: [a]}\n"},
                   {"b.yaml", "version: 1\nrules:\n  - {id: x, category: c, any: [b]}\n"}},
                  {"b.yaml:3: rule x: duplicate id (first defined at ", "a.yaml:3)"}},
        ErrorCase{"unknown_list",
                  {{"a.yaml", "version: 1\nrules:\n  - id: x\n    category: c\n"
                              "    any: [\"@nope\"]\n"}},
                  {"a.yaml:5: rule x: unknown list '@nope'"}},
        ErrorCase{"empty_term",
                  {{"a.yaml", "version: 1\nrules:\n  - id: x\n    category: c\n"
                              "    any: [a, \"  \"]\n"}},
                  {"a.yaml:5: rule x: 'any': empty term"}},
        ErrorCase{"punctuation_term",
                  {{"a.yaml", "version: 1\nrules:\n  - id: x\n    category: c\n"
                              "    any: [\"!!!\"]\n"}},
                  {"a.yaml:5: rule x: term '!!!': has no letters or digits"}},
        ErrorCase{"bad_weight",
                  {{"a.yaml", "version: 1\nrules:\n  - id: x\n    category: c\n    any: [a]\n"
                              "    weight: heavy\n"}},
                  {"a.yaml:6: rule x: invalid weight 'heavy'"}},
        ErrorCase{"weight_below_minus_1000",
                  {{"a.yaml",
                    "version: 1\nrules:\n  - {id: x, category: c, any: [a], weight: -1001}\n"}},
                  {"a.yaml:3: rule x: invalid weight '-1001'"}},
        ErrorCase{"bad_severity",
                  {{"a.yaml", "version: 1\nrules:\n  - id: x\n    category: c\n    any: [a]\n"
                              "    severity: extreme\n"}},
                  {"a.yaml:6: rule x: invalid severity"}},
        ErrorCase{"no_terms", {{"a.yaml", "version: 1\nrules:\n  - id: x\n    category: c\n"}},
                  {"a.yaml:3: rule x: needs 'any', 'all' or 'near' terms"}},
        ErrorCase{"bad_version", {{"a.yaml", "version: 2\n"}},
                  {"a.yaml:1: unsupported version '2'"}},
        ErrorCase{"thresholds_twice",
                  {{"a.yaml", "version: 1\nseverity_thresholds: {low: 1, medium: 2, high: 3, "
                              "critical: 4}\n"},
                   {"b.yaml", "version: 1\nseverity_thresholds: {low: 1, medium: 2, high: 3, "
                              "critical: 4}\n"}},
                  {"b.yaml:2: severity_thresholds defined in more than one file"}},
        ErrorCase{"thresholds_order",
                  {{"a.yaml", "version: 1\nseverity_thresholds: {low: 5, medium: 2, high: 3, "
                              "critical: 4}\n"}},
                  {"a.yaml:2: severity_thresholds must increase"}},
        ErrorCase{"tension_unknown_category",
                  {{"a.yaml", "version: 1\nrules:\n  - {id: x, category: c, any: [a]}\n"
                              "tension:\n  - id: t\n    all_categories: [c, d]\n"}},
                  {"a.yaml:5: rule t: unknown category 'd'"}},
        ErrorCase{"example_expected_match",
                  {{"a.yaml", "version: 1\nrules:\n  - id: x\n    category: c\n    any: [волк]\n"
                              "    examples:\n      match: [\"овца\"]\n"}},
                  {"a.yaml:7: rule x: example 'овца' expected match but got none"}},
        ErrorCase{"example_expected_no_match",
                  {{"a.yaml", "version: 1\nrules:\n  - id: x\n    category: c\n    any: [волк]\n"
                              "    examples:\n      no_match:\n        - \"ВОЛК\"\n"}},
                  {"a.yaml:8: rule x: example 'ВОЛК' expected no match but matched"}},
        ErrorCase{"several_at_once",
                  {{"a.yaml", "version: 1\nrules:\n  - id: x\n    any: [a]\n  - id: y\n"
                              "    category: c\n    any: [\"@none\"]\n"}},
                  {"a.yaml:3: rule x: missing 'category'", "a.yaml:7: rule y: unknown list"}}),
    [](const ::testing::TestParamInfo<ErrorCase>& info) { return std::string(info.param.name); });

TEST(LoadErrorsOther, MissingDirectoryIsNotFound) {
  auto loaded = Classifier::Load("/nonexistent/sakchy-rules", Areas(), 0);
  ASSERT_FALSE(loaded.has_value());
  EXPECT_EQ(loaded.error().code, ErrorCode::kNotFound);
}

TEST(Robustness, InvalidUtf8NeverCrashes) {
  TempDir dir;
  auto loaded = LoadRules({{"r.yaml", kLanguage}}, dir);
  ASSERT_OK(loaded);
  const std::string inputs[] = {std::string("\xff\xfe говорят \xd0", 17),
                                std::string("\xc3", 1), std::string(1000, '\x80')};
  for (const std::string& s : inputs) {
    const Classification c = (*loaded)->Classify(s);
    for (const Match& m : c.matches) EXPECT_LE(m.end, s.size());
  }
}

}  // namespace
}  // namespace sakchy::classifier::classifier_test

// Rule language additions: near/within_words, exceptions, per-language terms, their load errors,
// Classification::language, and LoadFromSources().

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "classifier/classifier.h"
#include "testutil/testutil.h"
#include "classifier/area_fixture.h"

namespace sakchy::classifier::rule_features_test {
namespace {

Result<std::shared_ptr<const Classifier>> FromYaml(const std::string& yaml) {
  return Classifier::LoadFromSources({{"rules.yaml", yaml}}, testing::CountryOnlyAreas(), 1);
}

bool Fires(const Classifier& c, const std::string& text, const std::string& category) {
  const Classification r = c.Classify(text);
  return std::find(r.categories.begin(), r.categories.end(), category) != r.categories.end();
}

constexpr char kFeatures[] = R"(version: 1
lists:
  groups: [узбеки, кыргызы, өзбектер, кыргыздар]
  violence:
    ru: [напали, избили]
    ky: [кол салышты, сабашты]
rules:
  - id: group-violence
    category: group_violence
    near: ["@groups", "@violence"]
    within_words: 3
    examples:
      match: ["Узбеки напали на рынок", "Кыргыздар базарда сабашты"]
      no_match: ["Узбеки и кыргызы отметили праздник, а вечером в другом городе кто-то напали"]
  - id: riot
    category: violence
    any: [беспорядк*]
    exceptions: [беспорядки в документах, беспорядок в комнате]
    examples:
      match: ["Беспорядки в документах и беспорядки на улицах"]
      no_match: ["Проверка выявила беспорядки в документах"]
  - id: rumour
    category: rumour_marker
    any: {ru: [говорят], ky: [айтышат, дешет]}
  - id: call
    category: call_to_action
    all: {ru: [выходите], ky: [чыккыла]}
)";

TEST(Near, WithinWords) {
  auto loaded = FromYaml(kFeatures);
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
  const Classifier& c = **loaded;
  EXPECT_TRUE(Fires(c, "Узбеки напали", "group_violence"));
  EXPECT_TRUE(Fires(c, "напали на нас узбеки", "group_violence"));  // either order
  EXPECT_TRUE(Fires(c, "Узбеки, говорят, вчера напали", "group_violence"));  // 3 words apart
  EXPECT_FALSE(Fires(c, "Узбеки, говорят, вчера вечером напали", "group_violence"));  // 4
  EXPECT_FALSE(Fires(c, "Узбеки", "group_violence"));
  // Matches of both sides are reported with original offsets.
  const Classification r = c.Classify("Узбеки напали");
  ASSERT_EQ(r.matches.size(), 2u);
  EXPECT_EQ(r.matches[0].begin, 0u);
  EXPECT_EQ(r.matches[1].term, "напали");
}

TEST(Exceptions, HideOverlappingHitsOnly) {
  auto loaded = FromYaml(kFeatures);
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
  const Classifier& c = **loaded;
  EXPECT_FALSE(Fires(c, "Ревизия нашла беспорядки в документах", "violence"));
  EXPECT_FALSE(Fires(c, "Беспорядок в комнате!", "violence"));
  EXPECT_TRUE(Fires(c, "В Оше беспорядки", "violence"));
  const Classification both = c.Classify("беспорядки в документах, а потом беспорядки на улице");
  ASSERT_EQ(both.matches.size(), 1u);
  EXPECT_GT(both.matches[0].begin, 30u);  // the second one
}

TEST(PerLanguage, TermsApplyToTheirLanguageOrUnknown) {
  auto loaded = FromYaml(kFeatures);
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
  const Classifier& c = **loaded;
  EXPECT_EQ(c.Classify("Говорят, завтра закроют границу").language, Language::kRu);
  EXPECT_TRUE(Fires(c, "Говорят, завтра закроют границу", "rumour_marker"));
  EXPECT_TRUE(Fires(c, "Эртең базарды жабат деп айтышат", "rumour_marker"));
  // A Russian term inside a text detected as Kyrgyz is not matched ...
  EXPECT_EQ(c.Classify("Бүгүн көчөдө эл көп, говорят").language, Language::kKy);
  EXPECT_FALSE(Fires(c, "Бүгүн көчөдө эл көп, говорят", "rumour_marker"));
  // ... but every term is matched when the language is unknown.
  EXPECT_EQ(c.Classify("Базарды жабат дешет").language, Language::kUnknown);
  EXPECT_TRUE(Fires(c, "Базарды жабат дешет", "rumour_marker"));
  // `all` in a language map requires only the items of the detected language.
  EXPECT_TRUE(Fires(c, "Выходите на улицу все, кто может", "call_to_action"));
  EXPECT_TRUE(Fires(c, "Баарыңар аянтка чыккыла", "call_to_action"));
  // Lists by language: Kyrgyz violence words with a Kyrgyz text.
  EXPECT_TRUE(Fires(c, "Кыргыздар базарда сабашты", "group_violence"));
  EXPECT_FALSE(Fires(c, "Узбеки вчера сабашты", "group_violence"));  // ky word in a ru text
}

struct FeatureError {
  const char* name;
  std::string yaml;
  std::string expected;
};

class FeatureErrors : public ::testing::TestWithParam<FeatureError> {};

TEST_P(FeatureErrors, ReportFileLineAndRule) {
  auto loaded = FromYaml(GetParam().yaml);
  ASSERT_FALSE(loaded.has_value()) << GetParam().name;
  EXPECT_NE(loaded.error().message.find(GetParam().expected), std::string::npos)
      << GetParam().name << ": want '" << GetParam().expected << "' in:\n"
      << loaded.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    All, FeatureErrors,
    ::testing::Values(
        FeatureError{"near_one_item",
                     "version: 1\nrules:\n  - id: x\n    category: c\n    near: [a]\n"
                     "    within_words: 2\n",
                     "rules.yaml:5: rule x: 'near' needs exactly two items"},
        FeatureError{"near_without_within",
                     "version: 1\nrules:\n  - id: x\n    category: c\n    near: [a, b]\n",
                     "rules.yaml:5: rule x: 'near' needs 'within_words: N'"},
        FeatureError{"within_without_near",
                     "version: 1\nrules:\n  - id: x\n    category: c\n    any: [a]\n"
                     "    within_words: 2\n",
                     "rules.yaml:6: rule x: 'within_words' without 'near'"},
        FeatureError{"within_invalid",
                     "version: 1\nrules:\n  - id: x\n    category: c\n    near: [a, b]\n"
                     "    within_words: 2.5\n",
                     "rules.yaml:6: rule x: invalid within_words"},
        FeatureError{"within_too_large",
                     "version: 1\nrules:\n  - id: x\n    category: c\n    near: [a, b]\n"
                     "    within_words: 500\n",
                     "rules.yaml:6: rule x: invalid within_words"},
        FeatureError{"near_unknown_list",
                     "version: 1\nrules:\n  - id: x\n    category: c\n    near: [a, \"@nope\"]\n"
                     "    within_words: 2\n",
                     "rules.yaml:5: rule x: unknown list '@nope'"},
        FeatureError{"exceptions_not_list",
                     "version: 1\nrules:\n  - id: x\n    category: c\n    any: [a]\n"
                     "    exceptions: b\n",
                     "rules.yaml:6: rule x: 'exceptions' must be a list of terms"},
        FeatureError{"exception_unknown_list",
                     "version: 1\nrules:\n  - id: x\n    category: c\n    any: [a]\n"
                     "    exceptions: [\"@nope\"]\n",
                     "rules.yaml:6: rule x: unknown list '@nope'"},
        FeatureError{"unknown_language",
                     "version: 1\nrules:\n  - id: x\n    category: c\n    any: {ru: [a], kz: [b]}\n",
                     "rules.yaml:5: rule x: 'any': unknown language 'kz'"},
        FeatureError{"language_not_list",
                     "version: 1\nrules:\n  - id: x\n    category: c\n    any: {ru: a}\n",
                     "rules.yaml:5: rule x: 'any.ru' must be a list of terms"},
        FeatureError{"list_unknown_language",
                     "version: 1\nlists:\n  l: {ru: [a], xx: [b]}\n",
                     "rules.yaml:3: 'lists: l': unknown language 'xx'"},
        FeatureError{"failing_near_example",
                     "version: 1\nrules:\n  - id: x\n    category: c\n    near: [a, b]\n"
                     "    within_words: 1\n    examples: {match: [\"a c d b\"]}\n",
                     "rules.yaml:7: rule x: example 'a c d b' expected match but got none"}),
    [](const ::testing::TestParamInfo<FeatureError>& info) {
      return std::string(info.param.name);
    });

TEST(LoadFromSources, SameVersionAsFilesAndNames) {
  auto a = Classifier::LoadFromSources({{"dir/r.yaml", "version: 1\n"}}, testing::CountryOnlyAreas(), 5);
  ASSERT_TRUE(a.has_value()) << a.error().message;
  EXPECT_EQ((*a)->info().files, std::vector<std::string>{"dir/r.yaml"});
  EXPECT_EQ((*a)->info().loaded_at, 5);
  auto b = Classifier::LoadFromSources({{"other/r.yaml", "version: 1\n"}}, testing::CountryOnlyAreas(), 6);
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ((*a)->info().version, (*b)->info().version);  // base names and contents only
}

}  // namespace
}  // namespace sakchy::classifier::rule_features_test

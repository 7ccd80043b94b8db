// Rule-set features of issue 25: `morphology: stems` with '=' pins and phrases, `negation` with
// `negatable` rules, `proper_names: skip`, negative weights, and their load errors.

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "classifier/classifier.h"
#include "classifier/area_fixture.h"

namespace sakchy::classifier::context_test {
namespace {

std::shared_ptr<const Classifier> Load(const std::string& yaml) {
  auto loaded = Classifier::LoadFromSources({{"rules.yaml", yaml}}, testing::CountryOnlyAreas(), 1);
  EXPECT_TRUE(loaded.has_value()) << (loaded ? "" : loaded.error().message);
  return loaded ? *loaded : nullptr;
}

bool Fires(const Classifier& c, const std::string& text, const std::string& category) {
  const Classification r = c.Classify(text);
  return std::find(r.categories.begin(), r.categories.end(), category) != r.categories.end();
}

constexpr char kRules[] = R"(
  - id: violence
    category: violence
    any: [убивать, беспорядки, массовые беспорядки, кылмыш, тополоң, shooting, hujum, ҳужум,
          "өч алабыз", беспорядк*]
  - id: marker
    category: rumour_marker
    any: [айтышат]
  - id: pinned
    category: pinned
    any: ["=айтышат", "деп =айтышат"]
  - id: exact-rule
    category: exact
    morphology: exact
    any: [убивать]
)";

TEST(Morphology, ExactByDefault) {
  auto c = Load(std::string("version: 1\nrules:") + kRules);
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(Fires(*c, "Их будут убивать", "violence"));
  EXPECT_FALSE(Fires(*c, "Их убивают", "violence"));
  EXPECT_FALSE(Fires(*c, "Шаарда кылмыштар көбөйдү", "violence"));
  EXPECT_TRUE(Fires(*c, "деп айтышат", "pinned"));  // '=' changes nothing under exact
}

TEST(Morphology, StemsMatchInflectedForms) {
  auto c = Load(std::string("version: 1\nmorphology: stems\nrules:") + kRules);
  ASSERT_NE(c, nullptr);
  const Classification r = c->Classify("Их убивают");
  ASSERT_EQ(r.matches.size(), 1u);
  EXPECT_EQ(r.matches[0].term, "убивать");
  EXPECT_EQ(r.matches[0].begin, std::string("Их ").size());  // "убивают", the whole word
  EXPECT_EQ(r.matches[0].end, std::string("Их убивают").size());
  EXPECT_FALSE(Fires(*c, "Их убивают", "exact"));         // the rule's own `morphology: exact`
  EXPECT_TRUE(Fires(*c, "Шаарда кылмыштар көбөйдү", "violence"));
  EXPECT_TRUE(Fires(*c, "Кылмышкерлерди кармашты", "violence"));
  EXPECT_TRUE(Fires(*c, "Ошто тополоңдо эки киши жарадар болду", "violence"));
  EXPECT_TRUE(Fires(*c, "Произошли массовые беспорядки", "violence"));
  EXPECT_TRUE(Fires(*c, "Участники массовых беспорядков задержаны", "violence"));
  EXPECT_TRUE(Fires(*c, "Two shootings were reported", "violence"));
  EXPECT_TRUE(Fires(*c, "Chegarada hujumlar bo'ldi", "violence"));
  EXPECT_TRUE(Fires(*c, "Чегарада ҳужумлар бўлди", "violence"));
  EXPECT_TRUE(Fires(*c, "Өч алабыз!", "violence"));
  EXPECT_TRUE(Fires(*c, "Өч алышат", "violence"));      // the phrase's last word by stem
  EXPECT_FALSE(Fires(*c, "Убийца задержан", "violence"));  // another stem
  EXPECT_FALSE(Fires(*c, "Тополь зацвел", "violence"));
}

// Phrases that share their first word share one literal and stem group; each is verified only
// when the bytes after the text's first word fit its own next word (MorphNext), whatever that
// word is: stemmed, exact (pinned), a prefix, short, or long beyond 8 bytes.
TEST(Morphology, PhrasesSharingTheirFirstWordMatchEachByItsNextWord) {
  auto c = Load(R"(version: 1
morphology: stems
rules:
  - {id: riots, category: riots, any: ["массовые беспорядки"]}
  - {id: killings, category: killings, any: ["массовые убийства"]}
  - {id: fights, category: fights, any: ["массовые драк*"]}
  - {id: arrests, category: arrests, any: ["массовые =аресты"]}
  - {id: battles, category: battles, any: ["массовые бои"]}
  - {id: long, category: long, any: ["массовые переселения"]}
  - {id: alone, category: alone, any: ["массовые"]}
)");
  ASSERT_NE(c, nullptr);
  auto categories = [&](const std::string& text) {
    std::vector<std::string> out = c->Classify(text).categories;
    std::sort(out.begin(), out.end());
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(categories("Участники массовых беспорядков задержаны"), (V{"alone", "riots"}));
  EXPECT_EQ(categories("О массовых убийствах"), (V{"alone", "killings"}));
  EXPECT_EQ(categories("массовые драками"), (V{"alone", "fights"}));
  EXPECT_EQ(categories("массовые аресты"), (V{"alone", "arrests"}));
  EXPECT_EQ(categories("массовые арестов"), (V{"alone"}));  // pinned: as written only
  EXPECT_EQ(categories("массовые бои!"), (V{"alone", "battles"}));  // next word of 3 bytes
  EXPECT_EQ(categories("массовых переселений"), (V{"alone", "long"}));
  EXPECT_EQ(categories("массовых перемен"), (V{"alone"}));
  EXPECT_EQ(categories("Были массовые"), (V{"alone"}));     // the text ends after the word
  EXPECT_EQ(categories("массовые, беспорядки"), (V{"alone", "riots"}));  // separators: one space
}

// Stems are numbered per rule set (MorphStems) and a thread caches the stem ids of the words it
// has stemmed across texts: a thread that alternates between two rule sets that number the same
// stems differently (here in the opposite order) must never read one set's ids for the other.
TEST(Morphology, StemIdsCachedOnAThreadBelongToTheirRuleSet) {
  auto first = Load(R"(version: 1
morphology: stems
rules:
  - {id: kill, category: kill, any: ["убивать"]}
  - {id: riot, category: riot, any: ["беспорядки"]}
)");
  auto second = Load(R"(version: 1
morphology: stems
rules:
  - {id: riot, category: riot, any: ["беспорядки"]}
  - {id: kill, category: kill, any: ["убивать"]}
)");
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  for (int round = 0; round < 3; ++round) {
    for (const auto* c : {first.get(), second.get()}) {
      EXPECT_TRUE(Fires(*c, "Их убивают", "kill")) << round;
      EXPECT_FALSE(Fires(*c, "Их убивают", "riot")) << round;
      EXPECT_TRUE(Fires(*c, "Начались беспорядки", "riot")) << round;
      EXPECT_FALSE(Fires(*c, "Начались беспорядки", "kill")) << round;
    }
  }
}

TEST(Morphology, PinnedWordsMatchAsWritten) {
  auto c = Load(std::string("version: 1\nmorphology: stems\nrules:") + kRules);
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(Fires(*c, "Базарды жабат деп айтышты", "rumour_marker"));  // stem айт
  EXPECT_FALSE(Fires(*c, "Базарды жабат деп айтышты", "pinned"));
  EXPECT_TRUE(Fires(*c, "Базарды жабат деп айтышат", "pinned"));
}

TEST(Morphology, NegativeVerbFormsDoNotMatchPositiveTerms) {
  auto c = Load(
      "version: 1\nmorphology: stems\nrules:\n  - id: k\n    category: kill\n"
      "    any: [өлтүрүштү]\n");
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(Fires(*c, "Аны өлтүрүп кетишти", "kill"));
  EXPECT_TRUE(Fires(*c, "Ал өлтүрүлдү", "kill"));
  EXPECT_FALSE(Fires(*c, "Аны өлтүрбөдү", "kill"));
}

TEST(Morphology, UzbekTermsMatchInTheOtherScript) {
  constexpr char kUzbek[] = R"(
  - id: latin
    category: latin
    any: ["o'ldirishdi", qishloq]
  - id: cyrillic
    category: cyrillic
    any: [ҳужум, "қурол олинглар"]
  - id: scoped
    category: scoped
    any: {uz: [bomba]}
  - id: english
    category: english
    any: [bank]
)";
  auto c = Load(std::string("version: 1\nmorphology: stems\nrules:") + kUzbek);
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(Fires(*c, "Қишлоқда икки киши ўлдирилди", "latin"));  // o'ldir-, qishloq
  EXPECT_TRUE(Fires(*c, "Chegarada hujumlar bo'ldi", "cyrillic"));
  EXPECT_TRUE(Fires(*c, "Hammaga ayting, qurol olinglar!", "cyrillic"));
  EXPECT_TRUE(Fires(*c, "Бозорда бомбалар бор, ҳаммага айтинглар", "scoped"));
  EXPECT_FALSE(Fires(*c, "Uni o'ldirmadilar", "latin"));  // a negative verb is not a form of it
  // A Latin term without a language and without an Uzbek letter (o' g' q) may be English: it is
  // not matched in Cyrillic ("банки" is Russian "banks", not the term `bank`).
  EXPECT_TRUE(Fires(*c, "The bank is closed", "english"));
  EXPECT_FALSE(Fires(*c, "Завтра закроют все банки", "english"));
  // Exact mode: as written only.
  auto exact = Load(std::string("version: 1\nrules:") + kUzbek);
  ASSERT_NE(exact, nullptr);
  EXPECT_FALSE(Fires(*exact, "Chegarada hujum bo'ldi", "cyrillic"));
}

constexpr char kNegation[] = R"(version: 1
morphology: stems
negation:
  cues:
    ru: [не, нет, не было, опровергли, фейк]
    ky: [жок, эмес]
    en: ["no", denied]
  window_words: 3
rules:
  - id: violence
    category: violence
    negatable: true
    any: [беспорядки, тополоң, looting, стрельба]
    examples:
      match: ["В центре начались беспорядки"]
      no_match: ["Беспорядки не зарегистрированы"]
  - id: plain
    category: plain
    any: [беспорядки]
)";

TEST(Negation, CueNearTheHitInTheSameSentence) {
  auto c = Load(kNegation);
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(Fires(*c, "В центре города начались беспорядки", "violence"));
  EXPECT_FALSE(Fires(*c, "Беспорядков не было", "violence"));
  EXPECT_FALSE(Fires(*c, "Никаких беспорядков не зарегистрировано", "violence"));
  EXPECT_FALSE(Fires(*c, "МВД опровергли слухи о беспорядках", "violence"));
  EXPECT_FALSE(Fires(*c, "Ошто тополоң катталган жок", "violence"));
  EXPECT_FALSE(Fires(*c, "No looting was reported", "violence"));
  EXPECT_TRUE(Fires(*c, "Беспорядков не было", "plain"));  // not negatable
  // The cue is in another sentence, or too far.
  EXPECT_TRUE(Fires(*c, "В центре беспорядки. Не выходите из дома", "violence"));
  EXPECT_TRUE(Fires(*c, "Не знаю точно, но в центре города сейчас беспорядки", "violence"));
  // One hit negated, another not: the rule fires on the second.
  const Classification r =
      c->Classify("Вчера беспорядков не было, а сегодня в центре города стрельба");
  EXPECT_TRUE(std::find(r.categories.begin(), r.categories.end(), "violence") !=
              r.categories.end());
}

TEST(ProperNames, SurnamesDoNotMatchPrefixTerms) {
  const std::string rules =
      "rules:\n  - id: slur\n    category: hate\n    any: [мамбет*]\n";
  auto on = Load("version: 1\nproper_names: skip\n" + rules);
  auto off = Load("version: 1\n" + rules);
  ASSERT_NE(on, nullptr);
  ASSERT_NE(off, nullptr);
  for (const char* name : {"Депутат Мамбетов выступил", "Встреча с Мамбетовой",
                           "Мамбеталиев жана Мамбетович", "Мамбет уулу келди"}) {
    EXPECT_FALSE(Fires(*on, name, "hate")) << name;
    EXPECT_TRUE(Fires(*off, name, "hate")) << name;  // the default keeps the old behaviour
  }
  EXPECT_TRUE(Fires(*on, "Эти мамбеты понаехали", "hate"));
  EXPECT_TRUE(Fires(*on, "Мамбеты понаехали", "hate"));
  EXPECT_TRUE(Fires(*on, "МАМБЕТОВ ГНАТЬ", "hate"));  // shouting, not a name
  EXPECT_TRUE(Fires(*on, "опять этих мамбетов привезли", "hate"));
}

TEST(NegativeWeights, LowerTheScoreWhichFloorsAtZero) {
  auto c = Load(
      "version: 1\nrules:\n"
      "  - id: rumour\n    category: rumour_marker\n    weight: 1.5\n    any: [говорят]\n"
      "  - id: official\n    category: official_source\n    weight: -1\n"
      "    any: [по данным мвд]\n"
      "  - id: denial\n    category: denial\n    weight: -5\n    any: [опровергли]\n");
  ASSERT_NE(c, nullptr);
  EXPECT_DOUBLE_EQ(c->Classify("Говорят, по данным МВД, всё спокойно").score, 0.5);
  const Classification r = c->Classify("Говорят, слухи опровергли");
  EXPECT_DOUBLE_EQ(r.score, 0);
  EXPECT_EQ(r.severity, Severity::kInfo);
  EXPECT_TRUE(std::find(r.categories.begin(), r.categories.end(), "denial") !=
              r.categories.end());
}

struct ContextError {
  const char* name;
  std::string yaml;
  std::string expected;
};

class ContextErrors : public ::testing::TestWithParam<ContextError> {};

TEST_P(ContextErrors, ReportFileLineAndRule) {
  auto loaded = Classifier::LoadFromSources({{"rules.yaml", GetParam().yaml}}, testing::CountryOnlyAreas(), 1);
  ASSERT_FALSE(loaded.has_value()) << GetParam().name;
  EXPECT_NE(loaded.error().message.find(GetParam().expected), std::string::npos)
      << GetParam().name << ": want '" << GetParam().expected << "' in:\n"
      << loaded.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    All, ContextErrors,
    ::testing::Values(
        ContextError{"morphology_value", "version: 1\nmorphology: stem\n",
                     "rules.yaml:2: invalid morphology: expected stems or exact"},
        ContextError{"rule_morphology_value",
                     "version: 1\nrules:\n  - id: x\n    category: c\n    any: [a]\n"
                     "    morphology: yes\n",
                     "rules.yaml:6: rule x: invalid morphology"},
        ContextError{"negatable_without_cues",
                     "version: 1\nrules:\n  - id: x\n    category: c\n    negatable: true\n"
                     "    any: [a]\n",
                     "rules.yaml:3: rule x: 'negatable' needs negation cues"},
        ContextError{"negatable_value",
                     "version: 1\nrules:\n  - id: x\n    category: c\n    negatable: 1\n"
                     "    any: [a]\n",
                     "rules.yaml:5: rule x: invalid negatable: expected true or false"},
        ContextError{"negation_window",
                     "version: 1\nnegation: {cues: [не], window_words: 0}\n",
                     "rules.yaml:2: negation: invalid window_words"},
        ContextError{"negation_unknown_key",
                     "version: 1\nnegation: {cues: [не], window: 3}\n",
                     "rules.yaml:2: unknown key 'window' in negation"},
        ContextError{"negation_without_cues", "version: 1\nnegation: {window_words: 3}\n",
                     "rules.yaml:2: negation: missing 'cues'"},
        ContextError{"negation_cue_language", "version: 1\nnegation: {cues: {kz: [жок]}}\n",
                     "rules.yaml:2: 'negation: cues': unknown language 'kz'"},
        ContextError{"negation_list_cue", "version: 1\nnegation: {cues: [\"@x\"]}\n",
                     "rules.yaml:2: negation: cues cannot refer to lists"},
        ContextError{"proper_names_value", "version: 1\nproper_names: yes\n",
                     "rules.yaml:2: invalid proper_names: expected skip or match"},
        ContextError{"negative_weight_with_severity",
                     "version: 1\nrules:\n  - id: x\n    category: c\n    weight: -2\n"
                     "    severity: high\n    any: [a]\n",
                     "rules.yaml:5: rule x: a rule with a negative weight cannot have a "
                     "'severity'"},
        ContextError{"weight_too_low",
                     "version: 1\nrules:\n  - id: x\n    category: c\n    weight: -2000\n"
                     "    any: [a]\n",
                     "rules.yaml:5: rule x: invalid weight '-2000': expected a number from -1000"},
        ContextError{"tension_negative_weight",
                     "version: 1\nrules:\n  - id: x\n    category: c\n    any: [a]\n"
                     "tension:\n  - id: t\n    all_categories: [c]\n    weight: -1\n",
                     "rules.yaml:9: rule t: invalid weight '-1': expected a number from 0"}),
    [](const ::testing::TestParamInfo<ContextError>& info) {
      return std::string(info.param.name);
    });

TEST(ContextErrorsAcrossFiles, SettingsOnce) {
  auto loaded = Classifier::LoadFromSources(
      {{"a.yaml", "version: 1\nmorphology: stems\nnegation: {cues: [не]}\n"},
       {"b.yaml", "version: 1\nmorphology: exact\nnegation: {cues: [нет]}\n"}},
      testing::CountryOnlyAreas(), 1);
  ASSERT_FALSE(loaded.has_value());
  EXPECT_NE(loaded.error().message.find("b.yaml:2: morphology defined in more than one file"),
            std::string::npos)
      << loaded.error().message;
  EXPECT_NE(loaded.error().message.find("b.yaml:3: negation defined in more than one file"),
            std::string::npos)
      << loaded.error().message;
}

}  // namespace
}  // namespace sakchy::classifier::context_test

// The bundled default rules and areas: they load (which runs every embedded example), ordinary
// news stays below medium, threats, calls to violence and dangerous rumours reach high or critical
// (the severity model of docs/RULES.md), and place names resolve.

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "classifier/classifier.h"
#include "testutil/testutil.h"

namespace sakchy::classifier::defaults_test {
namespace {

class Defaults : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto areas = config::AreaTree::Load(sakchy::testing::SourcePath("config/defaults/areas.yaml"));
    ASSERT_TRUE(areas.has_value()) << areas.error().ToString();
    areas_ = new config::AreaTree(std::move(*areas));
    auto loaded =
        Classifier::Load(sakchy::testing::SourcePath("config/defaults/rules"), *areas_, 42);
    ASSERT_TRUE(loaded.has_value()) << loaded.error().ToString();
    classifier_ = new std::shared_ptr<const Classifier>(*loaded);
  }
  static void TearDownTestSuite() {
    delete classifier_;
    delete areas_;
  }
  static const Classifier& cl() { return **classifier_; }

  static config::AreaTree* areas_;
  static std::shared_ptr<const Classifier>* classifier_;
};

config::AreaTree* Defaults::areas_ = nullptr;
std::shared_ptr<const Classifier>* Defaults::classifier_ = nullptr;

TEST_F(Defaults, EmbeddedCopyLoadsWithTheSameVersion) {
  auto areas = config::AreaTree::Load("embedded:areas.yaml");
  ASSERT_OK(areas);
  auto embedded = Classifier::Load("embedded:rules", *areas, 0);
  ASSERT_OK(embedded);
  EXPECT_EQ((*embedded)->info().version, cl().info().version);
  EXPECT_GE(cl().info().rule_count, 8u);
  EXPECT_GT(cl().info().place_pattern_count, 1000u);
}

TEST_F(Defaults, SeverityOfTypicalTexts) {
  struct Row {
    std::string text;
    Severity min;
    Severity max;
  };
  const Row rows[] = {
      // Ordinary news stays info/low.
      {"В Оше прошло заседание городского кенеша", Severity::kInfo, Severity::kLow},
      {"Ош шаардык кеңешинин сессиясы өттү", Severity::kInfo, Severity::kLow},
      {"В Бишкеке открылась ярмарка, узбеки и кыргызы продают урожай", Severity::kInfo,
       Severity::kLow},
      {"Жалал-Абадда жаңы мектеп ачылды", Severity::kInfo, Severity::kLow},
      {"Соревнования по стрельбе из лука прошли в Караколе", Severity::kInfo, Severity::kLow},
      {"Кыргызстан и Узбекистан подписали соглашение о границе", Severity::kInfo, Severity::kLow},
      // Crime or violence reported from an official source, or denied, stays low.
      {"В Бишкеке произошла драка, подозреваемые задержаны", Severity::kLow, Severity::kLow},
      {"Ошто мушташ болду. Бул тууралуу ИИМдин басма сөз кызматы билдирди", Severity::kLow,
       Severity::kLow},
      {"Базарда атышуу болгон жок, бул жалган маалымат", Severity::kInfo, Severity::kLow},
      // One word of a category is never high: profanity, an insult, a weapon, a group name.
      {"Блять, опять дождь", Severity::kInfo, Severity::kLow},
      {"Ты дебил", Severity::kLow, Severity::kLow},
      {"У соседа есть охотничье ружьё", Severity::kLow, Severity::kMedium},
      {"Эртең сакалды кырабыз", Severity::kInfo, Severity::kLow},
      {"Коррупцию уничтожим", Severity::kInfo, Severity::kLow},
      {"В следующем матче отомстим", Severity::kInfo, Severity::kLow},
      // Sensitive claims without a source are medium.
      {"В Бишкеке произошла драка", Severity::kMedium, Severity::kMedium},
      {"Опять эти чурки понаехали", Severity::kMedium, Severity::kMedium},
      {"Өзбектер иттер", Severity::kMedium, Severity::kMedium},
      // Rumours with calls to action are high or critical.
      {"Говорят, в Оше начались беспорядки, передайте всем, выходите на улицу!", Severity::kHigh,
       Severity::kCritical},
      {"Шашылыш! Ошто тополоң башталды деп айтышат, баарына жибергиле, аянтка чыккыла!",
       Severity::kHigh, Severity::kCritical},
      {"Govoryat v Oshe besporyadki, peredayte vsem, vykhodite!", Severity::kHigh,
       Severity::kCritical},
      {"СРООООЧНО!!! 6ecпopядки в Араванском районе, передайте всем, собирайтесь", Severity::kHigh,
       Severity::kCritical},
      {"Узбеки напали на кыргызов в Оше", Severity::kHigh, Severity::kCritical},
      // Threats and calls to violence are high alone, critical with a group, place or rumour.
      {"Курал алып келгиле", Severity::kHigh, Severity::kHigh},
      {"Я тебя убью", Severity::kMedium, Severity::kMedium},
      {"Всех узбеков перережем", Severity::kCritical, Severity::kCritical},
      {"Отомстим за Араван", Severity::kCritical, Severity::kCritical},
      {"Говорят, наших избили. Отомстим!", Severity::kCritical, Severity::kCritical},
      {"Ошто студенттерди зордукташты деген кабар тарап жатат, өч алабыз", Severity::kCritical,
       Severity::kCritical},
      // Dangerous narratives: medium alone, high with casualties, hearsay or a call.
      {"Вода отравлена", Severity::kMedium, Severity::kMedium},
      {"вода отравлена, люди умирают", Severity::kHigh, Severity::kHigh},
      {"the border post was attacked", Severity::kHigh, Severity::kHigh},
      {"Говорят, завтра закроют все банки", Severity::kHigh, Severity::kHigh},
  };
  for (const Row& row : rows) {
    const Classification c = cl().Classify(row.text);
    EXPECT_GE(c.severity, row.min) << row.text << " score " << c.score;
    EXPECT_LE(c.severity, row.max) << row.text << " score " << c.score;
  }
}

// The false-alarm check of docs/RULES.md: 54 ordinary news texts (ru, ky, uz, en; several use rule
// words in their everyday sense, idioms, surnames and news register) never reach medium; at most 4
// are low (the known ones: a fair where "узбеки и кыргызы" trade, three thefts reported with the
// police as the source).
TEST_F(Defaults, OrdinaryNewsRaisesNoAlarm) {
  std::ifstream in(sakchy::testing::SourcePath("tests/classifier/data/news_sample.txt"));
  ASSERT_TRUE(in.is_open());
  std::string line;
  int texts = 0;
  int low = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    ++texts;
    const Classification c = cl().Classify(line);
    EXPECT_LE(c.severity, Severity::kLow) << line << " score " << c.score;
    if (c.severity == Severity::kLow) ++low;
  }
  EXPECT_EQ(texts, 54);
  EXPECT_LE(low, 4);
}

// Threats, calls to arm or avenge and dangerous rumours written for the check in ky, ru, uz and en
// (tests/classifier/data/dangerous_sample.txt, some obfuscated) all reach high or critical.
TEST_F(Defaults, DangerousTextsReachHigh) {
  std::ifstream in(sakchy::testing::SourcePath("tests/classifier/data/dangerous_sample.txt"));
  ASSERT_TRUE(in.is_open());
  std::string line;
  int texts = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    ++texts;
    const Classification c = cl().Classify(line);
    EXPECT_GE(c.severity, Severity::kHigh) << line << " score " << c.score;
  }
  EXPECT_EQ(texts, 27);
}

bool HasCategory(const Classification& c, const std::string& category) {
  return std::find(c.categories.begin(), c.categories.end(), category) != c.categories.end();
}

// The false alarms of issue 25 on ordinary Kyrgyz news: each stays below medium and no longer
// carries the category it was wrongly given.
TEST_F(Defaults, KnownFalseAlarmsStayQuiet) {
  struct Row {
    std::string text;
    std::string not_category;
  };
  const Row rows[] = {
      {"Депутат Мамбетов жыйынга катышты", "hate"},               // surname, not the slur
      {"Маалыматтык согуш күчөп жатат деди эксперт", "violence"},  // "information war"
      {"Талап-тоноо катталган жок", "violence"},                    // denied: a negation cue
      {"Баалар көтөрүлбөйт деп айтышты адистер", "rumour_marker"},  // "they said": reported speech
      {"Кризистен чыгабыз деди премьер-министр", "call_to_action"},  // "we will get out of the crisis"
      {"Экинчи дүйнөлүк согуштун ардагерлери", "violence"},
      {"Her car is red and his is blue", "profanity"},  // "her" is not "хер"
      {"Yaxshi dastur, ammo sekin ishlaydi", "weapons"},  // Uzbek "ammo" = "but"
      {"Boshqa filmlar bepul bo'lishini xohlayman", "hate"},  // Uzbek "xohla-" = "to want"
      {"Стрельбы в городе не было", "violence"},
      {"Слухи о том, что вода отравлена, не подтвердились", "narrative"},
  };
  for (const Row& row : rows) {
    const Classification c = cl().Classify(row.text);
    EXPECT_LT(c.severity, Severity::kMedium) << row.text << " score " << c.score;
    EXPECT_FALSE(HasCategory(c, row.not_category)) << row.text;
  }
}

// Only explicit denials hide an event (05-context.yaml): a bare "жок" / "no" or the rumour's own
// "это не фейк" does not.
TEST_F(Defaults, OnlyExplicitDenialsHideEvents) {
  const Classification riot = cl().Classify("Ошто тополоң башталды, милиция жок");
  EXPECT_TRUE(HasCategory(riot, "violence"));
  EXPECT_GE(riot.severity, Severity::kMedium);
  const Classification looting = cl().Classify("No police here, the looting continues");
  EXPECT_TRUE(HasCategory(looting, "violence"));
  const Classification water = cl().Classify("Это не фейк, вода отравлена!");
  EXPECT_TRUE(HasCategory(water, "narrative"));
  EXPECT_GE(water.severity, Severity::kHigh);
  const Classification denied = cl().Classify("МВД опровергли слухи о стрельбе в Оше");
  EXPECT_FALSE(HasCategory(denied, "violence"));
  EXPECT_LT(denied.severity, Severity::kMedium);
}

// Profanity is recognised as its own category, weak alone; aimed at the addressee it is an insult.
TEST_F(Defaults, ProfanityIsRecognisedButWeak) {
  const Classification swear = cl().Classify("Пиздец какой-то, опять дождь");
  EXPECT_TRUE(HasCategory(swear, "profanity"));
  EXPECT_LT(swear.severity, Severity::kLow);
  const Classification aimed = cl().Classify("Ты ебанутый?");
  EXPECT_TRUE(HasCategory(aimed, "insult"));
  EXPECT_LT(aimed.severity, Severity::kMedium);
}

// Insults said to the addressee (scoped obscenity, animal words in the forms of address, labels,
// epithets, taunts, the addressee's mother), compound slurs and insults are recognised but stay
// below high alone (an insult is low, a slur medium); the same words in their ordinary sense are
// not insults.
TEST_F(Defaults, InsultsAtTheAddresseeAreRecognisedButLow) {
  const char* insults[] = {
      "Ты сука",          "Вы стадо",          "Ты педофил",
      "Ты больной?",      "Что, бомбит у тебя?", "Мамке твоей привет",
      "Пиздуй отсюда",    "Ну и свинорылый",    "Опять хохлосрач",
      "Либерахи ноют",    "Ты неграмотный",     "Придурка видно сразу",
  };
  for (const char* text : insults) {
    const Classification c = cl().Classify(text);
    EXPECT_TRUE(HasCategory(c, "insult") || HasCategory(c, "hate")) << text;
    EXPECT_LT(c.severity, Severity::kHigh) << text << " score " << c.score;
  }
  const char* ordinary[] = {
      "Вы любите животных?",         "Авиация бомбит позиции",
      "Свиноводство растёт в районе", "Дети с синдромом Дауна пошли в школу",
      "Хохлома - народный промысел",  "Больной ребёнок поправился",
      "В семье не без урода",         "Мамка испекла пирог",
  };
  for (const char* text : ordinary) {
    const Classification c = cl().Classify(text);
    EXPECT_FALSE(HasCategory(c, "insult") || HasCategory(c, "hate")) << text;
  }
  // Several insult rules on one text stay below medium when only the addressee rules add up.
  const Classification stacked = cl().Classify("Ты сука, иди нахуй");
  EXPECT_TRUE(HasCategory(stacked, "insult"));
  EXPECT_LT(stacked.severity, Severity::kMedium) << stacked.score;
}

// Idioms that only look like violence: a beginner's "не убивайте" (don't judge me), a novel and a
// film title.
TEST_F(Defaults, IdiomsAreNotViolence) {
  const Classification beginner = cl().Classify("Я только учусь, не убивайте :D");
  EXPECT_LT(beginner.severity, Severity::kMedium) << beginner.score;
  EXPECT_FALSE(HasCategory(beginner, "threat"));
  const Classification novel = cl().Classify("В «Преступлении и наказании» герой мучается");
  EXPECT_FALSE(HasCategory(novel, "crime"));
  const Classification film = cl().Classify("Пересматривал «Карты, деньги, два ствола»");
  EXPECT_FALSE(HasCategory(film, "weapons"));
  EXPECT_LT(film.severity, Severity::kLow);
}

// The examples table of docs/RULES.md.
TEST_F(Defaults, DocumentedScores) {
  struct Row {
    std::string text;
    double score;
    Severity severity;
  };
  const Row rows[] = {
      {"В Оше прошло заседание городского кенеша", 0.5, Severity::kInfo},
      {"Маалыматтык согушка каршы туруу керек", 0, Severity::kInfo},
      {"Депутат Мамбетов кризистен чыгабыз деди", 0, Severity::kInfo},
      {"В Бишкеке произошла драка, подозреваемые задержаны", 1.5, Severity::kLow},
      {"В Бишкеке произошла драка", 3.5, Severity::kMedium},
      {"Опять эти чурки понаехали", 3, Severity::kMedium},
      {"вода отравлена, люди умирают", 6, Severity::kHigh},
      {"the border post was attacked", 6, Severity::kHigh},
      {"Курал алып келгиле", 9, Severity::kHigh},
      {"Говорят, завтра закроют все банки", 7.5, Severity::kHigh},
      {"Узбеки напали на кыргызов в Оше", 8, Severity::kHigh},
      {"Всех узбеков перережем", 10.5, Severity::kCritical},
      {"Говорят, в Оше начались беспорядки, передайте всем, выходите на улицу!", 12.5,
       Severity::kCritical},
      {"Ошто студенттерди зордукташты деген кабар тарап жатат, өч алабыз", 29,
       Severity::kCritical},
  };
  for (const Row& row : rows) {
    const Classification c = cl().Classify(row.text);
    EXPECT_DOUBLE_EQ(c.score, row.score) << row.text;
    EXPECT_EQ(c.severity, row.severity) << row.text;
  }
}

TEST_F(Defaults, PlacesResolve) {
  struct Row {
    std::string text;
    std::optional<std::string> area;
  };
  const Row rows[] = {
      {"в Оше", "KG-GO"},
      {"Ошто", "KG-GO"},
      {"Osh", "KG-GO"},
      {"в Ошской области", "KG-O"},
      {"Ош облусунда", "KG-O"},
      {"Жалал-Абад", "KG-J-JALAL-ABAD-CITY"},
      {"Jalal-Abad", "KG-J-JALAL-ABAD-CITY"},
      {"Жалалабат", "KG-J-JALAL-ABAD-CITY"},
      {"в Джалал-Абадской области", "KG-J"},
      {"в Араванском районе", "KG-O-ARAVAN"},
      {"Араван районунда", "KG-O-ARAVAN"},
      {"в Ат-Башинском районе", "KG-N-AT-BASHY"},
      {"Чоӊ-Алай району", "KG-O-CHON-ALAI"},
      {"в Бишкеке", "KG-GB"},
      {"в Кара-Балте", "KG-C-JAIYL"},  // a GeoNames town, mapped into its raion
      {"Ак-Суу", std::nullopt},         // two places of that name
  };
  for (const Row& row : rows) {
    EXPECT_EQ(cl().Classify(row.text).area, row.area) << row.text;
  }
  const Classification amb = cl().Classify("в Ак-Суу");
  ASSERT_EQ(amb.places.size(), 1u);
  EXPECT_GT(amb.places[0].candidates.size(), 1u);
}

TEST_F(Defaults, RumourMatchesHighlightOriginalText) {
  const std::string text = "Говорят, в Оше начались беспорядки, передайте всем, выходите на улицу!";
  const Classification c = cl().Classify(text);
  std::vector<std::string> slices;
  for (const Match& m : c.matches) slices.push_back(text.substr(m.begin, m.end - m.begin));
  for (const char* want : {"Говорят", "беспорядки", "передайте всем", "выходите на улицу"}) {
    EXPECT_NE(std::find(slices.begin(), slices.end(), want), slices.end()) << want;
  }
  EXPECT_EQ(c.area, "KG-GO");
  EXPECT_EQ(c.categories, (std::vector<std::string>{"call_to_action", "place", "rumour_marker",
                                                    "tension", "unsourced", "violence"}));
}

TEST_F(Defaults, ConcurrentClassifyIsDeterministic) {
  const std::vector<std::string> texts = {
      "Говорят, в Оше начались беспорядки, передайте всем, выходите на улицу!",
      "Жалал-Абадда өзбектер менен кыргыздар мушташ болуп жатат, тараткыла",
      "В Оше прошло заседание городского кенеша",
      "Govoryat v Bishkeke strelba, srochno",
  };
  std::vector<Classification> expected;
  for (const std::string& t : texts) expected.push_back(cl().Classify(t));
  std::vector<std::vector<Classification>> results(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 200; ++round) {
        results[t].push_back(cl().Classify(texts[round % texts.size()]));
      }
    });
  }
  for (std::thread& th : threads) th.join();
  for (int t = 0; t < 4; ++t) {
    for (std::size_t round = 0; round < results[t].size(); ++round) {
      const Classification& got = results[t][round];
      const Classification& want = expected[round % texts.size()];
      EXPECT_EQ(got.score, want.score);
      EXPECT_EQ(got.severity, want.severity);
      EXPECT_EQ(got.categories, want.categories);
      EXPECT_EQ(got.area, want.area);
      ASSERT_EQ(got.matches.size(), want.matches.size());
      for (std::size_t i = 0; i < got.matches.size(); ++i) {
        EXPECT_EQ(got.matches[i].rule_id, want.matches[i].rule_id);
        EXPECT_EQ(got.matches[i].begin, want.matches[i].begin);
      }
    }
  }
}

}  // namespace
}  // namespace sakchy::classifier::defaults_test

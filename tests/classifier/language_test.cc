// Language identification: unit cases, and accuracy on the labelled sample
// tests/classifier/data/lang_sample.tsv (+ real English tweets from shared/data when present).
// The confusion table printed here is the one reported in docs/RULES.md.

#include "classifier/language.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "testutil/testutil.h"

namespace sakchy::classifier::language_test {
namespace {

TEST(DetectLanguage, Cases) {
  struct Case {
    const char* text;
    Language expected;
  };
  const Case cases[] = {
      {"", Language::kUnknown},
      {"ок", Language::kUnknown},
      {"12345 !!!", Language::kUnknown},
      {"Говорят, завтра закроют границу", Language::kRu},
      {"Ош шаардык кеңешинин сессиясы өттү", Language::kKy},
      {"ЭРТЕҢ АЯНТКА ЧЫККЫЛА", Language::kKy},
      {"Базарды жабат деп айтышат", Language::kKy},
      {"Hammaga yuboring, bu haqiqat", Language::kUz},
      {"O‘zbekiston bilan chegara yopildi", Language::kUz},
      {"Ҳаммага юборинг, бу ҳақиқат", Language::kUz},
      {"The police said that the road is closed", Language::kEn},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(LanguageName(DetectLanguage(c.text)), LanguageName(c.expected)) << c.text;
  }
}

TEST(DetectLanguage, NamesAndInvalidUtf8) {
  EXPECT_EQ(LanguageName(Language::kKy), "ky");
  EXPECT_EQ(LanguageName(Language::kUnknown), "unknown");
  EXPECT_EQ(DetectLanguage(std::string("\xff\xfe\xd0", 3)), Language::kUnknown);
}

// Splits one CSV record (no embedded newlines) into fields.
std::vector<std::string> CsvFields(const std::string& line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        fields.back().push_back('"');
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        fields.back().push_back(c);
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else {
      fields.back().push_back(c);
    }
  }
  return fields;
}

TEST(DetectLanguage, AccuracyOnLabelledSample) {
  std::vector<std::pair<std::string, std::string>> sample;  // label, text
  std::ifstream tsv(testing::SourcePath("tests/classifier/data/lang_sample.tsv"));
  ASSERT_TRUE(tsv.good());
  std::string line;
  while (std::getline(tsv, line)) {
    if (line.empty() || line[0] == '#') continue;
    const std::size_t tab = line.find('\t');
    ASSERT_NE(tab, std::string::npos) << line;
    sample.emplace_back(line.substr(0, tab), line.substr(tab + 1));
  }
  std::ifstream pheme("/work/shared/data/pheme-dev/pheme_dev.csv");
  int tweets = 0;
  while (pheme.good() && tweets < 50 && std::getline(pheme, line)) {
    const std::vector<std::string> f = CsvFields(line);
    if (f.size() < 7 || f[5] != "en") continue;
    sample.emplace_back("en", f[6]);
    ++tweets;
  }
  const std::array<std::string, 5> labels = {"ky", "ru", "uz", "en", "unknown"};
  std::map<std::string, std::map<std::string, int>> confusion;
  int correct = 0;
  for (const auto& [label, text] : sample) {
    const std::string got(LanguageName(DetectLanguage(text)));
    ++confusion[label][got];
    if (got == label) {
      ++correct;
    } else {
      std::printf("  miss: %s -> %s: %s\n", label.c_str(), got.c_str(), text.c_str());
    }
  }
  std::printf("| true \\ detected | ky | ru | uz | en | unknown | accuracy |\n");
  for (const std::string l : {"ky", "ru", "uz", "en"}) {
    int total = 0;
    for (const auto& [g, n] : confusion[l]) total += n;
    std::printf("| %s |", l.c_str());
    for (const std::string& g : labels) std::printf(" %d |", confusion[l][g]);
    std::printf(" %.0f%% (%d) |\n", total ? 100.0 * confusion[l][l] / total : 0.0, total);
  }
  const double accuracy = static_cast<double>(correct) / static_cast<double>(sample.size());
  std::printf("overall %.1f%% of %zu (english tweets: %d)\n", 100 * accuracy, sample.size(),
              tweets);
  EXPECT_GE(accuracy, 0.9);
  for (const std::string l : {"ky", "ru", "uz"}) {
    int total = 0;
    for (const auto& [g, n] : confusion[l]) total += n;
    EXPECT_GE(confusion[l][l], total * 8 / 10) << l;
  }
}

}  // namespace
}  // namespace sakchy::classifier::language_test

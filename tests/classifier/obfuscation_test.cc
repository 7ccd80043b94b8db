// Obfuscation beyond homoglyphs (issue 25): masked letters ("х*й", "б%ять"), the rebus 3.14 -> пи,
// phonetic Latin letters inside Cyrillic words (пиzдец), measured on the real obfuscated
// spellings of shared/data/ru-offensive-lexicons (read at test time).

#include "../../classifier/src/normalizer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "classifier/classifier.h"
#include "classifier/area_fixture.h"

namespace sakchy::classifier::obfuscation_test {
namespace {

using internal::MatchText;
using internal::Normalizer;

std::string MainText(const Normalizer& n, const std::string& text) {
  MatchText m;
  n.NormalizeForMatching(text, m);
  const internal::NormalizedText t = internal::ToNormalizedText(m);
  return t.text.substr(0, t.main_size);
}

TEST(Obfuscation, RebusAndPhoneticLetters) {
  Normalizer n;
  EXPECT_EQ(MainText(n, "3.14здец"), "пиздец");
  EXPECT_EQ(MainText(n, "3,14дор"), "пидор");
  EXPECT_EQ(MainText(n, "пиzдец"), "пиздец");
  EXPECT_EQ(MainText(n, "пи3дец"), "пиздец");
  EXPECT_EQ(MainText(n, "число 3.14 и 2.71"), "число 3 14 и 2 71");  // no Cyrillic neighbour
  EXPECT_EQ(n.Normalize("3.14здец").text, "пиздец");  // the reference stages agree
}

constexpr char kRules[] = R"(version: 1
rules:
  - id: insult
    category: insult
    any: [хуй, блять, блядь, пидор*, сука, мудак, драка, ихах]
)";

TEST(Obfuscation, MaskedLettersMatchSingleWordTerms) {
  auto loaded = Classifier::LoadFromSources({{"rules.yaml", kRules}}, testing::CountryOnlyAreas(), 1);
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
  const Classifier& c = **loaded;
  for (const char* text : {"иди на х*й", "б%ять опять", "п#дорасы", "с)ка", "с*ка!", "му#ак",
                           "б**ть", "бл.дь"}) {
    const Classification r = c.Classify(text);
    EXPECT_FALSE(r.matches.empty()) << text;
  }
  const Classification r = c.Classify("иди на х*й");
  ASSERT_EQ(r.matches.size(), 1u);
  EXPECT_EQ(r.matches[0].term, "хуй");
  EXPECT_EQ(r.matches[0].begin, std::string("иди на ").size());
  EXPECT_EQ(r.matches[0].end, std::string("иди на х*й").size());
  // Too much masked, abbreviations, other words.
  for (const char* text : {"х**", "*у*", "т.к. он ушёл", "ж.д. вокзал", "с*ок", "б%ятьёё",
                           "Д.А.А. ооруканада", "И.А.Х."}) {
    EXPECT_TRUE(c.Classify(text).matches.empty()) << text;
  }
}

std::string SharedData() {
  if (const char* env = std::getenv("SAKCHY_SHARED_DATA")) return env;
  const std::string beside = std::string(SAKCHY_SOURCE_DIR) + "/../shared/data";
  if (std::filesystem::exists(beside)) return beside;
  return "/work/shared/data";
}

bool HasLatinOrDigit(const std::string& s) {
  return std::any_of(s.begin(), s.end(), [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
  });
}
bool HasCyrillic(const std::string& s) {
  return std::any_of(s.begin(), s.end(), [](char ch) {
    const auto b = static_cast<unsigned char>(ch);
    return b == 0xD0 || b == 0xD1;
  });
}

// The share of the lexicons' obfuscated Russian entries (a Cyrillic letter with Latin letters or
// digits in one word, or an all-Latin transliteration) whose normalisation is all Cyrillic, and
// the share that normalise to a plain entry of the same lexicons. Figures in docs/RULES.md.
TEST(Obfuscation, RealSpellingsOfTheOffensiveLexicons) {
  const std::string dir = SharedData() + "/ru-offensive-lexicons/";
  std::vector<std::string> entries;
  for (const char* file : {"sariellee_offensive_words.csv", "alla-g_bad_wordlist.txt"}) {
    std::ifstream in(dir + file);
    std::string line;
    while (std::getline(in, line)) {
      while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
      if (!line.empty()) entries.push_back(line);
    }
  }
  if (entries.empty()) GTEST_SKIP() << "no " << dir << " (set SAKCHY_SHARED_DATA)";
  Normalizer n;
  std::set<std::string> plain;
  for (const std::string& e : entries) {
    if (!HasLatinOrDigit(n.Normalize(e).text) && e.find(' ') == std::string::npos) {
      plain.insert(n.Normalize(e).text);
    }
  }
  std::size_t obfuscated = 0;
  std::size_t cyrillic = 0;
  std::size_t known = 0;
  std::vector<std::string> missed;
  const std::set<std::string> english = {"cock", "cunt", "fuck", "fucker", "fucking"};
  for (const std::string& e : entries) {
    std::string lower = e;
    for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (!HasLatinOrDigit(lower) || english.contains(lower)) continue;
    ++obfuscated;
    MatchText m;
    n.NormalizeForMatching(e, m);
    const internal::NormalizedText t = internal::ToNormalizedText(m);
    // The Cyrillic reading: the main text, or its transliteration for an all-Latin word.
    std::string reading = t.text.substr(0, t.main_size);
    if (HasLatinOrDigit(reading) && t.text.size() > t.main_size) {
      reading = t.text.substr(t.main_size + 1);
    }
    if (!HasLatinOrDigit(reading) && HasCyrillic(reading)) {
      ++cyrillic;
      if (plain.contains(reading)) ++known;
    } else {
      missed.push_back(e + " -> " + reading);
    }
  }
  ASSERT_GT(obfuscated, 20u);
  std::printf("ru-offensive-lexicons: %zu obfuscated entries, %zu (%.0f%%) normalise to Cyrillic,"
              " %zu (%.0f%%) to a plain entry of the lexicons\n",
              obfuscated, cyrillic, 100.0 * cyrillic / obfuscated, known,
              100.0 * known / obfuscated);
  for (const std::string& s : missed) std::printf("  missed: %s\n", s.c_str());
  EXPECT_GE(static_cast<double>(cyrillic) / static_cast<double>(obfuscated), 0.9);
}

}  // namespace
}  // namespace sakchy::classifier::obfuscation_test

// Stemmers of `morphology: stems`: Snowball (ru, en), the Kyrgyz and Uzbek suffix strippers, and
// the Kyrgyz stemmer measured on the gold form/lemma pairs of UD_Kyrgyz-KTMU (read at test time).

#include "../../classifier/src/morphology/morphology.h"
#include "../../classifier/src/morphology/uzbek_stemmer.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "../../classifier/src/rules.h"

namespace sakchy::classifier::morphology::morphology_test {
namespace {

using internal::kLangEn;
using internal::kLangKy;
using internal::kLangRu;
using internal::kLangUz;

std::string StemOf(std::uint8_t lang, const std::string& word, bool* negated = nullptr) {
  Stem s;
  if (!StemWord(lang, word, s)) return "<none>";
  if (negated != nullptr) *negated = s.negated;
  return s.text;
}

TEST(Snowball, RussianAndEnglish) {
  EXPECT_EQ(StemOf(kLangRu, "убивать"), StemOf(kLangRu, "убивают"));
  EXPECT_EQ(StemOf(kLangRu, "беспорядки"), StemOf(kLangRu, "беспорядков"));
  EXPECT_EQ(StemOf(kLangRu, "стрелять"), StemOf(kLangRu, "стреляют"));
  EXPECT_EQ(StemOf(kLangRu, "отравлена"), StemOf(kLangRu, "отравлено"));
  EXPECT_EQ(StemOf(kLangEn, "shootings"), StemOf(kLangEn, "shooting"));
  EXPECT_EQ(StemOf(kLangEn, "killed"), StemOf(kLangEn, "kills"));
  // What Snowball does not unify (suppletion, stem alternation, derivation): rule authors list
  // both forms. убили's stem "уб" is too short to use (it is also убыли's).
  EXPECT_NE(StemOf(kLangRu, "убивать"), StemOf(kLangRu, "убьют"));
  EXPECT_EQ(StemOf(kLangRu, "убили"), "<none>");
  EXPECT_NE(StemOf(kLangRu, "стрелять"), StemOf(kLangRu, "стрельба"));
  EXPECT_NE(StemOf(kLangEn, "shootings"), StemOf(kLangEn, "shot"));
}

TEST(KyrgyzStemmer, InflectedForms) {
  const std::vector<std::vector<std::string>> families = {
      {"кылмыш", "кылмыштар", "кылмыштын", "кылмышкерлер", "кылмышкерлерди"},
      {"уруш", "урушту", "урушта", "урушка"},
      {"кырабыз", "кырды", "кырышты", "кырып"},
      {"өлтүрүштү", "өлтүрдү", "өлтүрүлдү", "өлтүрүп", "өлтүрөбүз"},
      {"тарак", "тарагы", "тарагын"},
      {"китеп", "китеби", "китептер"},
      {"алабыз", "алды", "алып", "алган"},
      {"чыккыла", "чыкты", "чыгып"},
      {"зордукташты", "зордуктады"},
      {"курал", "куралдар", "куралы", "куралдарды"},
      {"мамлекет", "мамлекетке", "мамлекеттин", "мамлекеттер"},
      {"аймак", "аймагында", "аймактар"},
  };
  for (const auto& family : families) {
    for (const std::string& form : family) {
      EXPECT_EQ(StemOf(kLangKy, form), StemOf(kLangKy, family[0])) << form << " / " << family[0];
    }
  }
  // Negative verbs keep their stem and are marked negated.
  bool negated = false;
  EXPECT_EQ(StemOf(kLangKy, "келбеди", &negated), "кел");
  EXPECT_TRUE(negated);
  EXPECT_EQ(StemOf(kLangKy, "келди", &negated), "кел");
  EXPECT_FALSE(negated);
  // Words that must stay apart.
  EXPECT_NE(StemOf(kLangKy, "атышуу"), StemOf(kLangKy, "атынан"));  // shooting / on behalf of
  EXPECT_NE(StemOf(kLangKy, "ата"), StemOf(kLangKy, "ат"));
  EXPECT_EQ(StemOf(kLangKy, "кыргызстанда"), "кыргызстан");
}

TEST(UzbekStemmer, LatinAndCyrillic) {
  for (const char* form : {"hujumlar", "hujumga", "hujumni", "hujumning", "hujumlari",
                           "hujumda", "hujumdan"}) {
    EXPECT_EQ(StemOf(kLangUz, form), "hujum") << form;
  }
  for (const char* form : {"ҳужумлар", "ҳужумга", "ҳужум"}) {
    EXPECT_EQ(StemOf(kLangUz, form), "hujum") << form;
  }
  EXPECT_EQ(StemOf(kLangUz, "o'ldirishdi"), StemOf(kLangUz, "o'ldirishgan"));
  EXPECT_EQ(StemOf(kLangUz, "yurak"), StemOf(kLangUz, "yuragi"));
  EXPECT_EQ(StemOf(kLangUz, "qishloq"), StemOf(kLangUz, "qishlog'i"));
  EXPECT_EQ(StemOf(kLangUz, "keldi"), StemOf(kLangUz, "kelyapti"));
  bool negated = false;
  EXPECT_EQ(StemOf(kLangUz, "kelmadi", &negated), "kel");
  EXPECT_TRUE(negated);
}

TEST(UzbekOtherScript, BothDirections) {
  const auto other = [](const char* text) { return UzbekOtherScript(text).value_or("<none>"); };
  EXPECT_EQ(other("o'ldirishdi"), "ўлдиришди");
  EXPECT_EQ(other("qishloq"), "қишлоқ");
  EXPECT_EQ(other("g'alayon"), "ғалаён");
  EXPECT_EQ(other("shahar chegara"), "шаҳар чегара");
  EXPECT_EQ(other("yangi yer"), "янги ер");
  EXPECT_EQ(other("eshik"), "эшик");
  EXPECT_EQ(other("ta'lim"), "таълим");
  EXPECT_EQ(other("=qurol olinglar"), "=қурол олинглар");
  EXPECT_EQ(other("ҳужум"), "hujum");
  EXPECT_EQ(other("ўлдиришди"), "o'ldirishdi");
  EXPECT_EQ(other("ғалаён"), "g'alayon");
  EXPECT_EQ(other("ер"), "yer");
  EXPECT_EQ(other("шаҳар"), "shahar");
  EXPECT_EQ(other("тополоң"), "<none>");   // Kyrgyz ң
  EXPECT_EQ(other("wow"), "<none>");       // w is not Uzbek
  EXPECT_EQ(other("hujum ҳужум"), "<none>");  // mixed scripts
  EXPECT_EQ(other("covid19"), "<none>");
  EXPECT_EQ(other("!!"), "<none>");
}

TEST(AnalysersByScript, Letters) {
  EXPECT_EQ(AnalysersByScript("тополоң"), kLangKy);
  EXPECT_EQ(AnalysersByScript("ҳужум"), kLangUz);
  EXPECT_EQ(AnalysersByScript("убивать"), kLangRu | kLangKy);
  EXPECT_EQ(AnalysersByScript("hujum"), kLangEn | kLangUz);
  EXPECT_EQ(AnalysersByScript("covid19"), 0);
}

std::string SharedData() {
  if (const char* env = std::getenv("SAKCHY_SHARED_DATA")) return env;
  const std::string beside = std::string(SAKCHY_SOURCE_DIR) + "/../shared/data";
  if (std::filesystem::exists(beside)) return beside;
  return "/work/shared/data";
}

std::string Lower(const std::string& s) {
  std::string out;
  std::size_t pos = 0;
  while (pos < s.size()) {
    const unsigned char b = static_cast<unsigned char>(s[pos]);
    if (b == 0xD0 && pos + 1 < s.size()) {  // А-Я (U+0410-042F), Ё (U+0401)
      const unsigned char c = static_cast<unsigned char>(s[pos + 1]);
      if (c >= 0x90 && c <= 0x9F) {
        out += "\xD0";
        out += static_cast<char>(c + 0x20);
      } else if (c >= 0xA0 && c <= 0xAF) {
        out += "\xD1";
        out += static_cast<char>(c - 0x20);
      } else if (c == 0x81) {
        out += "\xD1\x91";
      } else {
        out += s.substr(pos, 2);
      }
      pos += 2;
      continue;
    }
    // Ң Ө Ү (U+04A2, U+04E8, U+04AE) -> ң ө ү
    if (b == 0xD2 && pos + 1 < s.size() && (s[pos + 1] == '\xA2' || s[pos + 1] == '\xAE')) {
      out += "\xD2";
      out += static_cast<char>(s[pos + 1] + 1);
      pos += 2;
      continue;
    }
    if (b == 0xD3 && pos + 1 < s.size() && s[pos + 1] == '\xA8') {
      out += "\xD3\xA9";
      pos += 2;
      continue;
    }
    out += static_cast<char>(b < 0x80 ? std::tolower(b) : b);
    ++pos;
  }
  return out;
}

// The share of gold NOUN/VERB/ADJ/PROPN forms whose stem equals their lemma's stem, and the share
// of distinct lemmas whose stem is also another lemma's (false merges). Figures in docs/RULES.md.
TEST(KyrgyzStemmer, GoldFormsOfUdKyrgyzKtmu) {
  const std::string path = SharedData() + "/ky-morphology/DERIVED_ky_ktmu_form_lemma.tsv";
  std::ifstream in(path);
  if (!in) GTEST_SKIP() << "no " << path << " (set SAKCHY_SHARED_DATA)";
  std::string line;
  std::getline(in, line);  // header
  std::size_t forms = 0;
  std::size_t same = 0;
  std::map<std::string, std::size_t> by_pos_total;
  std::map<std::string, std::size_t> by_pos_same;
  std::map<std::string, std::set<std::string>> lemmas_by_stem;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string form, lemma, upos;
    std::getline(fields, form, '\t');
    std::getline(fields, lemma, '\t');
    std::getline(fields, upos, '\t');
    if (upos != "NOUN" && upos != "VERB" && upos != "ADJ" && upos != "PROPN") continue;
    const std::string f = Lower(form);
    const std::string l = Lower(lemma);
    const std::string lemma_stem = StemOf(kLangKy, l);
    ++forms;
    ++by_pos_total[upos];
    if (StemOf(kLangKy, f) == lemma_stem) {
      ++same;
      ++by_pos_same[upos];
    }
    lemmas_by_stem[lemma_stem].insert(l);
  }
  ASSERT_GT(forms, 5000u);
  std::size_t lemmas = 0;
  std::size_t merged = 0;
  for (const auto& [stem, set] : lemmas_by_stem) {
    lemmas += set.size();
    if (set.size() > 1) merged += set.size();
  }
  const double agreement = static_cast<double>(same) / static_cast<double>(forms);
  const double false_merge = static_cast<double>(merged) / static_cast<double>(lemmas);
  std::printf("Kyrgyz stemmer on UD_Kyrgyz-KTMU: %zu forms, stem(form) == stem(lemma) for %.1f%%;"
              " %zu lemmas, %.1f%% share their stem with another lemma\n",
              forms, 100 * agreement, lemmas, 100 * false_merge);
  for (const auto& [pos, total] : by_pos_total) {
    std::printf("  %s: %zu forms, %.1f%%\n", pos.c_str(), total,
                100.0 * static_cast<double>(by_pos_same[pos]) / static_cast<double>(total));
  }
  EXPECT_GE(agreement, 0.78);
  EXPECT_LE(false_merge, 0.32);
}

}  // namespace
}  // namespace sakchy::classifier::morphology::morphology_test

// Normaliser: NFKC + case fold, Kyrgyz letters, homoglyphs, spaced-out letters, repeats, and the
// map from normalised bytes back to original offsets.

#include "../../classifier/src/normalizer.h"

#include <gtest/gtest.h>

#include <string>

#include "classifier/language.h"

namespace sakchy::classifier::internal::normalizer_test {
namespace {

struct Case {
  const char* name;
  std::string input;
  std::string expected;
};

class NormalizerCases : public ::testing::TestWithParam<Case> {};

TEST_P(NormalizerCases, Normalizes) {
  Normalizer n;
  EXPECT_EQ(n.Normalize(GetParam().input).text, GetParam().expected) << GetParam().name;
}

INSTANTIATE_TEST_SUITE_P(
    All, NormalizerCases,
    ::testing::Values(
        Case{"lower", "БЕСПОРЯДКИ в Оше", "беспорядки в оше"},
        Case{"latin_case", "RIOT", "riot"},
        Case{"nfkc_fullwidth", "ＲＩＯＴ", "riot"},
        Case{"nfkc_ligature", "ﬁre", "fire"},
        Case{"combining_yo", "е\u0308ж", "ёж"},
        Case{"kyrgyz_en_variant", "Чоӊ-Алай", "чоң алай"},
        Case{"kyrgyz_en_upper_variant", "ӉОӉ", "ңоң"},
        Case{"kyrgyz_en", "Тоң", "тоң"},
        Case{"homoglyph_mixed", "6ecпopядки", "беспорядки"},
        Case{"homoglyph_latin_xy", "xyй", "хуй"},
        Case{"at_sign", "х@мло", "хамло"},
        Case{"digits_in_word", "3ap0danie", "3ap0danie"},  // no Cyrillic: untouched
        Case{"plain_number", "в 2024 году", "в 2024 году"},
        Case{"number_with_suffix", "10до", "10до"},
        Case{"email_untouched", "user@mail.ru", "user mail ru"},
        Case{"dotted", "б.е.с.п.о.р.я.д.к.и", "беспорядки"},
        Case{"dashed", "с-л-у-х-и", "слухи"},
        Case{"spaced", "б е с п о р я д к и", "беспорядки"},
        Case{"short_words_kept", "я и ты", "я и ты"},
        Case{"abbreviation_kept", "т.е. так", "т е так"},
        Case{"repeats", "срооооочно!!!", "срочно "},
        Case{"double_kept", "Кара-Суу", "кара суу"},
        Case{"digits_not_collapsed", "1000", "1000"},
        Case{"separators", "передайте, — всем!!", "передайте всем "},
        Case{"apostrophes", "O‘sh o’zbek", "o'sh o'zbek"},
        Case{"empty", "", ""}),
    [](const ::testing::TestParamInfo<Case>& info) { return std::string(info.param.name); });

// The original slice covered by the normalised range [b, e).
std::string Slice(const std::string& original, const NormalizedText& n, std::size_t b,
                  std::size_t e) {
  return original.substr(n.OriginalBegin(b), n.OriginalEnd(e) - n.OriginalBegin(b));
}

TEST(NormalizerOffsets, MapBackToOriginal) {
  struct OffsetCase {
    std::string input;
    std::string needle;  // normalised
    std::string original;
  };
  const OffsetCase cases[] = {
      {"Вот 6ecпopядки!", "беспорядки", "6ecпopядки"},
      {"x б.е.с.п.о.р.я.д.к.и y", "беспорядки", "б.е.с.п.о.р.я.д.к.и"},
      {"Какое х@мло", "хамло", "х@мло"},
      {"СРОООЧНО всем", "срочно", "СРОООЧНО"},
      {"ＲＩＯＴ now", "riot", "ＲＩＯＴ"},
      {"передайте, — всем!", "передайте всем", "передайте, — всем"},
      {"в Чоӊ-Алае", "чоң алае", "Чоӊ-Алае"},
      {"е\u0308ж и", "ёж", "е\u0308ж"},
  };
  Normalizer n;
  for (const OffsetCase& c : cases) {
    const NormalizedText t = n.Normalize(c.input);
    ASSERT_EQ(t.orig_begin.size(), t.text.size());
    const std::size_t pos = t.text.find(c.needle);
    ASSERT_NE(pos, std::string::npos) << c.input << " -> " << t.text;
    EXPECT_EQ(Slice(c.input, t, pos, pos + c.needle.size()), c.original) << c.input;
  }
}

TEST(NormalizerTranslit, LatinWordsBecomeCyrillic) {
  struct TranslitCase {
    std::string input;
    std::string expected;
  };
  const TranslitCase cases[] = {
      {"govoryat", "говорят"},
      {"Peredayte vsem!", "передайте всем "},
      {"chykkyla", "чыккыла"},
      {"srochno, 6ecпopядки", "срочно беспорядки"},
      {"O'sh", "ош"},
  };
  Normalizer n;
  for (const TranslitCase& c : cases) {
    NormalizedText out;
    ASSERT_TRUE(n.Transliterate(n.Normalize(c.input), out)) << c.input;
    EXPECT_EQ(out.text, c.expected);
  }
  NormalizedText out;
  EXPECT_FALSE(n.Transliterate(n.Normalize("только кириллица 123"), out));
  ASSERT_TRUE(n.Transliterate(n.Normalize("Govoryat"), out));
  EXPECT_EQ(out.OriginalBegin(0), 0u);
  EXPECT_EQ(out.OriginalEnd(out.text.size()), 8u);
}

TEST(NormalizerRobustness, InvalidUtf8DoesNotCrash) {
  Normalizer n;
  const std::string inputs[] = {std::string("\xff\xfe\xd0", 3), std::string("ab\xc3", 3),
                                std::string("\xe2\x82", 2), std::string("\xd0\xb1\x80.", 4)};
  for (const std::string& s : inputs) {
    const NormalizedText t = n.Normalize(s);
    ASSERT_EQ(t.orig_begin.size(), t.text.size());
    for (std::size_t i = 0; i < t.text.size(); ++i) EXPECT_LE(t.orig_end[i], s.size());
  }
}

// The matcher's single pass must give what the stages give one after the other, in the scan
// encoding, and identify the language as DetectLanguage() does.
TEST(NormalizerMatching, OnePassEqualsTheStages) {
  Normalizer n;
  const std::string inputs[] = {
      "Говорят, в Араванском районе начались беспорядки, передайте всем!",
      "Srochno: govoryat, v Bishkeke perekryli dorogi. Жалал-Абадда жаңы мектеп",
      "б.е.с.п.о.р.я.д.к.и на рынке", "а б в г д", "a b c d e", "х@мло и 6ecпopядки",
      "a@b@c@d@e", "срооооочно!!! O‘sh, bo'ldi, ko'p", "Чоӊ-Алай ӈ", "ﬁ ß İ ＲＩ ½ ŉ ΐ",
      "e\u0301 combining", "emoji 😀 中 text", std::string("ill\xff\xc3 formed \xe2\x82", 15),
      "", "   ", "@", "a@", "@b", "ааа", "it's don't", "q'q' o'", "\n\tabc\n"};
  MatchText m;  // reused, as the matcher does
  for (const std::string& s : inputs) {
    NormalizedText expected = n.Normalize(s);
    n.AppendTransliteration(expected);
    Language language = Language::kUnknown;
    n.NormalizeForMatching(s, m, &language);
    const NormalizedText got = ToNormalizedText(m);
    EXPECT_EQ(got.text, expected.text) << s;
    EXPECT_EQ(got.orig_begin, expected.orig_begin) << s;
    EXPECT_EQ(got.orig_end, expected.orig_end) << s;
    EXPECT_EQ(got.word, expected.word) << s;
    EXPECT_EQ(got.main_size, expected.main_size) << s;
    EXPECT_EQ(language, DetectLanguage(s)) << s;
    EXPECT_EQ(ToScanEncoding(got.text), std::string(m.view())) << s;
  }
}

TEST(NormalizerMatching, ScanEncodingIsOneBytePerCyrillicLetter) {
  EXPECT_EQ(ToScanEncoding("ош").size(), 2u);
  EXPECT_EQ(ToScanEncoding("жаңы өмүр").size(), 9u);
  EXPECT_EQ(ToScanEncoding("abc 1").size(), 5u);
  // Other code points: 0xFF and their UTF-8 bytes.
  EXPECT_EQ(ToScanEncoding("中"), "\xff\xe4\xb8\xad");
  EXPECT_EQ(ToScanEncoding("Ж"), "\xff\xd0\x96");  // upper case never reaches the matcher
  Normalizer n;
  MatchText m;
  n.NormalizeForMatching("中中 ош", m);
  ASSERT_EQ(m.size, 11u);
  EXPECT_EQ(m.flags[0], MatchText::kWord);
  EXPECT_EQ(m.flags[1], MatchText::kWord | MatchText::kContinuation);
  EXPECT_EQ(m.flags[8], 0);  // the space
  EXPECT_EQ(m.OriginalBegin(9), 7u);
  EXPECT_EQ(m.OriginalEnd(11), 11u);
}

}  // namespace
}  // namespace sakchy::classifier::internal::normalizer_test

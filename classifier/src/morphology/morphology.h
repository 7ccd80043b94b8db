#pragma once
// Word stems for `morphology: stems` (docs/RULES.md "Morphology"): Russian and English through
// Snowball (libstemmer), Kyrgyz and Uzbek through our own suffix strippers. Analysers are named by
// the rule language bits (internal::kLangKy ...), so a term written under `ru:` is stemmed as
// Russian.

#include <cstdint>
#include <string>
#include <string_view>

namespace sakchy::classifier::morphology {

struct Stem {
  std::string text;         // UTF-8 (Uzbek stems are Latin whatever the word's script)
  std::size_t kept = 0;     // code points at the start of the word that the stem keeps unchanged
  bool negated = false;     // Kyrgyz/Uzbek negative verb form
  // Kyrgyz/Uzbek: the stem ends in к/п (k/q) which a vowel-initial suffix turns into г/б (g/g'),
  // so inflected forms share only kept - 1 code points with it.
  bool alternates = false;
};

// Shortest stem, in code points, that each analyser uses: a shorter stem merges too many words
// (Snowball: убили -> "уб", like убыли), so the word is then matched as written.
inline constexpr std::size_t kMinSnowballStem = 3;
inline constexpr std::size_t kMinAgglutinativeStem = 2;

// Stems `word` (one normalised, lower-case word) with the analyser `lang` (one internal::kLang*
// bit). False when the analyser gives no usable stem (too short). Thread safety: any thread
// (Snowball instances are per thread, created on first use). Never throws.
bool StemWord(std::uint8_t lang, std::string_view word, Stem& out);

// Analysers for a word of a term written without a language, by its letters: Kyrgyz letters
// ң ө ү -> ky; Uzbek Cyrillic ў қ ғ ҳ -> uz; other Cyrillic -> ru and ky; Latin -> en and uz;
// 0 when the word has a digit or no letter of those scripts.
std::uint8_t AnalysersByScript(std::string_view word);

}  // namespace sakchy::classifier::morphology

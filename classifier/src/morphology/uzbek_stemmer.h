#pragma once
// An Uzbek suffix stripper (docs/RULES.md "Morphology"), Latin script; Cyrillic Uzbek words are
// read through a letter-by-letter transliteration (ў -> o', қ -> q, ғ -> g', ҳ -> h, ш -> sh ...),
// so both scripts give the same (Latin) stem. Removes, right to left in the order they stack:
// predicative person endings, case, possession, plural, a few derivations (-chi, -lik, -siz),
// tense/aspect/mood with person (-di, -gan, -yapti, -moqda, -adi, -ib, -sa, -sin, -ing(lar) ...),
// negation (-ma-), the passive and reciprocal voice. Stem-final g / g' left by a vowel-initial
// suffix are restored to k / q (yuragi -> yurak). No dictionary.

#include <optional>
#include <string>
#include <string_view>

namespace sakchy::classifier::morphology {

struct UzbekStem {
  std::string stem;      // Latin, lower case, apostrophe "'" in o' and g'
  std::size_t kept = 0;  // code points at the start of the input word the stem covers unchanged
  bool negated = false;
};

// `word`: one lower-case word (normalised text), Latin or Cyrillic. Thread safety: any thread.
void StemUzbek(std::u32string_view word, UzbekStem& out);

// `text` (lower-case UTF-8: Uzbek words, spaces, punctuation, '=') in the other Uzbek script:
// Latin -> Cyrillic (sh -> ш, ch -> ч, o' -> ў, g' -> ғ, q -> қ, h -> ҳ, x -> х, yo/yu/ya -> ё ю
// я, ye and a word-initial e -> е/э, ' -> ъ) or Cyrillic -> Latin (the reverse; е is "ye" at the
// start of a word or after a vowel). std::nullopt when `text` mixes the scripts, has a letter of
// neither alphabet (ы, ң, w ...), a digit, or no letter. Thread safety: any thread.
std::optional<std::string> UzbekOtherScript(std::string_view text);

}  // namespace sakchy::classifier::morphology

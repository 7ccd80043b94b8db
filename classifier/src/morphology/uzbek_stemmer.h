#pragma once
// An Uzbek suffix stripper (docs/RULES.md "Morphology"), Latin script; Cyrillic Uzbek words are
// read through a letter-by-letter transliteration (ў -> o', қ -> q, ғ -> g', ҳ -> h, ш -> sh ...),
// so both scripts give the same (Latin) stem. Removes, right to left in the order they stack:
// predicative person endings, case, possession, plural, a few derivations (-chi, -lik, -siz),
// tense/aspect/mood with person (-di, -gan, -yapti, -moqda, -adi, -ib, -sa, -sin, -ing(lar) ...),
// negation (-ma-), the passive and reciprocal voice. Stem-final g / g' left by a vowel-initial
// suffix are restored to k / q (yuragi -> yurak). No dictionary.

#include <string>

namespace sakchy::classifier::morphology {

struct UzbekStem {
  std::string stem;      // Latin, lower case, apostrophe "'" in o' and g'
  std::size_t kept = 0;  // code points at the start of the input word the stem covers unchanged
  bool negated = false;
};

// `word`: one lower-case word (normalised text), Latin or Cyrillic. Thread safety: any thread.
void StemUzbek(std::u32string_view word, UzbekStem& out);

}  // namespace sakchy::classifier::morphology

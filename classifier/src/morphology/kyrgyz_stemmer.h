#pragma once
// A Kyrgyz suffix stripper (docs/RULES.md "Morphology"): removes inflection (predicative person,
// case, possession, plural, tense/aspect/mood and person of verbs, negation, the reciprocal and
// passive voice) and a few derivations (agent -чы/-кер, -лык, -сыз) from the end of a word, right
// to left in the order the suffixes stack, checking vowel harmony (front/back), the voicing of a
// suffix's first consonant against the stem's last sound, and a minimum stem. Where suffixes are
// ambiguous (-ды: accusative or past) the two longest candidates are tried at each step and the
// shortest stem wins. Stem-final г/б left by a vowel-initial suffix are restored to к/п
// (тарагы -> тарак); a stem of 5+ letters loses a final vowel (зордукта-ды / зордукт-а-ды). No
// dictionary: unrelated words can share a stem, and some related forms do not (figures in
// docs/RULES.md).

#include <string>

namespace sakchy::classifier::morphology {

struct KyrgyzStem {
  std::u32string stem;    // lower case; the final consonant restored (к, п)
  std::size_t kept = 0;   // code points the stem and the word have in common at their start
  bool negated = false;   // a negative verb form (-ба/-бе/-ма/-па ... was removed)
};

// `word`: one lower-case word (normalised text). Thread safety: any thread; no allocation beyond
// `out.stem`.
void StemKyrgyz(std::u32string_view word, KyrgyzStem& out);

}  // namespace sakchy::classifier::morphology

// The Normalizer's entry points: the stages of normalizer_fold.cc, normalizer_obfuscation.cc,
// normalizer_transliteration.cc and normalizer_encoding.cc in their order.
#include "normalizer.h"

#include "normalizer_internal.h"

namespace sakchy::classifier::internal {

using namespace norm;  // NOLINT(google-build-using-namespace): the stages

bool IsWordChar(char32_t c) { return (Flags(c) & kWord) != 0; }

Normalizer::Normalizer() : nfkc_cf_(NfkcCasefold()) { BuildTable(); }

namespace {

struct UnitBuffers {
  std::vector<Unit> a;
  std::vector<Unit> b;
  std::vector<Unit> fast;  // NormalizeForMatching(): only grows, the count is kept apart
};
thread_local UnitBuffers t_units;

// Folds `text` (NFKC_Casefold, Kyrgyz ӊ) and joins spaced-out letters; returns the buffer of
// t_units that holds the result.
std::vector<Unit>& FoldAndJoin(const icu::Normalizer2* nfkc_cf, std::string_view text) {
  UnitBuffers& buf = t_units;
  if (!FoldFast(nfkc_cf, text, buf.a)) {
    FoldWithIcu(nfkc_cf, text, buf.a);
    for (Unit& u : buf.a) u.cp = FoldKyrgyzEn(u.cp);  // same flags: both Cyrillic letters
  }
  return JoinSpacedLetters(buf.a, buf.b) ? buf.b : buf.a;
}

// Folds `text` and applies every stage one after the other; returns the buffer of t_units that
// holds the result. The reference that NormalizeForMatching()'s single pass must equal.
std::vector<Unit>& NormalizeUnits(const icu::Normalizer2* nfkc_cf, std::string_view text) {
  std::vector<Unit>& units = FoldAndJoin(nfkc_cf, text);
  if (MayHavePi(text)) units.resize(ReplacePi(units.data(), units.size()));
  FoldHomoglyphs(units);
  CollapseRepeatsAndSeparators(units);
  return units;
}

}  // namespace

void Normalizer::Normalize(std::string_view text, NormalizedText& out) const {
  const std::vector<Unit>& units =
      NormalizeUnits(static_cast<const icu::Normalizer2*>(nfkc_cf_), text);
  EncodeAt(units, 0, out);
  out.main_size = out.text.size();
  out.word_starts.clear();
}

void Normalizer::NormalizeForMatching(std::string_view text, MatchText& out,
                                      Language* language) const {
  const auto* nfkc_cf = static_cast<const icu::Normalizer2*>(nfkc_cf_);
  std::vector<Unit>& fast = t_units.fast;
  if (fast.size() < MaxFoldedUnits(text)) fast.resize(MaxFoldedUnits(text));
  std::size_t n = 0;
  bool folded = false;
  if (language != nullptr) {
    folded = FoldFastInto<true>(nfkc_cf, text, fast.data(), n, language);
    if (!folded) *language = DetectLanguage(text);
  } else {
    folded = FoldFastInto<false>(nfkc_cf, text, fast.data(), n, nullptr);
  }
  std::size_t latin_from = kNoLatin;
  const bool pi = MayHavePi(text);
  if (folded && pi) n = ReplacePi(fast.data(), n);
  if (folded && FoldCollapseEncode(fast.data(), n, true, out, latin_from)) {
    if (latin_from != kNoLatin) AppendRuns(latin_from, out);
    return;
  }
  // ICU's own normalisation was needed, or letters may have to be joined: the stages in turn.
  std::vector<Unit>& units = FoldAndJoin(nfkc_cf, text);
  if (pi) units.resize(ReplacePi(units.data(), units.size()));
  FoldCollapseEncode(units.data(), units.size(), false, out, latin_from);
  if (latin_from != kNoLatin) AppendRuns(latin_from, out);
}

}  // namespace sakchy::classifier::internal

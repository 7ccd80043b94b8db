// Normalisation, the fold: NFKC_Casefold (ICU, or the per-code-point table computed once from
// it for the common scripts) with a byte map back to the input, and Kyrgyz ӊ -> ң.
#include <unicode/bytestream.h>
#include <unicode/edits.h>
#include <unicode/uchar.h>
#include <unicode/uscript.h>

#include "language_scorer.h"
#include "normalizer_internal.h"

namespace sakchy::classifier::internal::norm {
namespace {

struct CharInfo {
  std::uint8_t flags = 0;
  std::uint8_t fold_len = 0;  // code points in fold (1..3) when kFast
  std::array<std::uint8_t, 3> fold_flags{};  // IcuFlags() of each code point of fold
  std::array<char32_t, 3> fold{};
};

// NFKC_Casefold of one code point that has a normalization boundary before it, as up to 3 code
// points; false when it is not such a code point or its mapping is longer.
bool FoldOne(const icu::Normalizer2* n, char32_t c, std::array<char32_t, 3>& out,
             std::uint8_t& len) {
  if (n == nullptr || !n->hasBoundaryBefore(static_cast<UChar32>(c))) return false;
  UErrorCode status = U_ZERO_ERROR;
  const icu::UnicodeString folded =
      n->normalize(icu::UnicodeString(static_cast<UChar32>(c)), status);
  if (U_FAILURE(status)) return false;
  len = 0;
  for (int32_t i = 0; i < folded.length();) {
    const UChar32 d = folded.char32At(i);
    if (len == 3) return false;
    out[len++] = static_cast<char32_t>(d);
    i += U16_LENGTH(d);
  }
  return true;
}

struct CharTable {
  std::vector<CharInfo> info;
  explicit CharTable(const icu::Normalizer2* n) : info(kTableEnd) {
    for (char32_t c = 0; c < kTableEnd; ++c) {
      CharInfo& ci = info[c];
      ci.flags = IcuFlags(c);
      if (c >= 0xD800 && c <= 0xDFFF) continue;
      if (!FoldOne(n, c, ci.fold, ci.fold_len)) continue;
      ci.flags |= kFast;
      for (std::uint8_t k = 0; k < ci.fold_len; ++k) {
        ci.fold[k] = FoldKyrgyzEn(ci.fold[k]);
        ci.fold_flags[k] = IcuFlags(ci.fold[k]);
      }
    }
  }
};

const CharTable& Table() {
  static const CharTable table(NfkcCasefold());
  return table;
}

}  // namespace

std::uint8_t IcuFlags(char32_t c) {
  const auto cp = static_cast<UChar32>(c);
  std::uint8_t f = 0;
  if (u_isalnum(cp) || (U_GET_GC_MASK(cp) & U_GC_M_MASK) != 0) f |= kWord;
  if (u_isalpha(cp)) f |= kAlpha;
  if (u_isUWhiteSpace(cp)) f |= kSpace;
  UErrorCode status = U_ZERO_ERROR;
  if (uscript_getScript(cp, &status) == USCRIPT_CYRILLIC && U_SUCCESS(status)) f |= kCyrillic;
  return f;
}

const icu::Normalizer2* NfkcCasefold() {
  static const icu::Normalizer2* const instance = [] {
    UErrorCode status = U_ZERO_ERROR;
    const icu::Normalizer2* n = icu::Normalizer2::getNFKCCasefoldInstance(status);
    return U_SUCCESS(status) ? n : nullptr;
  }();
  return instance;
}

void BuildTable() { Table(); }

std::atomic<const std::uint8_t*> g_flags{nullptr};

const std::uint8_t* FlagTable() {
  static const std::vector<std::uint8_t> flags = [] {
    std::vector<std::uint8_t> f;
    for (const CharInfo& ci : Table().info) f.push_back(ci.flags);
    return f;
  }();
  return flags.data();
}

void FoldWithIcu(const icu::Normalizer2* nfkc_cf, std::string_view text, std::vector<Unit>& units) {
  std::string folded;
  std::vector<std::uint32_t> ob;
  std::vector<std::uint32_t> oe;
  bool ok = false;
  if (nfkc_cf != nullptr) {
    UErrorCode status = U_ZERO_ERROR;
    icu::Edits edits;
    icu::StringByteSink<std::string> sink(&folded);
    nfkc_cf->normalizeUTF8(0, icu::StringPiece(text.data(), static_cast<int32_t>(text.size())),
                           sink, &edits, status);
    if (U_SUCCESS(status)) {
      ob.assign(folded.size(), 0);
      oe.assign(folded.size(), 0);
      icu::Edits::Iterator it = edits.getFineIterator();
      ok = true;
      while (it.next(status)) {
        const auto src = static_cast<std::uint32_t>(it.sourceIndex());
        const auto dst = static_cast<std::size_t>(it.destinationIndex());
        const auto old_len = static_cast<std::uint32_t>(it.oldLength());
        const auto new_len = static_cast<std::size_t>(it.newLength());
        if (dst + new_len > folded.size()) {
          ok = false;
          break;
        }
        for (std::size_t k = 0; k < new_len; ++k) {
          if (it.hasChange()) {
            ob[dst + k] = src;
            oe[dst + k] = src + old_len;
          } else {
            ob[dst + k] = src + static_cast<std::uint32_t>(k);
            oe[dst + k] = src + static_cast<std::uint32_t>(k) + 1;
          }
        }
      }
      if (U_FAILURE(status)) ok = false;
    }
  }
  if (!ok) {  // Identity with ASCII lower-casing; never expected with a working ICU.
    folded.assign(text);
    ob.resize(text.size());
    oe.resize(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (folded[i] >= 'A' && folded[i] <= 'Z') folded[i] = static_cast<char>(folded[i] + 32);
      ob[i] = static_cast<std::uint32_t>(i);
      oe[i] = static_cast<std::uint32_t>(i + 1);
    }
  }
  units.clear();
  units.reserve(folded.size());
  std::size_t pos = 0;
  while (pos < folded.size()) {
    const std::size_t start = pos;
    const char32_t c = DecodeUtf8(folded, pos);
    units.push_back(Unit{c, ob[start], oe[pos - 1]});
  }
}

template <bool kWithLanguage>
bool FoldFastInto(const icu::Normalizer2* nfkc_cf, std::string_view text, Unit* out,
                  std::size_t& count, Language* language) {
  if (nfkc_cf == nullptr) return false;
  char word[kLangWordBuffer];
  LanguageScorer scorer(word);
  const CharInfo* const table = Table().info.data();
  Unit* w = out;
  std::size_t pos = 0;
  const std::size_t size = text.size();
  while (pos < size) {
    const auto start = static_cast<std::uint32_t>(pos);
    const char32_t c = DecodeUtf8(text, pos);
    const auto end = static_cast<std::uint32_t>(pos);
    if constexpr (kWithLanguage) scorer.Add(c, pos == size);
    if (c < kTableEnd) {
      const CharInfo& ci = table[c];
      if ((ci.flags & kFast) == 0) return false;
      *w++ = Unit{ci.fold[0], start, end, ci.fold_flags[0]};
      if (ci.fold_len > 1) {
        for (std::uint8_t k = 1; k < ci.fold_len; ++k) {
          *w++ = Unit{ci.fold[k], start, end, ci.fold_flags[k]};
        }
      }
      continue;
    }
    if (c == kReplacement && (end - start != 3)) return false;  // ill-formed input
    std::array<char32_t, 3> fold{};
    std::uint8_t len = 0;
    if (!FoldOne(nfkc_cf, c, fold, len)) return false;
    for (std::uint8_t k = 0; k < len; ++k) *w++ = Unit{FoldKyrgyzEn(fold[k]), start, end};
  }
  count = static_cast<std::size_t>(w - out);
  if constexpr (kWithLanguage) *language = scorer.Finish();
  return true;
}

template bool FoldFastInto<true>(const icu::Normalizer2*, std::string_view, Unit*, std::size_t&,
                                 Language*);
template bool FoldFastInto<false>(const icu::Normalizer2*, std::string_view, Unit*, std::size_t&,
                                  Language*);

bool FoldFast(const icu::Normalizer2* nfkc_cf, std::string_view text, std::vector<Unit>& units) {
  units.resize(MaxFoldedUnits(text));
  std::size_t count = 0;
  const bool ok = FoldFastInto<false>(nfkc_cf, text, units.data(), count, nullptr);
  units.resize(ok ? count : 0);
  return ok;
}

}  // namespace sakchy::classifier::internal::norm

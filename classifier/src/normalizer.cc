#include "normalizer.h"

#include "language_scorer.h"

#include "core/utf8.h"

#include <unicode/bytestream.h>
#include <unicode/edits.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/uscript.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <span>
#include <utility>

namespace sakchy::classifier::internal {
namespace {

// One code point of the text being normalised and the original bytes it stands for.

constexpr char32_t kReplacement = kUtf8Replacement;

// Character classes and NFKC_Casefold mappings of the code points most texts consist of (ASCII,
// Latin, Greek, Cyrillic and general punctuation), computed once from ICU so the hot path makes no
// ICU call per character. Other code points are asked from ICU directly.
constexpr char32_t kTableEnd = 0x2070;
constexpr std::uint8_t kWord = 1;      // letter, decimal digit or combining mark
constexpr std::uint8_t kAlpha = 2;     // u_isalpha
constexpr std::uint8_t kSpace = 4;     // u_isUWhiteSpace
constexpr std::uint8_t kCyrillic = 8;  // script Cyrillic
constexpr std::uint8_t kFast = 16;     // boundary before; `fold` below is its NFKC_Casefold

struct CharInfo {
  std::uint8_t flags = 0;
  std::uint8_t fold_len = 0;  // code points in fold (1..3) when kFast
  std::array<std::uint8_t, 3> fold_flags{};  // IcuFlags() of each code point of fold
  std::array<char32_t, 3> fold{};
};

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

// Kyrgyz ӊ (U+04CA) and ӈ (U+04C8), the variants of ң in some fonts and data, -> ң (U+04A3).
char32_t FoldKyrgyzEn(char32_t c) { return c == U'\u04CA' || c == U'\u04C8' ? U'\u04A3' : c; }

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

const icu::Normalizer2* NfkcCasefold() {
  static const icu::Normalizer2* const instance = [] {
    UErrorCode status = U_ZERO_ERROR;
    const icu::Normalizer2* n = icu::Normalizer2::getNFKCCasefoldInstance(status);
    return U_SUCCESS(status) ? n : nullptr;
  }();
  return instance;
}

const CharTable& Table() {
  static const CharTable table(NfkcCasefold());
  return table;
}

// Flags of the table's code points, published once the table is built.
std::atomic<const std::uint8_t*> g_flags{nullptr};

const std::uint8_t* FlagTable() {
  static const std::vector<std::uint8_t> flags = [] {
    std::vector<std::uint8_t> f;
    for (const CharInfo& ci : Table().info) f.push_back(ci.flags);
    return f;
  }();
  return flags.data();
}

inline std::uint8_t Flags(char32_t c) {
  const std::uint8_t* flags = g_flags.load(std::memory_order_acquire);
  if (flags == nullptr) {
    flags = FlagTable();
    g_flags.store(flags, std::memory_order_release);
  }
  return c < kTableEnd ? flags[c] : IcuFlags(c);
}

bool IsDigit(char32_t c) { return c >= '0' && c <= '9'; }

// Characters that mask a letter inside a word ("х*й", "б%ять", "с)ка").
bool IsMaskChar(char32_t c) {
  return c == '*' || c == '%' || c == '#' || c == ')' || c == '.' || c == '@';
}

// Whether `text` may hold the rebus "3.14" (or "3,14") for "пи".
bool MayHavePi(std::string_view text) {
  return text.find("3.14") != std::string_view::npos ||
         text.find("3,14") != std::string_view::npos;
}

// One code point of the text being normalised, its flags and the original bytes it stands for.
struct Unit {
  Unit() = default;
  Unit(char32_t c, std::uint32_t b, std::uint32_t e) : cp(c), ob(b), oe(e), f(Flags(c)) {}
  // `flags` must be Flags(c).
  Unit(char32_t c, std::uint32_t b, std::uint32_t e, std::uint8_t flags)
      : cp(c), ob(b), oe(e), f(flags) {}
  void Set(char32_t c) {
    cp = c;
    f = Flags(c);
  }
  char32_t cp;
  std::uint32_t ob;
  std::uint32_t oe;
  std::uint8_t f;
};

bool IsWord(const Unit& u) { return (u.f & kWord) != 0; }
bool IsAlphaUnit(const Unit& u) { return (u.f & kAlpha) != 0; }
bool IsCyrillicLetter(const Unit& u) {
  return (u.f & (kAlpha | kCyrillic)) == (kAlpha | kCyrillic);
}

// The rebus "3.14" / "3,14" touching a Cyrillic letter ("3.14здец", "3,14дор") becomes "пи",
// in place; returns the new count. Other numbers are left alone.
std::size_t ReplacePi(Unit* u, std::size_t n) {
  std::size_t w = 0;
  std::size_t i = 0;
  while (i < n) {
    const bool pi = i + 3 < n && u[i].cp == '3' && (u[i + 1].cp == '.' || u[i + 1].cp == ',') &&
                    u[i + 2].cp == '1' && u[i + 3].cp == '4';
    const bool before = i > 0 && IsCyrillicLetter(u[i - 1]);
    const bool after = i + 4 < n && IsCyrillicLetter(u[i + 4]);
    const bool clean_before = i == 0 || !IsWord(u[i - 1]) || before;
    const bool clean_after = i + 4 >= n || !IsWord(u[i + 4]) || after;
    if (pi && (before || after) && clean_before && clean_after) {
      const Unit three = u[i];
      const Unit four = u[i + 3];
      const std::uint32_t dot_end = u[i + 1].oe;
      const std::uint32_t one_begin = u[i + 2].ob;
      u[w++] = Unit{U'п', three.ob, dot_end};
      u[w++] = Unit{U'и', one_begin, four.oe};
      i += 4;
      continue;
    }
    u[w++] = u[i++];
  }
  return w;
}

// Latin letters that look like Cyrillic ones (after case folding).
char32_t LatinLookAlike(char32_t c) {
  switch (c) {
    case 'a': return U'а';
    case 'b': return U'в';
    case 'c': return U'с';
    case 'e': return U'е';
    case 'h': return U'н';
    case 'k': return U'к';
    case 'm': return U'м';
    case 'n': return U'п';
    case 'o': return U'о';
    case 'p': return U'р';
    case 'r': return U'г';
    case 't': return U'т';
    case 'u': return U'и';
    case 'x': return U'х';
    case 'y': return U'у';
    // Letters without a Cyrillic look-alike, read by sound (пиzдец, пiдор, бlядь).
    case 'd': return U'д';
    case 'f': return U'ф';
    case 'g': return U'г';
    case 'i': return U'и';
    case 'l': return U'л';
    case 's': return U'с';
    case 'v': return U'в';
    case 'z': return U'з';
    default: return 0;
  }
}

// Digits and symbols used for letters inside Cyrillic words.
char32_t SymbolLookAlike(char32_t c) {
  switch (c) {
    case '0': return U'о';
    case '3': return U'з';
    case '4': return U'ч';
    case '6': return U'б';
    case '8': return U'в';
    case '@': return U'а';
    default: return 0;
  }
}

// NFKC + case fold with a byte-exact map back to the input.
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

// Units FoldFastInto() may write for `text`: a code point of n bytes folds to at most 3 code
// points, and only one of 2 bytes to more than n.
std::size_t MaxFoldedUnits(std::string_view text) { return text.size() + text.size() / 2 + 3; }

// The same result as FoldWithIcu without ICU's string and edit machinery, when every code point of
// the text has a normalization boundary before it (then NFKC_Casefold of the text is the
// concatenation of the folds of its code points). False when the slow path is needed: a
// combining mark or another code point that interacts with its neighbours, or ill-formed UTF-8.
// Writes `count` units to `out`, which has room for MaxFoldedUnits(text).
// kWithLanguage: also sets `language` to DetectLanguage(text) when it returns true.
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

bool FoldFast(const icu::Normalizer2* nfkc_cf, std::string_view text, std::vector<Unit>& units) {
  units.resize(MaxFoldedUnits(text));
  std::size_t count = 0;
  const bool ok = FoldFastInto<false>(nfkc_cf, text, units.data(), count, nullptr);
  units.resize(ok ? count : 0);
  return ok;
}

bool IsSingle(const std::vector<Unit>& u, std::size_t k) {
  return IsWord(u[k]) && (k == 0 || !IsWord(u[k - 1])) &&
         (k + 1 == u.size() || !IsWord(u[k + 1]));
}

// "б.е.с.п.о.р.я.д.к.и" -> "беспорядки": runs of single letters joined by short separators.
// Writes the result to `out` and returns true when some run was joined; else returns false and
// leaves `out` in an unspecified state (the result is `in`).
bool JoinSpacedLetters(const std::vector<Unit>& in, std::vector<Unit>& out) {
  bool joined = false;
  std::size_t i = 0;
  const std::size_t n = in.size();
  while (i < n) {
    if (IsSingle(in, i)) {
      thread_local std::vector<std::size_t> singles;
      singles.assign(1, i);
      std::u32string first_separator;  // every gap of a run must use the same separator
      bool all_separators_marked = false;
      std::size_t j = i + 1;
      while (j < n) {
        std::size_t k = j;
        std::u32string separator;
        bool marked = false;
        while (k < n && k - j < 3 && !IsWord(in[k]) && in[k].cp != '\n') {
          if ((in[k].f & kSpace) == 0) marked = true;
          separator.push_back(in[k].cp);
          ++k;
        }
        if (k == j || k >= n || !IsSingle(in, k)) break;
        if (singles.size() == 1) {
          first_separator = separator;
          all_separators_marked = marked;
        } else if (separator != first_separator) {
          break;
        }
        singles.push_back(k);
        j = k + 1;
      }
      std::size_t letters = 0;
      for (std::size_t s : singles) letters += IsAlphaUnit(in[s]) ? 1 : 0;
      const bool join = letters >= 3 && ((all_separators_marked && singles.size() >= 4) ||
                                         singles.size() >= 5);
      if (join) {
        if (!joined) {
          joined = true;
          out.assign(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(i));
        }
        for (std::size_t s : singles) out.push_back(in[s]);
        i = singles.back() + 1;
        continue;
      }
    }
    if (joined) out.push_back(in[i]);
    ++i;
  }
  return joined;
}

bool IsWordPart(const std::vector<Unit>& u, std::size_t k) {
  if (IsWord(u[k])) return true;
  return u[k].cp == '@' && k > 0 && k + 1 < u.size() && IsWord(u[k - 1]) &&
         IsWord(u[k + 1]);
}

// Latin look-alikes, digits and '@' inside words that contain Cyrillic letters.
void FoldHomoglyphs(std::vector<Unit>& u) {
  std::size_t i = 0;
  while (i < u.size()) {
    if (!IsWordPart(u, i)) {
      ++i;
      continue;
    }
    std::size_t end = i;
    bool has_cyrillic = false;
    std::size_t letters = 0;
    std::size_t symbols = 0;
    while (end < u.size() && IsWordPart(u, end)) {
      const char32_t c = u[end].cp;
      if (IsAlphaUnit(u[end])) {
        ++letters;
        if ((u[end].f & kCyrillic) != 0) has_cyrillic = true;
      } else if (IsDigit(c) || c == '@') {
        ++symbols;
      }
      ++end;
    }
    if (has_cyrillic) {
      const bool fold_symbols = letters >= 2 && letters > symbols;
      for (std::size_t k = i; k < end; ++k) {
        if (char32_t m = LatinLookAlike(u[k].cp); m != 0) {
          u[k].Set(m);
        } else if (fold_symbols) {
          if (char32_t s = SymbolLookAlike(u[k].cp); s != 0) u[k].Set(s);
        }
      }
    }
    i = end;
  }
}

bool IsApostrophe(char32_t c) {
  return c == '\'' || c == U'\u2019' || c == U'\u2018' || c == U'\u02BC' || c == U'\u02BB' ||
         c == '`';
}

// In one pass: a letter repeated 3+ times becomes one unit covering all the original bytes
// ("дааааа" -> "да"); every run of separators (anything but word characters and apostrophes)
// becomes one space, so phrases are plain literals; apostrophe variants become "'" (Uzbek o', g').
// In place: every output unit replaces one or more input units at or after its position.
void CollapseRepeatsAndSeparators(std::vector<Unit>& units) {
  Unit* u = units.data();
  std::size_t w = 0;
  std::size_t i = 0;
  const std::size_t n = units.size();
  while (i < n) {
    const Unit cur = u[i];
    if (IsWord(cur)) {
      std::size_t j = i + 1;
      while (j < n && u[j].cp == cur.cp) ++j;
      if (j - i >= 3 && IsAlphaUnit(cur)) {
        u[w++] = Unit{cur.cp, cur.ob, u[j - 1].oe, cur.f};
      } else {
        for (std::size_t k = i; k < j; ++k) u[w++] = u[k];
      }
      i = j;
      continue;
    }
    if (IsApostrophe(cur.cp)) {
      u[w++] = Unit{'\'', cur.ob, cur.oe};
    } else if (w > 0 && u[w - 1].cp == ' ') {
      u[w - 1].oe = cur.oe;
    } else {
      u[w++] = Unit{' ', cur.ob, cur.oe};
    }
    ++i;
  }
  units.erase(units.begin() + static_cast<std::ptrdiff_t>(w), units.end());
}

// Writes `units` to `out` from byte `start` on, replacing what was there (start <= size).
// A reused NormalizedText is not cleared: only growth beyond its previous size is zero-filled.
void EncodeAt(const std::vector<Unit>& units, std::size_t start, NormalizedText& out) {
  std::size_t size = start;
  for (const Unit& u : units) size += u.cp < 0x80 ? 1 : u.cp < 0x800 ? 2 : u.cp < 0x10000 ? 3 : 4;
  out.text.resize(size);
  out.orig_begin.resize(size);
  out.orig_end.resize(size);
  out.word.resize(size);
  char* text = out.text.data();
  std::uint32_t* ob = out.orig_begin.data();
  std::uint32_t* oe = out.orig_end.data();
  std::uint8_t* word = out.word.data();
  std::size_t n = start;
  for (const Unit& u : units) {
    const char32_t c = u.cp;
    const std::uint8_t w = u.f & kWord;
    if (c < 0x80) {
      text[n] = static_cast<char>(c);
      ob[n] = u.ob;
      oe[n] = u.oe;
      word[n] = w;
      n += 1;
      continue;
    }
    std::size_t len = 0;
    if (c < 0x800) {
      text[n] = static_cast<char>(0xC0 | (c >> 6));
      text[n + 1] = static_cast<char>(0x80 | (c & 0x3F));
      len = 2;
    } else if (c < 0x10000) {
      text[n] = static_cast<char>(0xE0 | (c >> 12));
      text[n + 1] = static_cast<char>(0x80 | ((c >> 6) & 0x3F));
      text[n + 2] = static_cast<char>(0x80 | (c & 0x3F));
      len = 3;
    } else {
      text[n] = static_cast<char>(0xF0 | (c >> 18));
      text[n + 1] = static_cast<char>(0x80 | ((c >> 12) & 0x3F));
      text[n + 2] = static_cast<char>(0x80 | ((c >> 6) & 0x3F));
      text[n + 3] = static_cast<char>(0x80 | (c & 0x3F));
      len = 4;
    }
    for (std::size_t k = 0; k < len; ++k) {
      ob[n + k] = u.ob;
      oe[n + k] = u.oe;
      word[n + k] = w;
    }
    n += len;
  }
}

void EncodeAppend(const std::vector<Unit>& units, NormalizedText& out) {
  EncodeAt(units, out.text.size(), out);
}

void Decode(const NormalizedText& t, std::vector<Unit>& units) {
  units.clear();
  units.reserve(t.text.size());
  std::size_t pos = 0;
  while (pos < t.text.size()) {
    const std::size_t start = pos;
    const char32_t c = DecodeUtf8(t.text, pos);
    units.push_back(Unit{c, t.orig_begin[start], t.orig_end[pos - 1]});
  }
}

bool IsLatinVowel(char32_t c) {
  return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' || c == 'y';
}

struct Digraph {
  std::u32string_view latin;
  std::u32string_view cyrillic;
};

constexpr std::array<Digraph, 10> kDigraphs = {{
    {U"shch", U"щ"}, {U"sh", U"ш"}, {U"ch", U"ч"}, {U"zh", U"ж"}, {U"kh", U"х"},
    {U"ts", U"ц"},   {U"ya", U"я"}, {U"yu", U"ю"}, {U"yo", U"ё"}, {U"ye", U"е"},
}};

char32_t LatinToCyrillic(char32_t c) {
  static constexpr std::u32string_view kTable = U"абцдефгхижклмнопкрстуввхыз";
  if (c >= 'a' && c <= 'z') return kTable[c - 'a'];
  return 0;
}

// Transliterates the Latin word u[begin, end) (letters and inner apostrophes) into `out`.
void TransliterateWord(std::span<const Unit> u, std::size_t begin, std::size_t end,
                       std::vector<Unit>& out) {
  std::size_t k = begin;
  while (k < end) {
    bool done = false;
    for (const Digraph& d : kDigraphs) {
      if (k + d.latin.size() > end) continue;
      bool same = true;
      for (std::size_t m = 0; m < d.latin.size() && same; ++m) same = u[k + m].cp == d.latin[m];
      if (!same) continue;
      out.push_back(Unit{d.cyrillic[0], u[k].ob, u[k + d.latin.size() - 1].oe});
      k += d.latin.size();
      done = true;
      break;
    }
    if (done) continue;
    const char32_t c = u[k].cp;
    if ((c == 'o' || c == 'g') && k + 1 < end && IsApostrophe(u[k + 1].cp)) {  // Uzbek o', g'
      out.push_back(Unit{c == 'o' ? U'о' : U'г', u[k].ob, u[k + 1].oe});
      k += 2;
      continue;
    }
    if (IsApostrophe(c)) {
      out.push_back(Unit{U'ь', u[k].ob, u[k].oe});
    } else if (c == 'y') {
      const bool after_vowel = k > begin && IsLatinVowel(u[k - 1].cp);
      out.push_back(Unit{after_vowel ? U'й' : U'ы', u[k].ob, u[k].oe});
    } else if (char32_t m = LatinToCyrillic(c); m != 0) {
      out.push_back(Unit{m, u[k].ob, u[k].oe});
    } else {
      out.push_back(u[k]);
    }
    ++k;
  }
}

}  // namespace

bool IsWordChar(char32_t c) { return (Flags(c) & kWord) != 0; }

Normalizer::Normalizer() : nfkc_cf_(NfkcCasefold()) { Table(); }

namespace {

struct UnitBuffers {
  std::vector<Unit> a;
  std::vector<Unit> b;
  std::vector<Unit> runs;
  std::vector<Unit> fast;  // NormalizeForMatching(): only grows, the count is kept apart
  std::vector<Unit> decoded;
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

namespace {

// Calls `on_word(begin, end, latin)` for every word of `u` (letters, digits and inner apostrophes);
// `latin` when it starts with a letter and all its letters are a-z.
template <typename F>
void ForEachWord(std::span<const Unit> u, F&& on_word) {
  std::size_t i = 0;
  while (i < u.size()) {
    if (!IsWord(u[i])) {
      ++i;
      continue;
    }
    std::size_t end = i;
    bool all_latin = true;
    while (end < u.size() &&
           (IsWord(u[end]) || (IsApostrophe(u[end].cp) && end > i &&
                                      end + 1 < u.size() && IsWord(u[end + 1])))) {
      const char32_t c = u[end].cp;
      if (IsAlphaUnit(u[end]) && !(c >= 'a' && c <= 'z')) all_latin = false;
      ++end;
    }
    on_word(i, end, all_latin && IsAlphaUnit(u[i]));
    i = end;
  }
}

}  // namespace

bool Normalizer::Transliterate(const NormalizedText& in, NormalizedText& out) const {
  thread_local std::vector<Unit> u;
  thread_local std::vector<Unit> result;
  Decode(in, u);
  result.clear();
  bool changed = false;
  std::size_t copied = 0;  // units of u before this index are in result
  ForEachWord(u, [&](std::size_t begin, std::size_t end, bool latin) {
    if (!latin) return;
    result.insert(result.end(), u.begin() + static_cast<std::ptrdiff_t>(copied),
                  u.begin() + static_cast<std::ptrdiff_t>(begin));
    TransliterateWord(u, begin, end, result);
    copied = end;
    changed = true;
  });
  if (!changed) return false;
  result.insert(result.end(), u.begin() + static_cast<std::ptrdiff_t>(copied), u.end());
  EncodeAt(result, 0, out);
  out.main_size = out.text.size();
  out.word_starts.clear();
  return true;
}

namespace {

bool HasLatin(std::span<const Unit> u) {
  for (const Unit& unit : u) {
    if (unit.cp >= 'a' && unit.cp <= 'z') return true;
  }
  return false;
}

// What AppendTransliteration() appends for the text whose units are `u`, as units: for every run
// of consecutive Latin words, '\n' and the run transliterated. Empty when `u` has no Latin word.
void TransliterationRuns(std::span<const Unit> u, std::vector<Unit>& runs) {
  runs.clear();
  std::size_t previous_end = 0;  // end of the previous Latin word, 0 before the first
  ForEachWord(u, [&](std::size_t begin, std::size_t end, bool latin) {
    if (!latin) return;
    const bool continues_run = previous_end != 0 && begin == previous_end + 1 &&
                               u[previous_end].cp == ' ';
    runs.push_back(continues_run ? u[previous_end] : Unit{'\n', u[begin].ob, u[begin].ob});
    TransliterateWord(u, begin, end, runs);
    previous_end = end;
  });
}

}  // namespace

bool Normalizer::AppendTransliteration(NormalizedText& text) const {
  thread_local std::vector<Unit> u;
  Decode(text, u);
  if (!HasLatin(u)) return false;
  std::vector<Unit>& runs = t_units.runs;
  TransliterationRuns(u, runs);
  if (runs.empty()) return false;
  EncodeAppend(runs, text);
  return true;
}

// ---- The matcher's text: MatchText in the scan encoding ----

namespace {

// The one-byte code points of the scan encoding: byte 0x80 + i stands for cp[i].
struct ScanTables {
  static constexpr char32_t kFirst = 0x430;
  static constexpr char32_t kEnd = 0x500;
  std::array<std::uint8_t, kEnd - kFirst> byte{};  // code point - kFirst -> byte; 0: escaped
  std::array<char32_t, 127> cp{};
  std::size_t count = 0;
  constexpr ScanTables() {
    for (char32_t c = 0x430; c < 0x460; ++c) Add(c);      // а..я ѐ..џ (ё ў ...)
    for (char32_t c = 0x461; c <= 0x481; c += 2) Add(c);  // lower case letters of Ѡ..Ҁ
    for (char32_t c = 0x48B; c <= 0x4BF; c += 2) Add(c);  // ҋ..ҿ (ғ қ ң ү ұ ҳ һ ...)
    for (char32_t c = 0x4C2; c <= 0x4CE; c += 2) Add(c);  // ӂ..ӎ
    Add(0x4CF);                                            // ӏ
    for (char32_t c = 0x4D1; c <= 0x4FF; c += 2) Add(c);  // ӑ..ӿ (ә ө ...)
  }
  constexpr void Add(char32_t c) {
    byte[c - kFirst] = static_cast<std::uint8_t>(0x80 + count);
    cp[count++] = c;
  }
};
constexpr ScanTables kScan;
static_assert(kScan.count <= 127, "byte 0xFF is the escape");
constexpr unsigned char kScanEscape = 0xFF;

// Writes code points in the scan encoding, with their original ranges and flags, to buffers with
// enough room. A local object whose state the compiler keeps in registers.
class ScanWriter {
 public:
  ScanWriter(MatchText& out, std::size_t pos)
      : text_(reinterpret_cast<unsigned char*>(out.text.data())),
        ob_(out.orig_begin.data()),
        oe_(out.orig_end.data()),
        flags_(out.flags.data()),
        pos_(pos) {}
  // At most 5 bytes.
  void Put(char32_t c, std::uint32_t ob, std::uint32_t oe, std::uint8_t word) {
    unsigned b = 0;
    if (c < 0x80) {
      b = c;
    } else if (c - ScanTables::kFirst < ScanTables::kEnd - ScanTables::kFirst) {
      b = kScan.byte[c - ScanTables::kFirst];
    }
    if (b == 0 && c != 0) {
      PutEscaped(c, ob, oe, word);
      return;
    }
    text_[pos_] = static_cast<unsigned char>(b);
    ob_[pos_] = ob;
    oe_[pos_] = oe;
    flags_[pos_] = word;
    ++pos_;
  }
  // The last code point written is one byte (a space): its original range now ends at `oe`.
  void ExtendLast(std::uint32_t oe) { oe_[pos_ - 1] = oe; }
  std::size_t size() const { return pos_; }

 private:
  void PutEscaped(char32_t c, std::uint32_t ob, std::uint32_t oe, std::uint8_t word) {
    unsigned char utf8[4];
    std::size_t len = 0;
    if (c < 0x800) {
      utf8[0] = static_cast<unsigned char>(0xC0 | (c >> 6));
      utf8[1] = static_cast<unsigned char>(0x80 | (c & 0x3F));
      len = 2;
    } else if (c < 0x10000) {
      utf8[0] = static_cast<unsigned char>(0xE0 | (c >> 12));
      utf8[1] = static_cast<unsigned char>(0x80 | ((c >> 6) & 0x3F));
      utf8[2] = static_cast<unsigned char>(0x80 | (c & 0x3F));
      len = 3;
    } else {
      utf8[0] = static_cast<unsigned char>(0xF0 | (c >> 18));
      utf8[1] = static_cast<unsigned char>(0x80 | ((c >> 12) & 0x3F));
      utf8[2] = static_cast<unsigned char>(0x80 | ((c >> 6) & 0x3F));
      utf8[3] = static_cast<unsigned char>(0x80 | (c & 0x3F));
      len = 4;
    }
    text_[pos_] = kScanEscape;
    ob_[pos_] = ob;
    oe_[pos_] = oe;
    flags_[pos_] = word;
    ++pos_;
    for (std::size_t k = 0; k < len; ++k) {
      text_[pos_] = utf8[k];
      ob_[pos_] = ob;
      oe_[pos_] = oe;
      flags_[pos_] = static_cast<std::uint8_t>(word | MatchText::kContinuation);
      ++pos_;
    }
  }

  unsigned char* text_;
  std::uint32_t* ob_;
  std::uint32_t* oe_;
  std::uint8_t* flags_;
  std::size_t pos_;
};

// Grows the buffers of `out` (never shrinks them) to hold at least `bytes`.
void ReserveBytes(MatchText& out, std::size_t bytes) {
  if (out.text.size() >= bytes) return;
  const std::size_t n = std::max(bytes, 2 * out.text.size());
  out.text.resize(n);
  out.orig_begin.resize(n);
  out.orig_end.resize(n);
  out.flags.resize(n);
}

constexpr std::size_t kMaxScanBytes = 5;  // per code point

constexpr std::size_t kNoLatin = static_cast<std::size_t>(-1);

// Adds u[begin, end) (word characters and masking characters) to out.masked when it qualifies
// (MatchText::masked).
void RecordMasked(const Unit* u, std::size_t begin, std::size_t end, MatchText& out) {
  const std::size_t length = end - begin;
  std::size_t masks = 0;
  bool dot = false;
  for (std::size_t k = begin; k < end; ++k) {
    if (IsWord(u[k])) continue;
    ++masks;
    dot = dot || u[k].cp == '.';
  }
  const std::size_t letters = length - masks;
  if (length < 3 || letters < 2 || masks == 0 || masks >= letters || (dot && length < 5)) {
    return;
  }
  if (dot) {  // initials ("Д.А.А.") are no mask: every run of letters needs 2+
    std::size_t run = 0;
    for (std::size_t k = begin; k <= end; ++k) {
      if (k < end && IsWord(u[k])) {
        ++run;
      } else {
        if (run < 2) return;
        run = 0;
      }
    }
  }
  const auto offset = static_cast<std::uint32_t>(out.masked_chars.size());
  for (std::size_t k = begin; k < end; ++k) {
    out.masked_chars.push_back(IsWord(u[k]) ? u[k].cp : MatchText::kMasked);
  }
  out.masked.push_back(MatchText::Masked{u[begin].ob, u[end - 1].oe, offset,
                                         static_cast<std::uint32_t>(length)});
}

// FoldHomoglyphs(), CollapseRepeatsAndSeparators() and the encoding of the result into `out` in
// one pass over the `n` units at `u` (folded, spaced letters already joined), from byte 0; also
// out.word_starts. `latin_from`: kNoLatin when no code point written is a-z, else a byte of
// `out` from which the transliteration can start (the start of the text or a space before the
// first word with an a-z letter). Modifies `u`.
// With `detect_join`, stops and returns false where JoinSpacedLetters() might have joined letters
// (4 one-letter words in a row, or an '@' inside a word): the caller then joins and calls again.
bool FoldCollapseEncode(Unit* u, std::size_t n, bool detect_join, MatchText& out,
                        std::size_t& latin_from) {
  ReserveBytes(out, kMaxScanBytes * n + kMaxScanBytes);
  out.word_starts.clear();
  out.masked.clear();
  out.masked_chars.clear();
  constexpr std::size_t kNoMask = static_cast<std::size_t>(-1);
  std::size_t masked_begin = kNoMask;  // first unit of a word with masked letters so far
  ScanWriter writer(out, 0);
  bool last_space = false;      // the last code point written is a space
  std::size_t after_space = 0;  // bytes written up to the last space
  latin_from = kNoLatin;
  // Join detection: separators since the last word, one-letter words in a row.
  constexpr std::size_t kNoGap = 1000;
  std::size_t gap = kNoGap;
  std::size_t singles = 0;
  // A separator: an apostrophe becomes "'", a run of anything else one space.
  auto separator = [&](const Unit& cur) {
    if (IsApostrophe(cur.cp)) {
      writer.Put('\'', cur.ob, cur.oe, 0);
      last_space = false;
    } else if (last_space) {
      writer.ExtendLast(cur.oe);
    } else {
      writer.Put(' ', cur.ob, cur.oe, 0);
      last_space = true;
      after_space = writer.size();
    }
  };
  std::size_t i = 0;
  while (i < n) {
    // A run of word parts starts with a word character (an '@' needs one before it, which would
    // have continued the run before).
    if (!IsWord(u[i])) {
      gap = u[i].cp == '\n' ? kNoGap : gap + 1;
      separator(u[i]);
      ++i;
      continue;
    }
    std::size_t end = i + 1;
    const std::uint8_t f0 = u[i].f;
    bool has_cyrillic = (f0 & (kAlpha | kCyrillic)) == (kAlpha | kCyrillic);
    std::size_t letters = (f0 & kAlpha) != 0 ? 1 : 0;
    std::size_t symbols = IsDigit(u[i].cp) ? 1 : 0;
    bool ascii = u[i].cp < 0x80;  // Latin look-alikes, digits and '@' are ASCII
    bool has_at = false;
    while (end < n) {
      const Unit& x = u[end];
      if (!IsWord(x)) {
        if (x.cp != '@' || end + 1 == n || !IsWord(u[end + 1])) break;
        has_at = true;  // u[end - 1] is a word character: the '@' is a word part
        ++symbols;
      } else if (IsAlphaUnit(x)) {
        ++letters;
        if ((x.f & kCyrillic) != 0) has_cyrillic = true;
      } else if (IsDigit(x.cp)) {
        ++symbols;
      }
      if (x.cp < 0x80) ascii = true;
      ++end;
    }
    if (detect_join) {
      if (has_at) return false;
      if (end - i == 1) {
        singles = gap >= 1 && gap <= 3 && singles > 0 ? singles + 1 : 1;
        if (singles >= 4) return false;
      } else {
        singles = 0;
      }
      gap = 0;
    }
    if (has_cyrillic && ascii) {
      const bool fold_symbols = letters >= 2 && letters > symbols;
      for (std::size_t k = i; k < end; ++k) {
        if (char32_t m = LatinLookAlike(u[k].cp); m != 0) {
          u[k].Set(m);
        } else if (fold_symbols) {
          if (char32_t sym = SymbolLookAlike(u[k].cp); sym != 0) u[k].Set(sym);
        }
      }
    }
    // Write the word, a letter repeated 3+ times once (a run of equal code points never leaves
    // the word); an '@' left as it is separates words.
    out.word_starts.push_back(u[i].ob);
    last_space = false;
    std::size_t k = i;
    while (k < end) {
      const Unit cur = u[k];
      if (!IsWord(cur)) {
        separator(cur);
        ++k;  // a word character follows
        out.word_starts.push_back(u[k].ob);
        last_space = false;
        continue;
      }
      if (cur.cp - 'a' < 26 && latin_from == kNoLatin) latin_from = after_space;
      if (k + 2 < end && u[k + 1].cp == cur.cp && u[k + 2].cp == cur.cp && IsAlphaUnit(cur)) {
        std::size_t j = k + 3;
        while (j < end && u[j].cp == cur.cp) ++j;
        writer.Put(cur.cp, cur.ob, u[j - 1].oe, MatchText::kWord);
        k = j;
      } else {
        writer.Put(cur.cp, cur.ob, cur.oe, MatchText::kWord);
        ++k;
      }
    }
    // A word with masked letters: runs joined by one or two masking characters.
    std::size_t mask_end = end;
    while (mask_end < n && mask_end - end < 3 && IsMaskChar(u[mask_end].cp)) ++mask_end;
    if (mask_end > end && mask_end - end <= 2 && mask_end < n && IsWord(u[mask_end])) {
      if (masked_begin == kNoMask) masked_begin = i;
    } else if (masked_begin != kNoMask) {
      RecordMasked(u, masked_begin, end, out);
      masked_begin = kNoMask;
    }
    i = end;
  }
  out.main_size = writer.size();
  out.size = writer.size();
  return true;
}

// Appends the transliterated Latin runs of the text written to `out`, reading it from byte
// `from` (FoldCollapseEncode's latin_from).
void AppendRuns(std::size_t from, MatchText& out) {
  std::vector<Unit>& units = t_units.decoded;
  units.clear();
  const auto* bytes = reinterpret_cast<const unsigned char*>(out.text.data());
  std::size_t pos = from;
  while (pos < out.main_size) {
    const std::size_t start = pos;
    const unsigned b = bytes[pos];
    char32_t c = b;
    ++pos;
    if (b >= 0x80 && b < kScanEscape) {
      c = kScan.cp[b - 0x80];
    } else if (b == kScanEscape) {
      c = DecodeUtf8(std::string_view(out.text.data(), out.main_size), pos);
    }
    units.push_back(Unit{c, out.orig_begin[start], out.orig_end[start]});
  }
  std::vector<Unit>& runs = t_units.runs;
  TransliterationRuns(units, runs);
  if (runs.empty()) return;
  ReserveBytes(out, out.size + kMaxScanBytes * runs.size());
  ScanWriter writer(out, out.size);
  for (const Unit& r : runs) writer.Put(r.cp, r.ob, r.oe, r.f & kWord);
  out.size = writer.size();
}

}  // namespace

std::string ToScanEncoding(std::string_view utf8) {
  MatchText m;
  ReserveBytes(m, kMaxScanBytes * utf8.size());
  ScanWriter writer(m, 0);
  std::size_t pos = 0;
  while (pos < utf8.size()) writer.Put(DecodeUtf8(utf8, pos), 0, 0, 0);
  return std::string(m.text.data(), writer.size());
}

void AppendScanAsUtf8(std::string_view scan, std::string& out) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(scan.data());
  std::size_t pos = 0;
  while (pos < scan.size()) {
    const unsigned b = bytes[pos];
    if (b < 0x80) {
      out.push_back(static_cast<char>(b));
      ++pos;
    } else if (b < kScanEscape) {
      AppendUtf8(out, kScan.cp[b - 0x80]);
      ++pos;
    } else {
      ++pos;
      AppendUtf8(out, pos < scan.size() ? DecodeUtf8(scan, pos) : kReplacement);
    }
  }
}

NormalizedText ToNormalizedText(const MatchText& m) {
  NormalizedText t;
  const auto* bytes = reinterpret_cast<const unsigned char*>(m.text.data());
  std::size_t pos = 0;
  while (pos < m.size) {
    if (pos == m.main_size) t.main_size = t.text.size();
    const std::size_t start = pos;
    const unsigned b = bytes[pos];
    char32_t c = b;
    if (b >= 0x80 && b < kScanEscape) {
      c = kScan.cp[b - 0x80];
      ++pos;
    } else if (b == kScanEscape) {
      ++pos;
      c = DecodeUtf8(std::string_view(m.text.data(), m.size), pos);
    } else {
      ++pos;
    }
    const std::size_t before = t.text.size();
    AppendUtf8(t.text, c);
    for (std::size_t k = before; k < t.text.size(); ++k) {
      t.orig_begin.push_back(m.orig_begin[start]);
      t.orig_end.push_back(m.orig_end[start]);
      t.word.push_back(m.flags[start] & MatchText::kWord);
    }
  }
  if (m.main_size >= m.size) t.main_size = t.text.size();
  t.word_starts = m.word_starts;
  return t;
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

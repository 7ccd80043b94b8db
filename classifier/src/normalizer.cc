#include "normalizer.h"

#include <unicode/bytestream.h>
#include <unicode/edits.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/uscript.h>

#include <array>
#include <utility>

namespace sakchy::classifier::internal {
namespace {

// One code point of the text being normalised and the original bytes it stands for.
struct Unit {
  char32_t cp;
  std::uint32_t ob;
  std::uint32_t oe;
};

constexpr char32_t kReplacement = 0xFFFD;

bool IsSpace(char32_t c) { return u_isUWhiteSpace(static_cast<UChar32>(c)) != 0; }
bool IsAlpha(char32_t c) { return u_isalpha(static_cast<UChar32>(c)) != 0; }
bool IsDigit(char32_t c) { return c >= '0' && c <= '9'; }

UScriptCode ScriptOf(char32_t c) {
  UErrorCode status = U_ZERO_ERROR;
  UScriptCode script = uscript_getScript(static_cast<UChar32>(c), &status);
  return U_SUCCESS(status) ? script : USCRIPT_INVALID_CODE;
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
std::vector<Unit> FoldWithIcu(const icu::Normalizer2* nfkc_cf, std::string_view text) {
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
  std::vector<Unit> units;
  units.reserve(folded.size());
  std::size_t pos = 0;
  while (pos < folded.size()) {
    const std::size_t start = pos;
    const char32_t c = DecodeUtf8(folded, pos);
    units.push_back(Unit{c, ob[start], oe[pos - 1]});
  }
  return units;
}

bool IsSingle(const std::vector<Unit>& u, std::size_t k) {
  return IsWordChar(u[k].cp) && (k == 0 || !IsWordChar(u[k - 1].cp)) &&
         (k + 1 == u.size() || !IsWordChar(u[k + 1].cp));
}

// "б.е.с.п.о.р.я.д.к.и" -> "беспорядки": runs of single letters joined by short separators.
std::vector<Unit> JoinSpacedLetters(const std::vector<Unit>& in) {
  std::vector<Unit> out;
  out.reserve(in.size());
  std::size_t i = 0;
  const std::size_t n = in.size();
  while (i < n) {
    if (IsSingle(in, i)) {
      std::vector<std::size_t> singles{i};
      std::u32string first_separator;  // every gap of a run must use the same separator
      bool all_separators_marked = false;
      std::size_t j = i + 1;
      while (j < n) {
        std::size_t k = j;
        std::u32string separator;
        bool marked = false;
        while (k < n && k - j < 3 && !IsWordChar(in[k].cp) && in[k].cp != '\n') {
          if (!IsSpace(in[k].cp)) marked = true;
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
      for (std::size_t s : singles) letters += IsAlpha(in[s].cp) ? 1 : 0;
      const bool join = letters >= 3 && ((all_separators_marked && singles.size() >= 4) ||
                                         singles.size() >= 5);
      if (join) {
        for (std::size_t s : singles) out.push_back(in[s]);
        i = singles.back() + 1;
        continue;
      }
    }
    out.push_back(in[i]);
    ++i;
  }
  return out;
}

bool IsWordPart(const std::vector<Unit>& u, std::size_t k) {
  if (IsWordChar(u[k].cp)) return true;
  return u[k].cp == '@' && k > 0 && k + 1 < u.size() && IsWordChar(u[k - 1].cp) &&
         IsWordChar(u[k + 1].cp);
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
      if (IsAlpha(c)) {
        ++letters;
        if (ScriptOf(c) == USCRIPT_CYRILLIC) has_cyrillic = true;
      } else if (IsDigit(c) || c == '@') {
        ++symbols;
      }
      ++end;
    }
    if (has_cyrillic) {
      const bool fold_symbols = letters >= 2 && letters > symbols;
      for (std::size_t k = i; k < end; ++k) {
        if (char32_t m = LatinLookAlike(u[k].cp); m != 0) {
          u[k].cp = m;
        } else if (fold_symbols) {
          if (char32_t s = SymbolLookAlike(u[k].cp); s != 0) u[k].cp = s;
        }
      }
    }
    i = end;
  }
}

// "дааааа" -> "да": a letter repeated 3+ times becomes one (covering all the original bytes).
std::vector<Unit> CollapseRepeats(const std::vector<Unit>& in) {
  std::vector<Unit> out;
  out.reserve(in.size());
  std::size_t i = 0;
  while (i < in.size()) {
    std::size_t j = i + 1;
    while (j < in.size() && in[j].cp == in[i].cp) ++j;
    if (j - i >= 3 && IsAlpha(in[i].cp)) {
      out.push_back(Unit{in[i].cp, in[i].ob, in[j - 1].oe});
    } else {
      out.insert(out.end(), in.begin() + static_cast<std::ptrdiff_t>(i),
                 in.begin() + static_cast<std::ptrdiff_t>(j));
    }
    i = j;
  }
  return out;
}

bool IsApostrophe(char32_t c) {
  return c == '\'' || c == U'\u2019' || c == U'\u2018' || c == U'\u02BC' || c == U'\u02BB' ||
         c == '`';
}

// Every run of separators (anything but word characters and apostrophes) becomes one space,
// so phrases are plain literals; apostrophe variants become "'" (Uzbek o', g').
std::vector<Unit> CollapseSeparators(const std::vector<Unit>& in) {
  std::vector<Unit> out;
  out.reserve(in.size());
  for (const Unit& u : in) {
    if (IsWordChar(u.cp)) {
      out.push_back(u);
    } else if (IsApostrophe(u.cp)) {
      out.push_back(Unit{'\'', u.ob, u.oe});
    } else if (!out.empty() && out.back().cp == ' ') {
      out.back().oe = u.oe;
    } else {
      out.push_back(Unit{' ', u.ob, u.oe});
    }
  }
  return out;
}

NormalizedText Encode(const std::vector<Unit>& units) {
  NormalizedText out;
  out.text.reserve(units.size() * 2);
  out.orig_begin.reserve(units.size() * 2);
  out.orig_end.reserve(units.size() * 2);
  for (const Unit& u : units) {
    const std::size_t before = out.text.size();
    AppendUtf8(u.cp, out.text);
    for (std::size_t k = before; k < out.text.size(); ++k) {
      out.orig_begin.push_back(u.ob);
      out.orig_end.push_back(u.oe);
    }
  }
  return out;
}

std::vector<Unit> Decode(const NormalizedText& t) {
  std::vector<Unit> units;
  units.reserve(t.text.size());
  std::size_t pos = 0;
  while (pos < t.text.size()) {
    const std::size_t start = pos;
    const char32_t c = DecodeUtf8(t.text, pos);
    units.push_back(Unit{c, t.orig_begin[start], t.orig_end[pos - 1]});
  }
  return units;
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
void TransliterateWord(const std::vector<Unit>& u, std::size_t begin, std::size_t end,
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

bool IsWordChar(char32_t c) {
  const auto cp = static_cast<UChar32>(c);
  return u_isalnum(cp) || (U_GET_GC_MASK(cp) & U_GC_M_MASK) != 0;
}

char32_t DecodeUtf8(std::string_view s, std::size_t& pos) {
  const auto b0 = static_cast<unsigned char>(s[pos]);
  if (b0 < 0x80) {
    ++pos;
    return b0;
  }
  std::size_t len = 0;
  char32_t c = 0;
  char32_t min = 0;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2;
    c = b0 & 0x1F;
    min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3;
    c = b0 & 0x0F;
    min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4;
    c = b0 & 0x07;
    min = 0x10000;
  } else {
    ++pos;
    return kReplacement;
  }
  if (pos + len > s.size()) {
    ++pos;
    return kReplacement;
  }
  for (std::size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[pos + k]);
    if ((b & 0xC0) != 0x80) {
      ++pos;
      return kReplacement;
    }
    c = (c << 6) | (b & 0x3F);
  }
  if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) {
    ++pos;
    return kReplacement;
  }
  pos += len;
  return c;
}

char32_t DecodeUtf8Before(std::string_view s, std::size_t pos) {
  if (pos == 0) return 0;
  std::size_t start = pos - 1;
  while (start > 0 && pos - start < 4 && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80) {
    --start;
  }
  std::size_t p = start;
  const char32_t c = DecodeUtf8(s, p);
  return p == pos ? c : kReplacement;
}

void AppendUtf8(char32_t c, std::string& out) {
  if (c < 0x80) {
    out.push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (c >> 6)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (c >> 12)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (c >> 18)));
    out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

Normalizer::Normalizer() {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* n = icu::Normalizer2::getNFKCCasefoldInstance(status);
  nfkc_cf_ = U_SUCCESS(status) ? n : nullptr;
}

NormalizedText Normalizer::Normalize(std::string_view text) const {
  std::vector<Unit> units = FoldWithIcu(static_cast<const icu::Normalizer2*>(nfkc_cf_), text);
  for (Unit& u : units) {
    if (u.cp == U'\u04CA' || u.cp == U'\u04C8') u.cp = U'\u04A3';  // ӊ, ӈ -> ң
  }
  units = JoinSpacedLetters(units);
  FoldHomoglyphs(units);
  units = CollapseRepeats(units);
  return Encode(CollapseSeparators(units));
}

bool Normalizer::Transliterate(const NormalizedText& in, NormalizedText& out) const {
  const std::vector<Unit> u = Decode(in);
  std::vector<Unit> result;
  result.reserve(u.size());
  bool changed = false;
  std::size_t i = 0;
  while (i < u.size()) {
    if (!IsWordChar(u[i].cp)) {
      result.push_back(u[i]);
      ++i;
      continue;
    }
    std::size_t end = i;
    bool all_latin = true;
    while (end < u.size() &&
           (IsWordChar(u[end].cp) || (IsApostrophe(u[end].cp) && end > i &&
                                      end + 1 < u.size() && IsWordChar(u[end + 1].cp)))) {
      const char32_t c = u[end].cp;
      if (IsAlpha(c) && !(c >= 'a' && c <= 'z')) all_latin = false;
      ++end;
    }
    if (all_latin && IsAlpha(u[i].cp)) {
      TransliterateWord(u, i, end, result);
      changed = true;
    } else {
      result.insert(result.end(), u.begin() + static_cast<std::ptrdiff_t>(i),
                    u.begin() + static_cast<std::ptrdiff_t>(end));
    }
    i = end;
  }
  if (!changed) return false;
  out = Encode(result);
  return true;
}

}  // namespace sakchy::classifier::internal

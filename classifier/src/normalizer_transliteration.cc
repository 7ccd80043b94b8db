// Normalisation, the transliteration: runs of all-Latin words written again in Cyrillic
// ("govoryat" -> "говорят"), for Normalizer::Transliterate, AppendTransliteration and the
// matcher's text.
#include "normalizer_internal.h"

namespace sakchy::classifier::internal {
namespace norm {
namespace {

struct TransliterationBuffers {
  std::vector<Unit> runs;
  std::vector<Unit> decoded;
};
thread_local TransliterationBuffers t_translit;

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

bool HasLatin(std::span<const Unit> u) {
  for (const Unit& unit : u) {
    if (unit.cp >= 'a' && unit.cp <= 'z') return true;
  }
  return false;
}

}  // namespace

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

// Appends the transliterated Latin runs of the text written to `out`, reading it from byte
// `from` (FoldCollapseEncode's latin_from).
void AppendRuns(std::size_t from, MatchText& out) {
  std::vector<Unit>& units = t_translit.decoded;
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
  std::vector<Unit>& runs = t_translit.runs;
  TransliterationRuns(units, runs);
  if (runs.empty()) return;
  ReserveBytes(out, out.size + kMaxScanBytes * runs.size());
  ScanWriter writer(out, out.size);
  for (const Unit& r : runs) writer.Put(r.cp, r.ob, r.oe, r.f & kWord);
  out.size = writer.size();
}

}  // namespace norm

using namespace norm;  // NOLINT(google-build-using-namespace): this file's own helpers

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

bool Normalizer::AppendTransliteration(NormalizedText& text) const {
  thread_local std::vector<Unit> u;
  Decode(text, u);
  if (!HasLatin(u)) return false;
  std::vector<Unit>& runs = t_translit.runs;
  TransliterationRuns(u, runs);
  if (runs.empty()) return false;
  EncodeAppend(runs, text);
  return true;
}

}  // namespace sakchy::classifier::internal

#include "morphology/uzbek_stemmer.h"

#include <algorithm>
#include <string_view>
#include <vector>

#include "core/utf8.h"
#include "normalizer.h"

namespace sakchy::classifier::morphology {
namespace {
// The Latin-script suffix search; named apart from the Kyrgyz stemmer's (a unity build puts both
// files in one translation unit).
namespace uz {

// Slots, outermost first (see kyrgyz_stemmer.cc).
enum Rank : int { kPerson = 0, kCase, kPossessive, kPlural, kDerivation, kTense, kNegation, kVoice };

struct Suffix {
  std::string_view text;
  Rank rank;
  bool after_vowel = false;  // the form used after a vowel (-si, -ng, -b, -y, -l, -n, -sh)
};

// Sorted longest first at start-up.
constexpr Suffix kSuffixes[] = {
    {"man", kPerson}, {"san", kPerson}, {"miz", kPerson}, {"siz", kPerson}, {"sizlar", kPerson},
    {"dir", kPerson}, {"mi", kPerson},
    {"ning", kCase}, {"ni", kCase}, {"ga", kCase}, {"ka", kCase}, {"qa", kCase}, {"da", kCase},
    {"ta", kCase}, {"dan", kCase}, {"tan", kCase}, {"dagi", kCase}, {"tagi", kCase},
    {"gacha", kCase}, {"cha", kCase}, {"day", kCase}, {"dek", kCase},
    {"im", kPossessive}, {"ing", kPossessive}, {"ng", kPossessive, true},
    {"i", kPossessive}, {"si", kPossessive, true}, {"imiz", kPossessive},
    {"miz", kPossessive, true}, {"ingiz", kPossessive}, {"ngiz", kPossessive, true},
    {"lari", kPossessive},
    {"lar", kPlural},
    {"chi", kDerivation}, {"lik", kDerivation}, {"siz", kDerivation}, {"roq", kDerivation},
    {"di", kTense}, {"dim", kTense}, {"ding", kTense}, {"dik", kTense}, {"dingiz", kTense},
    {"dilar", kTense}, {"gan", kTense}, {"kan", kTense}, {"qan", kTense}, {"ib", kTense},
    {"b", kTense, true}, {"a", kTense}, {"y", kTense, true}, {"adi", kTense}, {"ydi", kTense},
    {"aman", kTense}, {"yman", kTense}, {"asan", kTense}, {"ysan", kTense}, {"amiz", kTense},
    {"ymiz", kTense}, {"asiz", kTense}, {"ysiz", kTense}, {"adilar", kTense},
    {"ydilar", kTense}, {"yapti", kTense}, {"yap", kTense}, {"yaptilar", kTense},
    {"moqda", kTense}, {"moqchi", kTense}, {"moq", kTense}, {"ish", kTense}, {"sh", kTense, true},
    {"sa", kTense}, {"sam", kTense}, {"sang", kTense}, {"sak", kTense}, {"sangiz", kTense},
    {"salar", kTense}, {"inglar", kTense}, {"ng", kTense, true}, {"nglar", kTense, true},
    {"gin", kTense},
    {"sin", kTense}, {"sinlar", kTense}, {"ay", kTense}, {"aylik", kTense}, {"ylik", kTense},
    {"adigan", kTense}, {"ydigan", kTense}, {"yotgan", kTense}, {"uvchi", kTense},
    {"vchi", kTense}, {"gach", kTense}, {"guncha", kTense}, {"mas", kTense}, {"masdan", kTense},
    {"ibdi", kTense}, {"ibdilar", kTense}, {"ajak", kTense},
    {"ma", kNegation},
    {"il", kVoice}, {"l", kVoice, true}, {"in", kVoice}, {"n", kVoice, true}, {"ish", kVoice},
    {"sh", kVoice, true},
};

const std::vector<Suffix>& Sorted() {
  static const std::vector<Suffix> sorted = [] {
    std::vector<Suffix> v(std::begin(kSuffixes), std::end(kSuffixes));
    std::stable_sort(v.begin(), v.end(), [](const Suffix& a, const Suffix& b) {
      if (a.text.size() != b.text.size()) return a.text.size() > b.text.size();
      return a.rank > b.rank;
    });
    return v;
  }();
  return sorted;
}

bool IsVowel(char c) { return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u'; }
bool EndsInVowel(std::string_view s) {
  if (s.empty()) return false;
  if (s.size() >= 2 && s.back() == '\'' && s[s.size() - 2] == 'o') return true;  // o'
  return IsVowel(s.back());
}
bool HasVowel(std::string_view s) { return std::any_of(s.begin(), s.end(), IsVowel); }

// Whether `s` may follow `stem`.
bool ContextOk(std::string_view stem, const Suffix& s) {
  const char first = s.text.front();
  const char last = stem.back();
  if (first == 'k' && s.text != "kan") return last == 'k';  // -ka after k
  if (s.text == "kan" || s.text == "ka") return last == 'k';
  if (s.text == "qan" || s.text == "qa") return last == 'q' || last == '\'';
  if (first == 't' && s.rank == kCase) return last == 't' || last == 'k' || last == 'q' ||
                                            last == 's' || last == 'p';
  if (IsVowel(first)) return !EndsInVowel(stem);
  if (s.after_vowel) return EndsInVowel(stem);
  return true;
}

// Latin spelling of a lower-case Uzbek Cyrillic letter; empty for other letters.
std::string_view LatinOf(char32_t c) {
  switch (c) {
    case U'а': return "a";   case U'б': return "b";   case U'в': return "v";
    case U'г': return "g";   case U'д': return "d";   case U'е': return "e";
    case U'ё': return "yo";  case U'ж': return "j";   case U'з': return "z";
    case U'и': return "i";   case U'й': return "y";   case U'к': return "k";
    case U'л': return "l";   case U'м': return "m";   case U'н': return "n";
    case U'о': return "o";   case U'п': return "p";   case U'р': return "r";
    case U'с': return "s";   case U'т': return "t";   case U'у': return "u";
    case U'ф': return "f";   case U'х': return "x";   case U'ц': return "ts";
    case U'ч': return "ch";  case U'ш': return "sh";  case U'ъ': return "'";
    case U'ь': return "";    case U'э': return "e";   case U'ю': return "yu";
    case U'я': return "ya";  case U'ў': return "o'";  case U'қ': return "q";
    case U'ғ': return "g'";  case U'ҳ': return "h";
    default: return {};
  }
}

// As in kyrgyz_stemmer.cc: the two longest suffixes at each step, the shortest stem wins.
constexpr std::size_t kBranches = 2;
constexpr int kBudget = 64;

// Stem-final g / g' left by a removed vowel-initial suffix are read as k / q.
void Devoice(std::string& w) {
  if (w.size() >= 2 && w.back() == '\'' && w[w.size() - 2] == 'g') {
    w.resize(w.size() - 2);
    w.push_back('q');
  } else if (!w.empty() && w.back() == 'g') {
    w.back() = 'k';
  }
}

void Search(const std::string& w, int rank, bool negated, int& budget, UzbekStem& best) {
  if (w.size() < best.stem.size()) {
    best.stem = w;
    best.negated = negated;
  }
  if (budget-- <= 0) return;
  std::size_t tried = 0;
  for (const Suffix& s : Sorted()) {
    if (tried == kBranches) break;
    if (s.rank <= rank) continue;
    if (s.rank == kNegation && rank != kTense && rank != kPerson) continue;
    const std::size_t n = s.text.size();
    if (w.size() <= n || std::string_view(w).substr(w.size() - n) != s.text) continue;
    const std::string_view rest = std::string_view(w).substr(0, w.size() - n);
    const std::size_t min = (n == 1 || s.rank == kVoice || s.rank == kDerivation) ? 3 : 2;
    if (rest.size() < min || !HasVowel(rest)) continue;
    if (n == 1 && IsVowel(s.text[0]) && EndsInVowel(rest)) continue;
    if (!ContextOk(rest, s)) continue;
    ++tried;
    std::string next(rest);
    if (IsVowel(s.text.front())) Devoice(next);
    Search(next, s.rank, negated || s.rank == kNegation, budget, best);
  }
}

}  // namespace uz
}  // namespace

void StemUzbek(std::u32string_view word, UzbekStem& out) {
  out.negated = false;
  std::string latin;
  // Latin bytes at which each input code point ends, to find `kept`.
  thread_local std::vector<std::size_t> ends;
  ends.clear();
  for (char32_t c : word) {
    if (c < 0x80) {
      latin.push_back(static_cast<char>(c));
    } else {
      latin += uz::LatinOf(c);
    }
    ends.push_back(latin.size());
  }
  out.stem = latin;
  int budget = uz::kBudget;
  uz::Search(latin, -1, false, budget, out);
  const std::string& w = out.stem;
  std::size_t same = 0;
  while (same < w.size() && same < latin.size() && w[same] == latin[same]) ++same;
  out.kept = 0;
  while (out.kept < ends.size() && ends[out.kept] <= same) ++out.kept;
}

namespace {

bool IsUzbekCyrillicVowel(char32_t c) {
  return c == U'а' || c == U'е' || c == U'ё' || c == U'и' || c == U'о' || c == U'у' ||
         c == U'э' || c == U'ю' || c == U'я' || c == U'ў';
}

// Latin -> Cyrillic of u[k...], appending to `out`; the number of code points read, 0 when u[k]
// is a Latin letter Uzbek does not use.
std::size_t CyrillicOf(const std::u32string& u, std::size_t k, std::string& out) {
  const char32_t c = u[k];
  const char32_t next = k + 1 < u.size() ? u[k + 1] : 0;
  const bool next_apostrophe = next == '\'';
  auto put = [&out](char32_t cyrillic, std::size_t n) {
    AppendUtf8(out, cyrillic);
    return n;
  };
  if (c == 'o' && next_apostrophe) return put(U'ў', 2);
  if (c == 'g' && next_apostrophe) return put(U'ғ', 2);
  if (c == 's' && next == 'h') return put(U'ш', 2);
  if (c == 'c' && next == 'h') return put(U'ч', 2);
  if (c == 'y') {
    const bool o_apostrophe = next == 'o' && k + 2 < u.size() && u[k + 2] == '\'';
    if (next == 'o' && !o_apostrophe) return put(U'ё', 2);
    if (next == 'u') return put(U'ю', 2);
    if (next == 'a') return put(U'я', 2);
    if (next == 'e') return put(U'е', 2);
    return put(U'й', 1);
  }
  if (c == 'e') {
    const bool word_start = k == 0 || !(u[k - 1] >= 'a' && u[k - 1] <= 'z');
    return put(word_start ? U'э' : U'е', 1);
  }
  if (c == '\'') return put(U'ъ', 1);
  // a..z; 0 for c and w, which Uzbek Latin does not use (c only in ch, handled above).
  static constexpr char32_t kTable[] = U"аб\0дефгҳижклмнопқрстув\0хйз";
  static_assert(sizeof(kTable) / sizeof(kTable[0]) == 27);
  if (c < 'a' || c > 'z' || kTable[c - 'a'] == 0) return 0;
  return put(kTable[c - 'a'], 1);
}

}  // namespace

std::optional<std::string> UzbekOtherScript(std::string_view text) {
  std::u32string u;
  std::size_t pos = 0;
  bool latin = false;
  bool cyrillic = false;
  while (pos < text.size()) {
    const char32_t c = DecodeUtf8(text, pos);
    if (c >= 'a' && c <= 'z') latin = true;
    if (c >= 0x400 && c <= 0x4FF) cyrillic = true;
    if ((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z')) return std::nullopt;
    u.push_back(c);
  }
  if (latin == cyrillic) return std::nullopt;
  std::string out;
  for (std::size_t k = 0; k < u.size();) {
    const char32_t c = u[k];
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 0x400 && c <= 0x4FF);
    if (!letter && !(c == '\'' && latin)) {
      AppendUtf8(out, c);
      ++k;
    } else if (latin) {
      const std::size_t n = CyrillicOf(u, k, out);
      if (n == 0) return std::nullopt;
      k += n;
    } else {
      const std::string_view l = uz::LatinOf(c);
      if (l.empty() && c != U'ь') return std::nullopt;
      const bool word_start = k == 0 || !(u[k - 1] >= 0x400 && u[k - 1] <= 0x4FF);
      if (c == U'е' && (word_start || IsUzbekCyrillicVowel(u[k - 1]))) {
        out += "ye";
      } else {
        out += l;
      }
      ++k;
    }
  }
  return out;
}

}  // namespace sakchy::classifier::morphology

#include "morphology/kyrgyz_stemmer.h"

#include <algorithm>
#include <array>
#include <vector>

namespace sakchy::classifier::morphology {
namespace {

// Suffix slots, outermost first: a word is stripped right to left, and each suffix removed must
// belong to a slot further in than the previous one (кылмыш-кер-лер-ди: case, plural, agent).
enum Rank : int {
  kPerson = 0,  // predicative / verb person endings, the question particle
  kCase,
  kPossessive,
  kPlural,
  kDerivation,  // agent -чы, -кер; -лык, -дык; privative -сыз
  kTense,       // tense, aspect, mood, participles, converbs, verbal nouns (+ person in -дым ...)
  kNegation,    // -ба/-бе/-бо/-бө, -па ..., -ма ...: only right before a tense suffix
  kVoice,       // reciprocal -ыш, passive -ыл
};

// Written with archiphonemes: A = а е о ө, I = ы и у ү, D = д т, G = г к, B = б п м.
struct Template {
  const char32_t* pattern;
  Rank rank;
  bool after_possessive = false;  // the case forms used after a 3rd person possessive (-ы-на)
};

constexpr Template kTemplates[] = {
    {U"мIн", kPerson}, {U"сIң", kPerson}, {U"BIз", kPerson}, {U"сIз", kPerson},
    {U"сIңAр", kPerson}, {U"сIздAр", kPerson}, {U"ңAр", kPerson}, {U"ңIз", kPerson},
    {U"ңIздAр", kPerson}, {U"BI", kPerson},
    {U"нIн", kCase}, {U"DIн", kCase}, {U"GA", kCase}, {U"нI", kCase}, {U"DI", kCase},
    {U"DA", kCase}, {U"DAн", kCase}, {U"DAгI", kCase}, {U"чA", kCase}, {U"DAй", kCase},
    {U"нA", kCase, true}, {U"нDA", kCase, true}, {U"нAн", kCase, true},
    {U"нDAгI", kCase, true}, {U"н", kCase, true},
    {U"Iм", kPossessive}, {U"Iң", kPossessive}, {U"I", kPossessive}, {U"сI", kPossessive},
    {U"IBIз", kPossessive}, {U"IңIз", kPossessive}, {U"IңAр", kPossessive},
    {U"ңIз", kPossessive}, {U"ңAр", kPossessive},
    {U"лAр", kPlural}, {U"DAр", kPlural},
    {U"чI", kDerivation}, {U"GAр", kDerivation}, {U"лIк", kDerivation}, {U"DIк", kDerivation},
    {U"сIз", kDerivation}, {U"лIг", kDerivation}, {U"DIг", kDerivation},
    {U"DI", kTense}, {U"Aт", kTense}, {U"йт", kTense}, {U"A", kTense}, {U"й", kTense},
    {U"GAн", kTense}, {U"уу", kTense}, {U"үү", kTense}, {U"оо", kTense}, {U"өө", kTense},
    {U"Iп", kTense}, {U"п", kTense}, {U"сA", kTense}, {U"GIлA", kTense}, {U"GIлAр", kTense},
    {U"йлI", kTense}, {U"сIн", kTense}, {U"BAс", kTense}, {U"чу", kTense},
    {U"чү", kTense}, {U"GIч", kTense}, {U"Iшат", kTense}, {U"Iшет", kTense}, {U"DIм", kTense},
    {U"DIң", kTense}, {U"DIк", kTense}, {U"DIңAр", kTense}, {U"DIңIз", kTense},
    {U"сAм", kTense}, {U"сAң", kTense}, {U"сAк", kTense}, {U"сAңAр", kTense},
    {U"BA", kNegation}, {U"BAй", kNegation},
    {U"Iш", kVoice}, {U"Iл", kVoice}, {U"ш", kVoice}, {U"л", kVoice},
};

struct Suffix {
  std::u32string text;
  Rank rank;
  bool after_possessive;
};

void Expand(std::u32string_view pattern, std::u32string prefix, const Template& t,
            std::vector<Suffix>& out) {
  if (pattern.empty()) {
    out.push_back(Suffix{std::move(prefix), t.rank, t.after_possessive});
    return;
  }
  std::u32string_view options;
  switch (pattern.front()) {
    case U'A': options = U"аеоө"; break;
    case U'I': options = U"ыиуү"; break;
    case U'D': options = U"дт"; break;
    case U'G': options = U"гк"; break;
    case U'B': options = U"бпм"; break;
    default: options = pattern.substr(0, 1); break;
  }
  for (char32_t c : options) Expand(pattern.substr(1), prefix + c, t, out);
}

bool IsVowel(char32_t c) { return std::u32string_view(U"аоуыяюеөүиэё").find(c) != std::u32string_view::npos; }
bool IsBack(char32_t c) { return std::u32string_view(U"аоуыяюё").find(c) != std::u32string_view::npos; }
bool IsVoiceless(char32_t c) { return std::u32string_view(U"кпстфхцчшщ").find(c) != std::u32string_view::npos; }
bool IsNarrowVowel(char32_t c) { return std::u32string_view(U"ыиуү").find(c) != std::u32string_view::npos; }
bool IsWideVowel(char32_t c) { return std::u32string_view(U"аеоөя").find(c) != std::u32string_view::npos; }

// Suffixes grouped by their last letter, each group longest first (then innermost slot first).
struct SuffixTable {
  std::vector<Suffix> all;
  std::vector<std::pair<char32_t, std::vector<const Suffix*>>> by_last;
  SuffixTable() {
    for (const Template& t : kTemplates) Expand(t.pattern, {}, t, all);
    std::sort(all.begin(), all.end(), [](const Suffix& a, const Suffix& b) {
      if (a.text.size() != b.text.size()) return a.text.size() > b.text.size();
      return a.rank > b.rank;
    });
    for (const Suffix& s : all) {
      const char32_t last = s.text.back();
      auto it = std::find_if(by_last.begin(), by_last.end(),
                             [last](const auto& g) { return g.first == last; });
      if (it == by_last.end()) it = by_last.insert(by_last.end(), {last, {}});
      it->second.push_back(&s);
    }
  }
  const std::vector<const Suffix*>* Group(char32_t last) const {
    for (const auto& g : by_last) {
      if (g.first == last) return &g.second;
    }
    return nullptr;
  }
};

const SuffixTable& Table() {
  static const SuffixTable table;
  return table;
}

// Front/back harmony of the suffix's first vowel with the stem's last vowel (loan words with
// я ю ё count as back).
bool Harmonic(std::u32string_view stem, std::u32string_view suffix) {
  char32_t sv = 0;
  for (char32_t c : suffix) {
    if (IsVowel(c)) {
      sv = c;
      break;
    }
  }
  if (sv == 0) return true;
  for (std::size_t i = stem.size(); i-- > 0;) {
    if (IsVowel(stem[i])) return IsBack(stem[i]) == IsBack(sv);
  }
  return false;
}

// Whether `suffix` may follow `stem` (the sounds where they meet).
bool ContextOk(std::u32string_view stem, const Suffix& s) {
  const char32_t last = stem.back();
  const char32_t first = s.text.front();
  const std::u32string_view text = s.text;
  // "-стан" (Кыргызстан) is never cut.
  constexpr std::u32string_view kStan = U"стан";
  if (text.size() < kStan.size() && !stem.ends_with(kStan)) {
    const std::size_t need = kStan.size() - text.size();
    if (stem.size() >= need && stem.substr(stem.size() - need) == kStan.substr(0, need) &&
        text == kStan.substr(need)) {
      return false;
    }
  }
  if (s.after_possessive) return IsNarrowVowel(last);
  if (s.rank == kPerson && text.size() == 2 && IsVowel(text[1])) {  // question particle
    return IsVowel(last) == (first == U'м') && (first != U'п' || IsVoiceless(last));
  }
  if (first == U'т' || first == U'к' || first == U'п') return IsVoiceless(last);
  if (first == U'д' || first == U'г' || first == U'б') return !IsVoiceless(last);
  if (first == U'н') return IsVowel(last);
  if (first == U'л' && s.rank == kPlural) return IsVowel(last) || last == U'р' || last == U'й';
  if (text.size() == 1 && (first == U'л' || first == U'ш') && s.rank == kVoice) {
    return IsWideVowel(last);
  }
  if (first == U'с' && s.rank == kPossessive) return IsVowel(last);
  if (IsVowel(first)) return !IsVowel(last);
  if (first == U'ш' || first == U'й') return IsVowel(last);
  if (first == U'м' || first == U'ң' || first == U'п') return IsVowel(last);
  return true;
}

char32_t Devoiced(char32_t c) { return c == U'г' ? U'к' : c == U'б' ? U'п' : c; }

// The suffixes that may be removed from `w` after a suffix of slot `rank`, longest first: the
// stem left by each (г/б before a removed vowel-initial suffix read as к/п) and its slot.
struct Candidate {
  std::size_t length;  // of the stem left
  const Suffix* suffix;
};

std::size_t Candidates(std::u32string_view w, int rank, Candidate* out, std::size_t max) {
  const std::vector<const Suffix*>* group = Table().Group(w.back());
  if (group == nullptr) return 0;
  std::size_t count = 0;
  for (const Suffix* s : *group) {
    if (count == max) break;
    if (s->rank <= rank) continue;
    if (s->rank == kNegation && rank != kTense && rank != kPerson) continue;
    const std::size_t n = s->text.size();
    if (w.size() <= n || w.substr(w.size() - n) != s->text) continue;
    const std::u32string_view rest = w.substr(0, w.size() - n);
    std::size_t min = (n == 1 || s->rank == kVoice || s->rank == kDerivation) ? 3 : 2;
    const bool single_vowel = n == 1 && IsVowel(s->text[0]);
    if (single_vowel && s->rank == kTense && rank == kPerson) min = 2;  // ал-а-быз
    if (rest.size() < min) continue;
    if (std::none_of(rest.begin(), rest.end(), IsVowel)) continue;
    if (s->rank != kDerivation && !Harmonic(rest, s->text)) continue;
    if (single_vowel && IsVowel(rest.back())) continue;
    if (n == 1 && !single_vowel && !IsVowel(rest.back())) continue;
    if (!ContextOk(rest, *s)) continue;
    out[count++] = Candidate{rest.size(), s};
  }
  return count;
}

// Paths tried per word: the two longest suffixes at each step, the shortest stem wins (a suffix
// that is both a case and a tense, -ды, is tried as both).
constexpr std::size_t kBranches = 2;
constexpr int kBudget = 64;
constexpr std::size_t kDropFinalVowel = 5;  // stems of 5+ letters end in a consonant

constexpr std::size_t kMaxWord = 48;  // longer words are not stemmed

// `w`: the stem so far, in a buffer of its own (a removed suffix may change its last letter).
void Search(std::u32string_view w, int rank, bool negated, int& budget, KyrgyzStem& best) {
  if (w.size() < best.stem.size()) {
    best.stem.assign(w);
    best.negated = negated;
  }
  if (budget-- <= 0 || w.empty()) return;
  Candidate candidates[kBranches];
  const std::size_t count = Candidates(w, rank, candidates, kBranches);
  for (std::size_t i = 0; i < count; ++i) {
    char32_t rest[kMaxWord];
    const std::size_t n = candidates[i].length;
    std::copy(w.begin(), w.begin() + static_cast<std::ptrdiff_t>(n), rest);
    if (IsVowel(candidates[i].suffix->text.front())) rest[n - 1] = Devoiced(rest[n - 1]);
    Search(std::u32string_view(rest, n), candidates[i].suffix->rank,
           negated || candidates[i].suffix->rank == kNegation, budget, best);
  }
}

}  // namespace

void StemKyrgyz(std::u32string_view word, KyrgyzStem& out) {
  out.stem.assign(word);
  out.negated = false;
  if (!word.empty() && word.size() <= kMaxWord) {
    int budget = kBudget;
    Search(word, -1, false, budget, out);
  }
  std::u32string& w = out.stem;
  if (w.size() > 2) w.back() = Devoiced(w.back());
  // A long stem's final vowel goes too: зордукта-ды and зордукт-а-ды give one stem.
  if (w.size() >= kDropFinalVowel && IsVowel(w.back()) && !IsVowel(w[w.size() - 2])) w.pop_back();
  std::size_t kept = 0;
  while (kept < w.size() && w[kept] == word[kept]) ++kept;
  out.kept = kept;
}

}  // namespace sakchy::classifier::morphology

#include "morphology/morphology.h"

#include <libstemmer.h>

#include "core/utf8.h"
#include "morphology/kyrgyz_stemmer.h"
#include "morphology/uzbek_stemmer.h"
#include "normalizer.h"
#include "rules.h"

namespace sakchy::classifier::morphology {
namespace {

// Snowball stemmers are not thread-safe: one of each per thread.
struct SnowballStemmers {
  sb_stemmer* russian = nullptr;
  sb_stemmer* english = nullptr;
  SnowballStemmers() = default;
  SnowballStemmers(const SnowballStemmers&) = delete;
  SnowballStemmers& operator=(const SnowballStemmers&) = delete;
  ~SnowballStemmers() {
    sb_stemmer_delete(russian);
    sb_stemmer_delete(english);
  }
  sb_stemmer* Get(std::uint8_t lang) {
    if (lang == internal::kLangRu) {
      if (russian == nullptr) russian = sb_stemmer_new("russian", nullptr);
      return russian;
    }
    if (english == nullptr) english = sb_stemmer_new("english", nullptr);
    return english;
  }
};
thread_local SnowballStemmers t_snowball;

std::size_t CodePoints(std::string_view s) {
  std::size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
  return n;
}

// Code points the two UTF-8 strings have in common at their start.
std::size_t CommonCodePoints(std::string_view a, std::string_view b) {
  std::size_t pa = 0;
  std::size_t pb = 0;
  std::size_t n = 0;
  while (pa < a.size() && pb < b.size()) {
    if (DecodeUtf8(a, pa) != DecodeUtf8(b, pb)) break;
    ++n;
  }
  return n;
}

void ToU32(std::string_view utf8, std::u32string& out) {
  out.clear();
  std::size_t pos = 0;
  while (pos < utf8.size()) out.push_back(DecodeUtf8(utf8, pos));
}

bool StemSnowball(std::uint8_t lang, std::string_view word, Stem& out) {
  sb_stemmer* stemmer = t_snowball.Get(lang);
  if (stemmer == nullptr) return false;
  const sb_symbol* s = sb_stemmer_stem(stemmer, reinterpret_cast<const sb_symbol*>(word.data()),
                                       static_cast<int>(word.size()));
  if (s == nullptr) return false;
  out.text.assign(reinterpret_cast<const char*>(s),
                  static_cast<std::size_t>(sb_stemmer_length(stemmer)));
  out.kept = CommonCodePoints(word, out.text);
  out.negated = false;
  out.alternates = false;
  return CodePoints(out.text) >= kMinSnowballStem;
}

struct AgglutinativeScratch {
  std::u32string word;
  KyrgyzStem ky;
  UzbekStem uz;
};
thread_local AgglutinativeScratch t_agglutinative;

}  // namespace

bool StemWord(std::uint8_t lang, std::string_view word, Stem& out) {
  if (lang == internal::kLangRu || lang == internal::kLangEn) return StemSnowball(lang, word, out);
  AgglutinativeScratch& s = t_agglutinative;
  ToU32(word, s.word);
  if (lang == internal::kLangKy) {
    StemKyrgyz(s.word, s.ky);
    out.text.clear();
    for (char32_t c : s.ky.stem) AppendUtf8(out.text, c);
    out.kept = s.ky.kept;
    out.negated = s.ky.negated;
    out.alternates = !s.ky.stem.empty() && (s.ky.stem.back() == U'к' || s.ky.stem.back() == U'п');
    return s.ky.stem.size() >= kMinAgglutinativeStem;
  }
  if (lang == internal::kLangUz) {
    StemUzbek(s.word, s.uz);
    out.text = s.uz.stem;
    out.kept = s.uz.kept;
    out.negated = s.uz.negated;
    out.alternates = !s.uz.stem.empty() && (s.uz.stem.back() == 'k' || s.uz.stem.back() == 'q');
    return CodePoints(s.uz.stem) >= kMinAgglutinativeStem;
  }
  return false;
}

std::uint8_t AnalysersByScript(std::string_view word) {
  bool cyrillic = false;
  bool latin = false;
  bool ky = false;
  bool uz = false;
  std::size_t pos = 0;
  while (pos < word.size()) {
    const char32_t c = DecodeUtf8(word, pos);
    if (c >= '0' && c <= '9') return 0;
    if ((c >= 'a' && c <= 'z') || c == '\'') {
      latin = true;
    } else if (c >= 0x400 && c <= 0x4FF) {
      cyrillic = true;
      if (c == U'ң' || c == U'ө' || c == U'ү') ky = true;
      if (c == U'ў' || c == U'қ' || c == U'ғ' || c == U'ҳ') uz = true;
    }
  }
  if (cyrillic && latin) return 0;
  if (ky) return internal::kLangKy;
  if (uz) return internal::kLangUz;
  if (cyrillic) return internal::kLangRu | internal::kLangKy;
  if (latin) return internal::kLangEn | internal::kLangUz;
  return 0;
}

}  // namespace sakchy::classifier::morphology

#pragma once
// DetectLanguage() fed one code point at a time, so that the normaliser can identify the language
// in its own decoding pass over the text (NormalizeForMatching). The same decisions as
// DetectLanguage(), which is implemented with it.

#include <cstdint>
#include <string_view>

#include "classifier/language.h"

namespace sakchy::classifier::internal {

// Lower case and letter classes of the code points below kLangTableEnd (above it the lower case
// is the code point itself and none of the classes hold).
inline constexpr char32_t kLangTableEnd = 0x500;
inline constexpr std::uint8_t kLatinChar = 1;
inline constexpr std::uint8_t kCyrillicChar = 2;
inline constexpr std::uint8_t kKyrgyzChar = 4;
inline constexpr std::uint8_t kUzbekChar = 8;
inline constexpr std::uint8_t kRussianChar = 16;
inline constexpr std::uint8_t kLongVowelChar = 32;
struct LangCharClass {
  std::uint16_t lower = 0;
  std::uint8_t bits = 0;
};
// kLangTableEnd entries, built once; thread-safe.
const LangCharClass* LangCharClasses();

inline constexpr std::size_t kLangWordBuffer = 128;  // bytes

// Scores of one finished word (the lower-cased bytes the scorer kept, `hash` their FNV-1a hash,
// `flags` the kWord* bits below), packed: the ky, ru, uz and en increments in bytes 0 to 3.
inline constexpr std::uint8_t kWordLatinApostrophe = 1;  // o', g'
inline constexpr std::uint8_t kWordMaybeLongVowel = 2;   // two equal long vowels in a row
inline constexpr std::uint8_t kWordHasQ = 4;
std::uint32_t ScoreWord(const char* word, std::size_t len, std::uint32_t hash, std::uint8_t flags);
// The language from the totals of a text.
Language DecideLanguage(int ky, int ru, int uz, int en, int cyrillic_letters, int latin_letters);

// Not thread-safe; one per text. Every method is inline and the word buffer lives outside, so a
// scorer that is a local object keeps its state in registers.
class LanguageScorer {
 public:
  // `word`: kLangWordBuffer bytes for the current word.
  explicit LanguageScorer(char* word) : classes_(LangCharClasses()), word_(word) {}

  // The next code point of the text (U+FFFD for an ill-formed byte, as DecodeUtf8 gives it);
  // `last`: it is the text's last one.
  void Add(char32_t c, bool last) {
    std::uint8_t bits = 0;
    if (c < kLangTableEnd) {
      bits = classes_[c].bits;
      c = classes_[c].lower;
    }
    if ((bits & (kLatinChar | kCyrillicChar)) != 0) {
      const bool latin = (bits & kLatinChar) != 0;
      if (len_ + 2 <= kLangWordBuffer) {
        if (latin) {
          Append(static_cast<unsigned char>(c));
          if (c == 'q') word_flags_ |= kWordHasQ;
        } else {
          Append(static_cast<unsigned char>(0xC0 | (c >> 6)));
          Append(static_cast<unsigned char>(0x80 | (c & 0x3F)));
          if (c == last_appended_ && (bits & kLongVowelChar) != 0) {
            word_flags_ |= kWordMaybeLongVowel;
          }
        }
        last_appended_ = c;
      }
      if (latin) {
        ++latin_letters_;
      } else {
        ++cyrillic_letters_;
        if ((bits & kKyrgyzChar) != 0) ky_ += 3;
        if ((bits & kUzbekChar) != 0) uz_ += 3;
        if ((bits & kRussianChar) != 0) ru_ += 1;
      }
    } else if (len_ > 0 && !last && IsApostrophe(c)) {
      if (previous_ == 'o' || previous_ == 'g') word_flags_ |= kWordLatinApostrophe;
      if (len_ < kLangWordBuffer) {
        Append('\'');
        last_appended_ = '\'';
      }
    } else if (len_ > 0) {
      EndWord();
    }
    previous_ = c;
  }

  // After the last code point: the language of the text.
  Language Finish() {
    EndWord();
    return DecideLanguage(ky_, ru_, uz_, en_, cyrillic_letters_, latin_letters_);
  }

 private:
  static bool IsApostrophe(char32_t c) {
    return c == '\'' || c == U'\u2019' || c == U'\u2018' || c == U'\u02BC' || c == U'\u02BB' ||
           c == '`';
  }
  // Appends a byte to the word and keeps its FNV-1a hash (and the hash without the last byte,
  // for a trailing apostrophe that EndWord() drops).
  void Append(unsigned char b) {
    word_[len_++] = static_cast<char>(b);
    hash_before_last_ = hash_;
    hash_ = (hash_ ^ b) * 16777619u;
  }
  void EndWord() {
    std::size_t len = len_;
    std::uint32_t hash = hash_;
    if (len > 0 && word_[len - 1] == '\'') {  // a trailing apostrophe is no part of the word
      --len;
      hash = hash_before_last_;
    }
    if (len > 0) {
      const std::uint32_t s = ScoreWord(word_, len, hash, word_flags_);
      ky_ += static_cast<int>(s & 0xFF);
      ru_ += static_cast<int>((s >> 8) & 0xFF);
      uz_ += static_cast<int>((s >> 16) & 0xFF);
      en_ += static_cast<int>(s >> 24);
    }
    len_ = 0;
    hash_ = kFnvBasis;
    hash_before_last_ = kFnvBasis;
    word_flags_ = 0;
    last_appended_ = 0;
  }

  static constexpr std::uint32_t kFnvBasis = 2166136261u;
  const LangCharClass* classes_;
  // The current word, lower-cased (letters are Latin or Cyrillic: at most 2 bytes each). Longer
  // words than the buffer are truncated: they are neither function words nor worth more.
  char* word_;
  std::size_t len_ = 0;
  std::uint32_t hash_ = kFnvBasis;
  std::uint32_t hash_before_last_ = kFnvBasis;
  std::uint8_t word_flags_ = 0;
  char32_t last_appended_ = 0;  // the last letter or apostrophe put in the word
  char32_t previous_ = 0;
  int ky_ = 0;
  int ru_ = 0;
  int uz_ = 0;
  int en_ = 0;
  int cyrillic_letters_ = 0;
  int latin_letters_ = 0;
};

}  // namespace sakchy::classifier::internal

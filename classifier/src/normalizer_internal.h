#pragma once
// Private to the classifier library: what the normaliser's parts share. The stages live in
// normalizer_fold.cc (NFKC_Casefold through the per-code-point table or ICU, Kyrgyz ӊ),
// normalizer_obfuscation.cc (the rebus 3.14, spaced-out letters, homoglyphs, repeated letters,
// separators, masked words, and the one-pass fold-collapse-encode of the matcher's text),
// normalizer_transliteration.cc (Latin -> Cyrillic), normalizer_encoding.cc (UTF-8 and the scan
// encoding with their byte maps) and normalizer.cc (the Normalizer's entry points, which chain
// them).

#include <unicode/normalizer2.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "classifier/language.h"
#include "core/utf8.h"
#include "core/utf8_encode.h"
#include "normalizer.h"

namespace sakchy::classifier::internal::norm {

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

std::uint8_t IcuFlags(char32_t c);

// Kyrgyz ӊ (U+04CA) and ӈ (U+04C8), the variants of ң in some fonts and data, -> ң (U+04A3).
inline char32_t FoldKyrgyzEn(char32_t c) {
  return c == U'\u04CA' || c == U'\u04C8' ? U'\u04A3' : c;
}

// Flags of the table's code points, published once the table is built.
extern std::atomic<const std::uint8_t*> g_flags;
const std::uint8_t* FlagTable();

inline std::uint8_t Flags(char32_t c) {
  const std::uint8_t* flags = g_flags.load(std::memory_order_acquire);
  if (flags == nullptr) {
    flags = FlagTable();
    g_flags.store(flags, std::memory_order_release);
  }
  return c < kTableEnd ? flags[c] : IcuFlags(c);
}

inline bool IsDigit(char32_t c) { return c >= '0' && c <= '9'; }

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

inline bool IsWord(const Unit& u) { return (u.f & kWord) != 0; }
inline bool IsAlphaUnit(const Unit& u) { return (u.f & kAlpha) != 0; }
inline bool IsCyrillicLetter(const Unit& u) {
  return (u.f & (kAlpha | kCyrillic)) == (kAlpha | kCyrillic);
}

inline bool IsApostrophe(char32_t c) {
  return c == '\'' || c == U'\u2019' || c == U'\u2018' || c == U'\u02BC' || c == U'\u02BB' ||
         c == '`';
}

// ---- Fold (normalizer_fold.cc) ----

const icu::Normalizer2* NfkcCasefold();
// Builds the per-code-point table (once).
void BuildTable();
// NFKC + case fold with a byte-exact map back to the input.
void FoldWithIcu(const icu::Normalizer2* nfkc_cf, std::string_view text, std::vector<Unit>& units);
// Units FoldFastInto() may write for `text`: a code point of n bytes folds to at most 3 code
// points, and only one of 2 bytes to more than n.
inline std::size_t MaxFoldedUnits(std::string_view text) {
  return text.size() + text.size() / 2 + 3;
}
// The same result as FoldWithIcu without ICU's string and edit machinery, when every code point of
// the text has a normalization boundary before it (then NFKC_Casefold of the text is the
// concatenation of the folds of its code points). False when the slow path is needed: a
// combining mark or another code point that interacts with its neighbours, or ill-formed UTF-8.
// Writes `count` units to `out`, which has room for MaxFoldedUnits(text).
// kWithLanguage: also sets `language` to DetectLanguage(text) when it returns true.
template <bool kWithLanguage>
bool FoldFastInto(const icu::Normalizer2* nfkc_cf, std::string_view text, Unit* out,
                  std::size_t& count, Language* language);
bool FoldFast(const icu::Normalizer2* nfkc_cf, std::string_view text, std::vector<Unit>& units);

// ---- Obfuscation (normalizer_obfuscation.cc) ----

// Whether `text` may hold the rebus "3.14" (or "3,14") for "пи".
bool MayHavePi(std::string_view text);
// The rebus "3.14" / "3,14" touching a Cyrillic letter ("3.14здец", "3,14дор") becomes "пи",
// in place; returns the new count. Other numbers are left alone.
std::size_t ReplacePi(Unit* u, std::size_t n);
// "б.е.с.п.о.р.я.д.к.и" -> "беспорядки": runs of single letters joined by short separators.
// Writes the result to `out` and returns true when some run was joined; else returns false and
// leaves `out` in an unspecified state (the result is `in`).
bool JoinSpacedLetters(const std::vector<Unit>& in, std::vector<Unit>& out);
// Latin look-alikes, digits and '@' inside words that contain Cyrillic letters.
void FoldHomoglyphs(std::vector<Unit>& u);
// In one pass: a letter repeated 3+ times becomes one unit covering all the original bytes
// ("дааааа" -> "да"); every run of separators (anything but word characters and apostrophes)
// becomes one space, so phrases are plain literals; apostrophe variants become "'" (Uzbek o', g').
// In place: every output unit replaces one or more input units at or after its position.
void CollapseRepeatsAndSeparators(std::vector<Unit>& units);

// ---- Encoding (normalizer_encoding.cc; the scan encoding's writer is here, inline) ----

// Writes `units` to `out` from byte `start` on, replacing what was there (start <= size).
// A reused NormalizedText is not cleared: only growth beyond its previous size is zero-filled.
void EncodeAt(const std::vector<Unit>& units, std::size_t start, NormalizedText& out);
void EncodeAppend(const std::vector<Unit>& units, NormalizedText& out);
void Decode(const NormalizedText& t, std::vector<Unit>& units);

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
inline constexpr ScanTables kScan;
static_assert(kScan.count <= 127, "byte 0xFF is the escape");
inline constexpr unsigned char kScanEscape = 0xFF;

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
    char utf8[4];
    const std::size_t len = EncodeUtf8(c, utf8);
    text_[pos_] = kScanEscape;
    ob_[pos_] = ob;
    oe_[pos_] = oe;
    flags_[pos_] = word;
    ++pos_;
    for (std::size_t k = 0; k < len; ++k) {
      text_[pos_] = static_cast<unsigned char>(utf8[k]);
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
inline void ReserveBytes(MatchText& out, std::size_t bytes) {
  if (out.text.size() >= bytes) return;
  const std::size_t n = std::max(bytes, 2 * out.text.size());
  out.text.resize(n);
  out.orig_begin.resize(n);
  out.orig_end.resize(n);
  out.flags.resize(n);
}

constexpr std::size_t kMaxScanBytes = 5;  // per code point

constexpr std::size_t kNoLatin = static_cast<std::size_t>(-1);

// ---- The matcher's text (normalizer_obfuscation.cc, normalizer_transliteration.cc) ----

// FoldHomoglyphs(), CollapseRepeatsAndSeparators() and the encoding of the result into `out` in
// one pass over the `n` units at `u` (folded, spaced letters already joined), from byte 0; also
// out.word_starts. `latin_from`: kNoLatin when no code point written is a-z, else a byte of
// `out` from which the transliteration can start (the start of the text or a space before the
// first word with an a-z letter). Modifies `u`.
// With `detect_join`, stops and returns false where JoinSpacedLetters() might have joined letters
// (4 one-letter words in a row, or an '@' inside a word): the caller then joins and calls again.
bool FoldCollapseEncode(Unit* u, std::size_t n, bool detect_join, MatchText& out,
                        std::size_t& latin_from);
// Appends the transliterated Latin runs of the text written to `out`, reading it from byte
// `from` (FoldCollapseEncode's latin_from).
void AppendRuns(std::size_t from, MatchText& out);
// Appends to `runs` (cleared first) what AppendTransliteration() appends for the units `u`.
void TransliterationRuns(std::span<const Unit> u, std::vector<Unit>& runs);

}  // namespace sakchy::classifier::internal::norm

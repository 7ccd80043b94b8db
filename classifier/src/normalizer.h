#pragma once
// Text normalisation for matching: NFKC + case fold (ICU), Kyrgyz ӊ -> ң, homoglyph folding
// inside Cyrillic words (Latin look-alikes and phonetic Latin letters, digits and '@', the rebus
// "3.14" -> "пи"), joining of spaced-out letters
// ("б.е.с.п.о.р.я.д.к.и"), collapsing of letters repeated 3+ times, and every run of separators
// (spaces, punctuation, symbols) reduced to one space so that phrases are plain literals.
// Every output byte keeps the byte range of the original text it came from, so matches are
// reported in original offsets.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "classifier/language.h"

namespace sakchy::classifier::internal {

struct NormalizedText {
  std::string text;  // normalised UTF-8
  // Per byte of `text`: the original byte range [orig_begin, orig_end) it came from.
  std::vector<std::uint32_t> orig_begin;
  std::vector<std::uint32_t> orig_end;
  // Per byte of `text`: 1 when the code point it belongs to is a word character (IsWordChar).
  std::vector<std::uint8_t> word;
  // Bytes of `text` before an appended transliteration.
  std::size_t main_size = 0;
  // ToNormalizedText() only: MatchText::word_starts.
  std::vector<std::uint32_t> word_starts;

  // Original byte range of the normalised range [begin, end); begin < end <= text.size().
  std::uint32_t OriginalBegin(std::size_t begin) const { return orig_begin[begin]; }
  std::uint32_t OriginalEnd(std::size_t end) const { return orig_end[end - 1]; }
};

// NormalizeForMatching()'s result, what the matcher scans: the normalised text followed by its
// transliterated Latin runs (as AppendTransliteration() appends them), in the scan encoding: one
// byte per code point for ASCII and for the lower-case Cyrillic letters of Kyrgyz, Russian, Uzbek
// and their neighbours (bytes 0x80-0xFE), 0xFF and the UTF-8 bytes for any other code point.
// Hyperscan scans it about 2.5 times faster than UTF-8 Cyrillic: half the bytes, and UTF-8
// Cyrillic letters share two lead bytes, which weakens its literal filters. Rule literals are
// compiled in the same encoding (ToScanEncoding). A match that starts on a continuation byte is
// inside an escaped code point and is no match.
// The buffers are reused across texts and only grow: bytes [0, size) are this text's.
struct MatchText {
  static constexpr std::uint8_t kWord = 1;          // the byte's code point is a word character
  static constexpr std::uint8_t kContinuation = 2;  // not the first byte of its code point
  std::size_t size = 0;
  std::size_t main_size = 0;  // bytes before the transliteration
  std::vector<char> text;
  // Per byte: the original byte range [orig_begin, orig_end) and the flags of its code point.
  std::vector<std::uint32_t> orig_begin;
  std::vector<std::uint32_t> orig_end;
  std::vector<std::uint8_t> flags;
  // Original offsets of the starts of the words before the transliteration, ascending.
  std::vector<std::uint32_t> word_starts;
  // Words with masked letters ("х*й", "б%ять", "п##дец": one or two of * % # ) @ . between
  // letters): their code points, kMasked for each masking character, in masked_chars[offset,
  // offset + length), and their original range. Only words of 3+ positions with more letters
  // than masks; with a '.' among the masks, 5+ positions and 2+ letters between masks ("т.к.",
  // "ж.д.", "Д.А.А." are abbreviations and initials).
  static constexpr char32_t kMasked = 0;
  struct Masked {
    std::uint32_t orig_begin;
    std::uint32_t orig_end;
    std::uint32_t offset;
    std::uint32_t length;
  };
  std::vector<Masked> masked;
  std::vector<char32_t> masked_chars;

  std::string_view view() const { return {text.data(), size}; }
  // Original byte range of the range [begin, end); begin < end <= size.
  std::uint32_t OriginalBegin(std::size_t begin) const { return orig_begin[begin]; }
  std::uint32_t OriginalEnd(std::size_t end) const { return orig_end[end - 1]; }
};

// The scan encoding of a UTF-8 string (ill-formed bytes become U+FFFD).
std::string ToScanEncoding(std::string_view utf8);
// Appends the UTF-8 of `scan` (whole code points in the scan encoding) to `out`.
void AppendScanAsUtf8(std::string_view scan, std::string& out);
// What `m` holds as a UTF-8 NormalizedText (a map entry per byte), for tests.
NormalizedText ToNormalizedText(const MatchText& m);

// Stateless after construction. Thread safety: const methods may be called concurrently.
// Invalid UTF-8 never crashes: ill-formed bytes are treated as U+FFFD.
class Normalizer {
 public:
  Normalizer();

  NormalizedText Normalize(std::string_view text) const {
    NormalizedText out;
    Normalize(text, out);
    return out;
  }
  // The same, into `out` (its previous contents are replaced; its capacity is reused).
  void Normalize(std::string_view text, NormalizedText& out) const;
  // The same text with every all-Latin word transliterated to Cyrillic ("govoryat" -> "говорят",
  // "chykkyla" -> "чыккыла"); offsets still point into the original text. Returns false (and
  // leaves `out` untouched) when `in` has no Latin word.
  bool Transliterate(const NormalizedText& in, NormalizedText& out) const;
  // For a single matching pass: appends to `text`, for every run of consecutive all-Latin words,
  // '\n' and the run transliterated ("srochno, 6ecпopядки" -> "srochno беспорядки\nсрочно").
  // No literal contains '\n', so no match spans two parts. Offsets point into the original text.
  // Returns false (and leaves `text` untouched) when it has no Latin word.
  bool AppendTransliteration(NormalizedText& text) const;
  // Normalize() then AppendTransliteration(), in the scan encoding (MatchText; the same text as
  // ToNormalizedText() shows), in one pass over the folded text; with `language`, also sets it to
  // DetectLanguage(text), identified in the same decoding of `text`. For the matcher: one call
  // per text, buffers reused.
  void NormalizeForMatching(std::string_view text, MatchText& out,
                            Language* language = nullptr) const;

  // Normalises a rule term or a place alias (no offsets).
  std::string NormalizeTerm(std::string_view term) const { return Normalize(term).text; }

 private:
  const void* nfkc_cf_;  // icu::Normalizer2*, owned by ICU
};

// True for letters, decimal digits and combining marks: what a "word" is made of.
bool IsWordChar(char32_t c);

}  // namespace sakchy::classifier::internal

#pragma once
// Text normalisation for matching: NFKC + case fold (ICU), Kyrgyz ӊ -> ң, homoglyph folding
// inside Cyrillic words (Latin look-alikes, digits and '@'), joining of spaced-out letters
// ("б.е.с.п.о.р.я.д.к.и"), collapsing of letters repeated 3+ times, and every run of separators
// (spaces, punctuation, symbols) reduced to one space so that phrases are plain literals.
// Every output byte keeps the byte range of the original text it came from, so matches are
// reported in original offsets.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

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
  // NormalizeForMatching() only: original offsets of the starts of the words of the text
  // before the transliteration, ascending.
  std::vector<std::uint32_t> word_starts;

  // Original byte range of the normalised range [begin, end); begin < end <= text.size().
  std::uint32_t OriginalBegin(std::size_t begin) const { return orig_begin[begin]; }
  std::uint32_t OriginalEnd(std::size_t end) const { return orig_end[end - 1]; }
};

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
  // Normalize() then AppendTransliteration(), without decoding the normalised text again; also
  // fills `word_starts`. For the matcher: one call per text, buffers reused.
  void NormalizeForMatching(std::string_view text, NormalizedText& out) const;

  // Normalises a rule term or a place alias (no offsets).
  std::string NormalizeTerm(std::string_view term) const { return Normalize(term).text; }

 private:
  const void* nfkc_cf_;  // icu::Normalizer2*, owned by ICU
};

// True for letters, decimal digits and combining marks: what a "word" is made of.
bool IsWordChar(char32_t c);
// Decodes one code point at `pos` (U+FFFD and 1 byte for ill-formed input); advances `pos`.
char32_t DecodeUtf8(std::string_view s, std::size_t& pos);
// Code point ending just before `pos` (U+FFFD when ill-formed); 0 at the start of the text.
char32_t DecodeUtf8Before(std::string_view s, std::size_t pos);
void AppendUtf8(char32_t c, std::string& out);

}  // namespace sakchy::classifier::internal

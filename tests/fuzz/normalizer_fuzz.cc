// libFuzzer target: the normaliser, transliteration and language identification on any bytes.
// Checks the offset map invariants, that the one-pass NormalizeForMatching() (in the scan
// encoding) equals Normalize() followed by AppendTransliteration(), and that the language it
// identifies on the way is DetectLanguage()'s; any crash, sanitizer report or abort is a bug.

#include <cstddef>

#include "core/utf8.h"
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "../../classifier/src/normalizer.h"
#include "classifier/language.h"
#include "core/utf8.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

void CheckMap(const sakchy::classifier::internal::NormalizedText& t, std::size_t input_size) {
  Check(t.orig_begin.size() == t.text.size() && t.orig_end.size() == t.text.size() &&
        t.word.size() == t.text.size() && t.main_size <= t.text.size());
  for (std::size_t i = 0; i < t.text.size(); ++i) {
    Check(t.orig_begin[i] <= t.orig_end[i] && t.orig_end[i] <= input_size);
    std::size_t pos = i;
    while (pos > 0 && (static_cast<unsigned char>(t.text[pos]) & 0xC0) == 0x80) --pos;
    const char32_t c = sakchy::DecodeUtf8(t.text, pos);
    Check((t.word[i] != 0) == sakchy::classifier::internal::IsWordChar(c));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const sakchy::classifier::internal::Normalizer normalizer;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  sakchy::classifier::internal::NormalizedText t = normalizer.Normalize(text);
  CheckMap(t, size);
  sakchy::classifier::internal::NormalizedText translit;
  if (normalizer.Transliterate(t, translit)) CheckMap(translit, size);
  normalizer.AppendTransliteration(t);
  CheckMap(t, size);
  static sakchy::classifier::internal::MatchText match;  // reused, as the matcher does
  sakchy::classifier::Language language = sakchy::classifier::Language::kUnknown;
  normalizer.NormalizeForMatching(text, match, &language);
  const sakchy::classifier::internal::NormalizedText one_pass =
      sakchy::classifier::internal::ToNormalizedText(match);
  CheckMap(one_pass, size);
  Check(one_pass.text == t.text && one_pass.orig_begin == t.orig_begin &&
        one_pass.orig_end == t.orig_end && one_pass.word == t.word &&
        one_pass.main_size == t.main_size);
  Check(sakchy::classifier::internal::ToScanEncoding(one_pass.text) == match.view());
  for (std::size_t i = 1; i < match.word_starts.size(); ++i) {
    Check(match.word_starts[i - 1] <= match.word_starts[i]);
  }
  Check(language == sakchy::classifier::DetectLanguage(text));
  return 0;
}

// libFuzzer target: the normaliser, transliteration and language identification on any bytes.
// Checks the offset map invariants; any crash, sanitizer report or abort is a bug.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "../../classifier/src/normalizer.h"
#include "classifier/language.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

void CheckMap(const sakchy::classifier::internal::NormalizedText& t, std::size_t input_size) {
  Check(t.orig_begin.size() == t.text.size() && t.orig_end.size() == t.text.size());
  for (std::size_t i = 0; i < t.text.size(); ++i) {
    Check(t.orig_begin[i] <= t.orig_end[i] && t.orig_end[i] <= input_size);
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
  (void)sakchy::classifier::DetectLanguage(text);
  return 0;
}

#pragma once
// Language identification for short texts (SMS, posts): Kyrgyz, Russian, Uzbek, English.
// Character-based: letters only one language uses (ң ө ү for Kyrgyz, ё ъ ы э щ for Russian, ў қ ғ ҳ
// and oʻ gʻ for Uzbek), then common function words of each language. Good enough to pick rules and
// alert templates; accuracy on a labelled sample is in docs/RULES.md.

#include <string_view>

namespace sakchy::classifier {

enum class Language { kUnknown, kKy, kRu, kUz, kEn };

// "ky", "ru", "uz", "en" or "unknown".
std::string_view LanguageName(Language language);

// Never fails: kUnknown when the text is too short or has no clear signal. Thread-safe, no I/O.
// `text` should be valid UTF-8; ill-formed bytes are ignored.
Language DetectLanguage(std::string_view text);

}  // namespace sakchy::classifier

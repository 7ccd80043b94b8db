#pragma once
// Languages of messages to contacts and reporters: the one place that spells their codes.
// Codes appear only at the edges (configuration, contact JSON, records); code compares
// `Language` values. Pure; thread-safe.

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace sakchy {

enum class Language : std::uint8_t { kKy, kRu, kUz, kEn };

// "ky", "ru", "uz", "en".
constexpr std::string_view LanguageCode(Language language) {
  switch (language) {
    case Language::kKy: return "ky";
    case Language::kRu: return "ru";
    case Language::kUz: return "uz";
    case Language::kEn: return "en";
  }
  return "ru";
}

// Every language, in declaration order.
inline constexpr std::array<Language, 4> kAllLanguages = {Language::kKy, Language::kRu,
                                                          Language::kUz, Language::kEn};

// std::nullopt for any other code.
constexpr std::optional<Language> ParseLanguage(std::string_view code) {
  for (const Language language : kAllLanguages) {
    if (LanguageCode(language) == code) return language;
  }
  return std::nullopt;
}

// The language of `code`, Russian for anything else (the default of every message).
constexpr Language LanguageOrRussian(std::string_view code) {
  return ParseLanguage(code).value_or(Language::kRu);
}

}  // namespace sakchy

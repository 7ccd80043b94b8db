#pragma once
// The display name of an area in a message language (private to alerts): the one rule both the
// engine and the dispatcher use. Pure; thread-safe.

#include <string>

#include "config/areas.h"
#include "core/language.h"

namespace sakchy::alerts {

// Kyrgyz: name_ky; English and Uzbek (Latin script): name_en; Russian: name_ru. An empty name
// falls back to name_ru.
inline std::string AreaDisplayName(const config::Area& area, Language language) {
  const std::string& name = language == Language::kKy                              ? area.name_ky
                            : language == Language::kEn || language == Language::kUz ? area.name_en
                                                                                     : area.name_ru;
  return name.empty() ? area.name_ru : name;
}

}  // namespace sakchy::alerts

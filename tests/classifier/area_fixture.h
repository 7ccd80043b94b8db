#pragma once
// The smallest area tree the classifier accepts: the country alone (for tests whose rules name no
// area).

#include <gtest/gtest.h>

#include <utility>

#include "config/areas.h"

namespace sakchy::testing {

inline config::AreaTree CountryOnlyAreas() {
  auto tree = config::AreaTree::Parse(
      "areas:\n  - {code: KG, parent: \"\", level: country, name_en: Kyrgyzstan}\n", "a.yaml");
  EXPECT_TRUE(tree.has_value()) << tree.error().ToString();
  return tree ? std::move(*tree) : config::AreaTree{};
}

}  // namespace sakchy::testing

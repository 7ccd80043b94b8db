// Counter dimensions (analytics/counter_key.h): names, round trips, and what the writer writes.

#include "analytics/counter_key.h"

#include <string>
#include <vector>

#include "testutil/testutil.h"

namespace sakchy::analytics::counter_key_test {
namespace {

TEST(CounterKeyTest, EncodesTheDocumentedNames) {
  EXPECT_EQ(CounterKey::Total().Encode(), "total");
  EXPECT_EQ(CounterKey::OfSeverity(Severity::kHigh).Encode(), "severity:high");
  EXPECT_EQ(CounterKey::OfCategory("violence").Encode(), "category:violence");
  EXPECT_EQ(CounterKey::OfSeverityCategory(Severity::kCritical, "hate").Encode(),
            "sevcat:critical:hate");
}

TEST(CounterKeyTest, DecodesWhatItEncodesAndRefusesTheRest) {
  const std::vector<CounterKey> keys = {
      CounterKey::Total(), CounterKey::OfSeverity(Severity::kInfo),
      CounterKey::OfCategory("place"), CounterKey::OfSeverityCategory(Severity::kLow, "a:b")};
  for (const auto& key : keys) {
    const std::string dim = key.Encode();
    auto back = CounterKey::Decode(dim);
    ASSERT_TRUE(back.has_value()) << dim;
    EXPECT_EQ(back->kind, key.kind) << dim;
    EXPECT_EQ(back->Encode(), dim);
  }
  for (const char* bad : {"", "totals", "severity:bogus", "category:", "sevcat:", "sevcat:high",
                          "sevcat:high:", "sevcat:bogus:violence", "other:x"}) {
    EXPECT_FALSE(CounterKey::Decode(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace sakchy::analytics::counter_key_test

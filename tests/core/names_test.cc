// The one place that names channels and languages (core/channel.h, core/language.h).

#include <gtest/gtest.h>

#include "core/channel.h"
#include "core/language.h"

namespace sakchy::names_test {
namespace {

TEST(ChannelNames, EveryKindRoundTripsThroughItsName) {
  for (const ChannelKind kind : kAllChannels) {
    EXPECT_EQ(ParseChannel(ChannelName(kind)), kind) << ChannelName(kind);
  }
  EXPECT_EQ(ChannelName(ChannelKind::kSms), "sms");
  EXPECT_EQ(ChannelName(ChannelKind::kEmail), "email");
  EXPECT_FALSE(ParseChannel("SMS").has_value());
  EXPECT_FALSE(ParseChannel("").has_value());
  EXPECT_FALSE(ParseChannel("api").has_value());
}

TEST(ChannelNames, ContactChannelsAndTheirAddressFields) {
  EXPECT_EQ(ContactChannelList(), "sms, telegram, email, webhook");
  EXPECT_FALSE(IsContactChannel(ChannelKind::kWhatsApp));
  EXPECT_EQ(ContactAddressKey(ChannelKind::kWebhook), "url");
  EXPECT_EQ(ContactAddressKey(ChannelKind::kTelegram), "chat_id");
  EXPECT_EQ(ContactAddressKey(ChannelKind::kEmail), "to");
}

TEST(LanguageCodes, EveryLanguageRoundTripsAndUnknownIsRussian) {
  for (const Language language : kAllLanguages) {
    EXPECT_EQ(ParseLanguage(LanguageCode(language)), language);
  }
  EXPECT_FALSE(ParseLanguage("de").has_value());
  EXPECT_EQ(LanguageOrRussian("de"), Language::kRu);
  EXPECT_EQ(LanguageOrRussian("uz"), Language::kUz);
}

}  // namespace
}  // namespace sakchy::names_test

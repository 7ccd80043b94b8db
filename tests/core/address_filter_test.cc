// The address filter shared by webhooks and pull sources: every internal form is refused, in
// every spelling a resolver accepts; the allow-list lets named ranges through.

#include "core/address_filter.h"

#include <gtest/gtest.h>

#include "testutil/testutil.h"

namespace sakchy::address_filter_test {
namespace {

IpBytes Ip(std::string_view text) {
  auto ip = ParseIpLiteral(text);
  EXPECT_TRUE(ip.has_value()) << text;
  return ip.value_or(IpBytes{});
}

TEST(AddressFilter, RefusesInternalAddressesInEverySpelling) {
  const AddressFilter filter;
  for (const char* host :
       {"127.0.0.1", "127.1", "0x7f000001", "2130706433", "0177.0.0.1", "0x7f.0.0.1",
        "[::1]", "::1", "[::ffff:127.0.0.1]", "::ffff:7f00:1", "[::127.0.0.1]",
        "[64:ff9b::127.0.0.1]", "169.254.169.254", "0xa9fea9fe", "10.0.0.1", "172.16.5.4",
        "172.31.255.255", "192.168.1.1", "100.64.0.1", "0.0.0.0", "0", "[::]", "224.0.0.1",
        "255.255.255.255", "[fe80::1]", "[febf::1]", "[fc00::1]", "[fd00:ec2::254]",
        "[ff02::1]", "localhost", "LOCALHOST.", "api.localhost"}) {
    auto why = filter.CheckHost(host);
    EXPECT_TRUE(why.has_value()) << host << " was allowed";
  }
  auto why = filter.CheckHost("0x7f000001");
  ASSERT_TRUE(why.has_value());
  EXPECT_EQ(*why, "127.0.0.1 is a loopback address (not in allow_private_targets)");
  EXPECT_EQ(*filter.CheckHost("169.254.169.254"),
            "169.254.169.254 is a link-local address (not in allow_private_targets)");
}

TEST(AddressFilter, AllowsPublicAddressesAndNames) {
  const AddressFilter filter;
  for (const char* host : {"93.184.216.34", "8.8.8.8", "172.32.0.1", "172.15.255.255",
                           "100.128.0.1", "[2a00:1450:4001:80b::200e]", "example.org",
                           "hooks.example.kg", "cafe.be", "1e100.net"}) {
    EXPECT_FALSE(filter.CheckHost(host).has_value()) << host;
  }
}

TEST(AddressFilter, AllowListLetsNamedRangesThrough) {
  auto filter = AddressFilter::FromCidrs({"127.0.0.1/32", "10.1.0.0/16", "::1/128"});
  ASSERT_OK(filter);
  EXPECT_FALSE(filter->Check(Ip("127.0.0.1")).has_value());
  EXPECT_FALSE(filter->Check(Ip("0x7f000001")).has_value());
  EXPECT_FALSE(filter->Check(Ip("::ffff:127.0.0.1")).has_value());
  EXPECT_FALSE(filter->Check(Ip("10.1.200.3")).has_value());
  EXPECT_FALSE(filter->Check(Ip("::1")).has_value());
  EXPECT_TRUE(filter->Check(Ip("127.0.0.2")).has_value());
  EXPECT_TRUE(filter->Check(Ip("10.2.0.1")).has_value());
  EXPECT_TRUE(filter->Check(Ip("169.254.169.254")).has_value());
  EXPECT_FALSE(filter->CheckHost("localhost").has_value());

  for (const char* bad : {"127.0.0.1/33", "::1/129", "10.0.0.0/", "10/8", "localhost",
                          "10.0.0.0/8x", "", "0x7f000001/32"}) {
    auto f = AddressFilter::FromCidrs({bad});
    EXPECT_FALSE(f.has_value()) << bad;
  }
}

TEST(AddressFilter, FormatsCanonically) {
  EXPECT_EQ(FormatIp(Ip("2130706433")), "127.0.0.1");
  EXPECT_EQ(FormatIp(Ip("[0:0:0:0:0:0:0:1]")), "::1");
  EXPECT_FALSE(ParseIpLiteral("example.org").has_value());
  EXPECT_FALSE(ParseIpLiteral("127.0.0.1 evil").has_value());
  EXPECT_FALSE(ParseIpLiteral("[::1").has_value());
}

}  // namespace
}  // namespace sakchy::address_filter_test

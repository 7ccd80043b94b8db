// Roles and area scoping of tokens (Principal).

#include "config/areas.h"
#include "core/crypto.h"
#include "service/auth.h"
#include "testutil/testutil.h"

namespace sakchy::service::auth_test {
namespace {

config::AreaTree Tree() {
  auto tree = config::AreaTree::Parse(
      "areas:\n"
      "  - {code: KG, level: country}\n"
      "  - {code: KG-O, parent: KG, level: oblast}\n"
      "  - {code: KG-O-ARAVAN, parent: KG-O, level: raion}\n"
      "  - {code: KG-O-UZGEN, parent: KG-O, level: raion}\n"
      "  - {code: KG-N, parent: KG, level: oblast}\n",
      "areas.yaml");
  EXPECT_TRUE(tree.has_value());
  return std::move(*tree);
}

TEST(RoleAllowsTest, OfficialEndpointsTakeAnalystsAndOfficials) {
  using config::Role;
  EXPECT_TRUE(RoleAllows(Role::kOfficial, Role::kOfficial));
  EXPECT_TRUE(RoleAllows(Role::kAnalyst, Role::kOfficial));
  EXPECT_TRUE(RoleAllows(Role::kAdmin, Role::kOfficial));
  EXPECT_FALSE(RoleAllows(Role::kMonitor, Role::kOfficial));
  EXPECT_FALSE(RoleAllows(Role::kOfficial, Role::kAnalyst));
  EXPECT_FALSE(RoleAllows(Role::kOfficial, Role::kAdmin));
  EXPECT_FALSE(RoleAllows(Role::kOfficial, Role::kMonitor));
  EXPECT_EQ(RequiredRoles(Role::kOfficial), "analyst or official");
  EXPECT_EQ(RequiredRoles(Role::kAdmin), "admin");
}

TEST(PrincipalTest, UnscopedSeesEverything) {
  auto tree = Tree();
  Principal p{"a", config::Role::kAnalyst, {}};
  EXPECT_FALSE(p.scoped());
  EXPECT_TRUE(p.MaySee(tree, "KG-N"));
  EXPECT_TRUE(p.MaySee(tree, ""));
  EXPECT_FALSE(p.ScopeViolation(tree, "KG").has_value());
  EXPECT_EQ(p.TopAreas(tree), std::vector<AreaCode>{"KG"});
}

TEST(PrincipalTest, OfficialSeesItsAreasAndBelowOnly) {
  auto tree = Tree();
  Principal p{"osh", config::Role::kOfficial, {"KG-O"}};
  EXPECT_TRUE(p.scoped());
  EXPECT_TRUE(p.MaySee(tree, "KG-O"));
  EXPECT_TRUE(p.MaySee(tree, "KG-O-ARAVAN"));
  EXPECT_FALSE(p.MaySee(tree, "KG"));     // the parent holds other areas' data
  EXPECT_FALSE(p.MaySee(tree, "KG-N"));
  EXPECT_FALSE(p.MaySee(tree, ""));       // events without an area are national
  EXPECT_FALSE(p.MaySee(tree, "KG-ZZ"));  // unknown codes are nobody's
  auto why = p.ScopeViolation(tree, "KG-N");
  ASSERT_TRUE(why.has_value());
  EXPECT_EQ(*why, "token 'osh' covers only KG-O (and the areas below them), not 'KG-N'");
}

TEST(PrincipalTest, TopAreasDropNestedAndRepeatedAreas) {
  auto tree = Tree();
  Principal p{"x", config::Role::kOfficial, {"KG-O-ARAVAN", "KG-N", "KG-O", "KG-N"}};
  EXPECT_EQ(p.TopAreas(tree), (std::vector<AreaCode>{"KG-N", "KG-O"}));
  Principal two{"y", config::Role::kOfficial, {"KG-O-UZGEN", "KG-O-ARAVAN"}};
  EXPECT_EQ(two.TopAreas(tree), (std::vector<AreaCode>{"KG-O-UZGEN", "KG-O-ARAVAN"}));
}

TEST(AuthenticatorTest, OfficialTokensCarryTheirAreas) {
  config::TokenConfig t{"osh", config::Role::kOfficial, Sha256Hex("osh-official-token-1"),
                        {"KG-O", "KG-N"}, ""};
  Authenticator auth({t});
  auto p = auth.Authenticate("Bearer osh-official-token-1");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->role, config::Role::kOfficial);
  EXPECT_EQ(p->areas, (std::vector<AreaCode>{"KG-O", "KG-N"}));
}

}  // namespace
}  // namespace sakchy::service::auth_test

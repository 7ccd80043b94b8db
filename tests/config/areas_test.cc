#include "config/areas.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "config/config.h"
#include "config/files.h"
#include "testutil/testutil.h"

namespace sakchy::config::areas_test {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Line numbers in the expectations below count from the first line of each literal.
constexpr char kTree[] = R"yaml(attribution: "Boundaries: OCHA / HDX (CC BY-IGO)"
areas:
  - {code: KG, level: country, name_en: Kyrgyzstan, name_ru: Кыргызстан, name_ky: Кыргызстан}
  - {code: KG-O, parent: KG, level: oblast, pcode: KG06000000000, name_en: Osh,
     name_ru: Ошская область, name_ky: Ош облусу, lat: 40.1, lon: 73.2,
     aliases: [Ош облусу, Ошской области]}
  - code: KG-O-ARAVAN
    parent: KG-O
    level: raion
    name_en: Aravan
    aliases: [Араван]
  - {code: KG-GO, parent: KG, level: city, name_en: Osh city}
  - {code: KG-C, parent: KG, level: oblast, name_en: Chui}
)yaml";

Result<AreaTree> ParseAreas(const std::string& yaml) { return AreaTree::Parse(yaml, "a.yaml"); }

// Asserts that parsing fails with exactly the given lines.
void ExpectErrors(const std::string& yaml, const std::string& expected) {
  auto tree = ParseAreas(yaml);
  ASSERT_FALSE(tree.has_value()) << "parsed unexpectedly:\n" << yaml;
  EXPECT_EQ(tree.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(tree.error().message, expected);
}

TEST(AreaTreeTest, ParsesAreasAndFields) {
  auto tree = ParseAreas(kTree);
  ASSERT_OK(tree);
  EXPECT_EQ(tree->root(), "KG");
  ASSERT_EQ(tree->areas().size(), 5u);
  const Area* osh = tree->Find("KG-O");
  ASSERT_NE(osh, nullptr);
  EXPECT_EQ(osh->parent, "KG");
  EXPECT_EQ(osh->level, "oblast");
  EXPECT_EQ(osh->pcode, "KG06000000000");
  EXPECT_EQ(osh->name_en, "Osh");
  EXPECT_EQ(osh->name_ru, "Ошская область");
  EXPECT_EQ(osh->name_ky, "Ош облусу");
  EXPECT_DOUBLE_EQ(osh->lat, 40.1);
  EXPECT_DOUBLE_EQ(osh->lon, 73.2);
  EXPECT_THAT(osh->aliases, ElementsAre("Ош облусу", "Ошской области"));
  EXPECT_EQ(tree->Find("KG-O-ARAVAN")->aliases, std::vector<std::string>{"Араван"});
  EXPECT_EQ(tree->Find("KG-X"), nullptr);
  EXPECT_EQ(tree->Find(""), nullptr);
}

TEST(AreaTreeTest, AncestorsStartAtCodeAndEndAtRoot) {
  auto tree = ParseAreas(kTree);
  ASSERT_OK(tree);
  EXPECT_THAT(tree->Ancestors("KG-O-ARAVAN"), ElementsAre("KG-O-ARAVAN", "KG-O", "KG"));
  EXPECT_THAT(tree->Ancestors("KG-GO"), ElementsAre("KG-GO", "KG"));
  EXPECT_THAT(tree->Ancestors("KG"), ElementsAre("KG"));
  EXPECT_TRUE(tree->Ancestors("KG-NOPE").empty());
}

TEST(AreaTreeTest, IsWithin) {
  auto tree = ParseAreas(kTree);
  ASSERT_OK(tree);
  EXPECT_TRUE(tree->IsWithin("KG-O-ARAVAN", "KG-O-ARAVAN"));
  EXPECT_TRUE(tree->IsWithin("KG-O-ARAVAN", "KG-O"));
  EXPECT_TRUE(tree->IsWithin("KG-O-ARAVAN", "KG"));
  EXPECT_TRUE(tree->IsWithin("KG-O", "KG"));
  EXPECT_FALSE(tree->IsWithin("KG-O", "KG-O-ARAVAN"));   // above, not within
  EXPECT_FALSE(tree->IsWithin("KG-O-ARAVAN", "KG-GO"));  // Osh city is not Osh oblast
  EXPECT_FALSE(tree->IsWithin("KG-O-ARAVAN", "KG-C"));
  EXPECT_FALSE(tree->IsWithin("KG-NOPE", "KG"));
  EXPECT_FALSE(tree->IsWithin("KG-O", "KG-NOPE"));
}

TEST(AreaTreeTest, LoadsFromFile) {
  sakchy::testing::TempDir dir;
  const std::string path = (dir.path() / "areas.yaml").string();
  std::ofstream(path) << kTree;
  auto tree = AreaTree::Load(path);
  ASSERT_OK(tree);
  EXPECT_EQ(tree->areas().size(), 5u);
}

TEST(AreaTreeTest, LoadMissingFileIsNotFound) {
  sakchy::testing::TempDir dir;
  auto tree = AreaTree::Load((dir.path() / "none.yaml").string());
  ASSERT_FALSE(tree.has_value());
  EXPECT_EQ(tree.error().code, ErrorCode::kNotFound);
}

TEST(AreaTreeTest, DuplicateCode) {
  ExpectErrors(R"yaml(areas:
  - {code: KG, level: country}
  - {code: KG-O, parent: KG, level: oblast}
  - {code: KG-O, parent: KG, level: oblast}
)yaml",
               "a.yaml:4: areas[2].code: duplicate area code 'KG-O' (first defined at a.yaml:3)");
}

// Block style: each field on its own line, so a wrong node would show as a wrong line.
TEST(AreaTreeTest, DuplicateCodePointsAtFirstDefinition) {
  ExpectErrors(R"yaml(areas:
  - code: KG
    level: country
  - code: KG-O
    parent: KG
    level: oblast
  - code: KG-O
    parent: KG
    level: oblast
)yaml",
               "a.yaml:7: areas[2].code: duplicate area code 'KG-O' (first defined at a.yaml:4)");
}

TEST(AreaTreeTest, UnknownParent) {
  ExpectErrors(R"yaml(areas:
  - {code: KG, level: country}
  - code: KG-O
    parent: KG-Z
    level: oblast
)yaml",
               "a.yaml:4: areas[1].parent: unknown parent 'KG-Z'");
}

TEST(AreaTreeTest, Cycle) {
  ExpectErrors(R"yaml(areas:
  - {code: KG, level: country}
  - {code: KG-A, parent: KG-B, level: oblast}
  - {code: KG-B, parent: KG-A, level: raion}
  - {code: KG-C, parent: KG-B, level: raion}
)yaml",
               "a.yaml:3: areas[1].parent: parent chain forms a cycle: KG-A -> KG-B -> KG-A");
}

TEST(AreaTreeTest, SelfParentIsACycle) {
  ExpectErrors(R"yaml(areas:
  - {code: KG, level: country}
  - {code: KG-A, parent: KG-A, level: oblast}
)yaml",
               "a.yaml:3: areas[1].parent: parent chain forms a cycle: KG-A -> KG-A");
}

TEST(AreaTreeTest, TwoRoots) {
  ExpectErrors(R"yaml(areas:
  - {code: KG, level: country}
  - {code: KZ, level: country}
)yaml",
               "a.yaml:3: areas[1].parent: area 'KZ' has no parent, but 'KG' is already the "
               "root (exactly one area may have no parent)");
}

TEST(AreaTreeTest, NoRoot) {
  auto tree = ParseAreas(R"yaml(areas:
  - {code: KG-A, parent: KG-B, level: oblast}
  - {code: KG-B, parent: KG-A, level: oblast}
)yaml");
  ASSERT_FALSE(tree.has_value());
  EXPECT_THAT(tree.error().message,
              HasSubstr("a.yaml:2: areas: no root area (exactly one area must have no parent)"));
  EXPECT_THAT(tree.error().message, HasSubstr("cycle"));
}

TEST(AreaTreeTest, FieldErrorsAreAllReported) {
  ExpectErrors(R"yaml(areas:
  - {code: KG, level: country}
  - {code: kg-o, parent: KG, level: oblast}
  - {code: "", parent: KG, level: oblast}
  - {code: KG-A, parent: KG, level: province}
  - {code: KG-B, parent: KG, level: oblast, lat: 123}
  - {code: KG-D, parent: KG, level: oblast, colour: red}
  - {parent: KG, level: oblast}
)yaml",
               "a.yaml:3: areas[1].code: invalid area code 'kg-o' (use A-Z, 0-9 and '-')\n"
               "a.yaml:4: areas[2].code: must not be empty\n"
               "a.yaml:5: areas[3].level: unknown level 'province' (expected: country, oblast, "
               "city, raion, aiyl_aimak, settlement)\n"
               "a.yaml:6: areas[4].lat: must be between -90.000000 and 90.000000, got 123\n"
               "a.yaml:7: areas[5].colour: unknown key (expected one of: code, parent, level, "
               "pcode, name_en, name_ru, name_ky, lat, lon, aliases)\n"
               "a.yaml:8: areas[6].code: required");
}

TEST(AreaTreeTest, AllLevelsAccepted) {
  auto tree = ParseAreas(R"yaml(areas:
  - {code: KG, level: country}
  - {code: KG-O, parent: KG, level: oblast}
  - {code: KG-GO, parent: KG, level: city}
  - {code: KG-O-A, parent: KG-O, level: raion}
  - {code: KG-O-A-1, parent: KG-O-A, level: aiyl_aimak}
  - {code: KG-O-A-1-2, parent: KG-O-A-1, level: settlement}
)yaml");
  ASSERT_OK(tree);
  EXPECT_EQ(tree->Ancestors("KG-O-A-1-2").size(), 5u);
}

TEST(AreaTreeTest, TopLevelErrors) {
  ExpectErrors("attribution: x\n", "a.yaml:1: areas: required");
  ExpectErrors("areas: []\n", "a.yaml:1: areas: expected a non-empty list of areas");
  ExpectErrors("areas:\n  - {code: KG, level: country}\nversion: 2\n",
               "a.yaml:3: version: unknown key (expected one of: attribution, areas)");
  ExpectErrors("- a\n- b\n", "a.yaml:1: (top level): expected a mapping of keys");
}

TEST(AreaTreeTest, SyntaxErrorHasLine) {
  auto tree = ParseAreas("areas:\n  - {code: KG, level: country\n  - {code: X}\n");
  ASSERT_FALSE(tree.has_value());
  EXPECT_THAT(tree.error().message, ::testing::StartsWith("a.yaml:"));
  EXPECT_THAT(tree.error().message, HasSubstr("YAML syntax error"));
  EXPECT_EQ(tree.error().message.find('\n'), std::string::npos);  // one issue
}

// The bundled areas (written by another part of the project) must parse and cover the demo
// contact of the bundled config.
TEST(AreaTreeTest, EmbeddedAreasLoadAndCoverDefaultContacts) {
  if (!ReadTextFile("embedded:areas.yaml").has_value()) {
    GTEST_SKIP() << "no areas.yaml bundled in this build";
  }
  auto tree = AreaTree::Load("embedded:areas.yaml");
  ASSERT_OK(tree);
  EXPECT_EQ(tree->root(), "KG");
  ASSERT_EQ(setenv("SAKCHY_WEBHOOK_DEMO_SECRET", "demo-secret-for-tests", 1), 0);
  auto config = LoadDefaultConfig();
  ASSERT_OK(config);
  EXPECT_OK(ValidateAreas(*config, *tree));
}

}  // namespace
}  // namespace sakchy::config::areas_test

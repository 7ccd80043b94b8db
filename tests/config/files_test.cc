#include "config/files.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "testutil/testutil.h"

namespace sakchy::config::files_test {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

void WriteFile(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

TEST(ReadTextFileTest, ReadsDiskFile) {
  sakchy::testing::TempDir dir;
  WriteFile(dir.path() / "a.yaml", "key: value\n\x01\xff");
  auto text = ReadTextFile((dir.path() / "a.yaml").string());
  ASSERT_OK(text);
  EXPECT_EQ(*text, "key: value\n\x01\xff");
}

TEST(ReadTextFileTest, MissingFileIsNotFoundWithPathAndReason) {
  sakchy::testing::TempDir dir;
  const std::string path = (dir.path() / "missing.yaml").string();
  auto text = ReadTextFile(path);
  ASSERT_FALSE(text.has_value());
  EXPECT_EQ(text.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(text.error().message, "cannot open " + path + ": No such file or directory");
}

TEST(ReadTextFileTest, DirectoryIsAnIoError) {
  sakchy::testing::TempDir dir;
  auto text = ReadTextFile(dir.str());
  ASSERT_FALSE(text.has_value());
  EXPECT_EQ(text.error().code, ErrorCode::kIo);
  EXPECT_THAT(text.error().message, HasSubstr(dir.str()));
}

TEST(ReadTextFileTest, ReadsEmbeddedDefaults) {
  auto text = ReadTextFile("embedded:sakchy.yaml");
  ASSERT_OK(text);
  EXPECT_THAT(*text, HasSubstr("server:"));
  auto same = ReadTextFile("embedded:./sakchy.yaml");
  ASSERT_OK(same);
  EXPECT_EQ(*same, *text);
}

TEST(ReadTextFileTest, MissingEmbeddedFileIsNotFound) {
  auto text = ReadTextFile("embedded:nope.yaml");
  ASSERT_FALSE(text.has_value());
  EXPECT_EQ(text.error().code, ErrorCode::kNotFound);
  EXPECT_THAT(text.error().message, HasSubstr("cannot open embedded:nope.yaml"));
}

TEST(ListYamlFilesTest, ListsYamlFilesDirectlyInDirSorted) {
  sakchy::testing::TempDir dir;
  WriteFile(dir.path() / "b.yaml", "");
  WriteFile(dir.path() / "a.yml", "");
  WriteFile(dir.path() / "c.txt", "");
  WriteFile(dir.path() / "sub" / "d.yaml", "");
  std::filesystem::create_directories(dir.path() / "dir.yaml");  // a directory, not a file
  auto files = ListYamlFiles(dir.str());
  ASSERT_OK(files);
  EXPECT_THAT(*files,
              ElementsAre((dir.path() / "a.yml").string(), (dir.path() / "b.yaml").string()));
}

TEST(ListYamlFilesTest, EmptyDirIsEmptyList) {
  sakchy::testing::TempDir dir;
  auto files = ListYamlFiles(dir.str());
  ASSERT_OK(files);
  EXPECT_TRUE(files->empty());
}

TEST(ListYamlFilesTest, MissingDirIsNotFound) {
  sakchy::testing::TempDir dir;
  const std::string path = (dir.path() / "nope").string();
  auto files = ListYamlFiles(path);
  ASSERT_FALSE(files.has_value());
  EXPECT_EQ(files.error().code, ErrorCode::kNotFound);
  EXPECT_THAT(files.error().message, StartsWith("cannot open " + path + ": "));
}

TEST(ListYamlFilesTest, ListsEmbeddedTopLevel) {
  auto files = ListYamlFiles("embedded:");
  ASSERT_OK(files);
  EXPECT_THAT(*files, ::testing::Contains("embedded:sakchy.yaml"));
  for (const auto& f : *files) {
    ASSERT_THAT(f, StartsWith("embedded:"));
    EXPECT_EQ(f.find('/'), std::string::npos) << f;  // nothing from subdirectories
  }
  EXPECT_TRUE(std::is_sorted(files->begin(), files->end()));
}

TEST(ListYamlFilesTest, ListsEmbeddedRulesWhenBundled) {
  auto files = ListYamlFiles("embedded:rules");
  if (!files.has_value()) {
    EXPECT_EQ(files.error().code, ErrorCode::kNotFound);
    GTEST_SKIP() << "no rules bundled in this build";
  }
  for (const auto& f : *files) {
    EXPECT_THAT(f, StartsWith("embedded:rules/"));
    EXPECT_TRUE(f.ends_with(".yaml") || f.ends_with(".yml")) << f;
    EXPECT_OK(ReadTextFile(f));
  }
  auto with_slash = ListYamlFiles("embedded:rules/");
  ASSERT_OK(with_slash);
  EXPECT_EQ(*with_slash, *files);
}

TEST(ListYamlFilesTest, MissingEmbeddedDirIsNotFound) {
  auto files = ListYamlFiles("embedded:no-such-dir");
  ASSERT_FALSE(files.has_value());
  EXPECT_EQ(files.error().code, ErrorCode::kNotFound);
  EXPECT_THAT(files.error().message, HasSubstr("embedded:no-such-dir"));
}

TEST(ResolvePathTest, DiskPaths) {
  EXPECT_EQ(ResolvePath("/etc/sakchy/my.yaml", "rules"), "/etc/sakchy/rules");
  EXPECT_EQ(ResolvePath("/etc/sakchy/my.yaml", "./var/data"), "/etc/sakchy/var/data");
  EXPECT_EQ(ResolvePath("/etc/sakchy/my.yaml", "../areas.yaml"), "/etc/sakchy/../areas.yaml");
  EXPECT_EQ(ResolvePath("/etc/sakchy/my.yaml", "/abs/rules"), "/abs/rules");
  EXPECT_EQ(ResolvePath("conf/my.yaml", "rules"), "conf/rules");
  // A file in the working directory: relative paths stay relative to it.
  EXPECT_EQ(ResolvePath("my.yaml", "rules"), "rules");
}

TEST(ResolvePathTest, EmbeddedPaths) {
  EXPECT_EQ(ResolvePath("embedded:sakchy.yaml", "rules"), "embedded:rules");
  EXPECT_EQ(ResolvePath("embedded:sakchy.yaml", "areas.yaml"), "embedded:areas.yaml");
  EXPECT_EQ(ResolvePath("embedded:rules/a.yaml", "b.yaml"), "embedded:rules/b.yaml");
  EXPECT_EQ(ResolvePath("embedded:rules/a.yaml", "../areas.yaml"), "embedded:areas.yaml");
  EXPECT_EQ(ResolvePath("embedded:sakchy.yaml", "/abs/rules"), "/abs/rules");
}

TEST(ResolvePathTest, EmbeddedTargetStaysEmbedded) {
  EXPECT_EQ(ResolvePath("/etc/sakchy/my.yaml", "embedded:rules"), "embedded:rules");
}

}  // namespace
}  // namespace sakchy::config::files_test

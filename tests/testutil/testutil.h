#pragma once
// Test helpers shared by every module's tests.

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#define ASSERT_OK(expr)                                                      \
  do {                                                                       \
    const auto& _r = (expr);                                                 \
    ASSERT_TRUE(_r.has_value()) << #expr << ": " << _r.error().ToString();   \
  } while (0)
#define EXPECT_OK(expr)                                                      \
  do {                                                                       \
    const auto& _r = (expr);                                                 \
    EXPECT_TRUE(_r.has_value()) << #expr << ": " << _r.error().ToString();   \
  } while (0)

namespace sakchy::testing {

// `s` as a JSON string literal, quotes included (every character JSON requires escaped is).
std::string JsonQuote(std::string_view s);

// `s` with ASCII letters lowered (HTTP field names).
std::string AsciiLower(std::string_view s);

// A fresh directory under the system temp dir, removed on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string str() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

// Polls `condition` every few milliseconds until it holds or `timeout` passes. Returns whether it
// held. Synchronisation by condition, never by a fixed sleep.
bool WaitFor(const std::function<bool()>& condition,
             std::chrono::milliseconds timeout = std::chrono::seconds(10));

// Path of a file in the source tree, e.g. SourcePath("config/defaults/areas.yaml").
std::string SourcePath(const std::string& relative);

// Whether `message`, the issues of a refused configuration one per line, has the line
// `path:line: rest`, as `sakchy config check` prints it.
::testing::AssertionResult HasIssueLine(const std::string& message, const std::string& path,
                                        int line, const std::string& rest);

}  // namespace sakchy::testing

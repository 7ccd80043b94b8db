#include "testutil/testutil.h"

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>

#include <cctype>
#include <random>
#include <thread>

namespace sakchy::testing {

std::string JsonQuote(std::string_view s) { return boost::json::serialize(boost::json::string(s)); }

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

TempDir::TempDir() {
  std::random_device rd;
  std::mt19937_64 rng(rd());
  for (;;) {
    auto candidate = std::filesystem::temp_directory_path() /
                     ("sakchy-test-" + std::to_string(rng() % 1000000000000ULL));
    std::error_code ec;
    if (std::filesystem::create_directory(candidate, ec)) {
      path_ = candidate;
      return;
    }
  }
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

bool WaitFor(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return condition();
}

std::string SourcePath(const std::string& relative) {
  return std::string(SAKCHY_SOURCE_DIR) + "/" + relative;
}

::testing::AssertionResult HasIssueLine(const std::string& message, const std::string& path,
                                        int line, const std::string& rest) {
  const std::string expected = path + ":" + std::to_string(line) + ": " + rest;
  if (("\n" + message + "\n").find("\n" + expected + "\n") != std::string::npos) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "expected line: " << expected << "\ngot:\n" << message;
}

}  // namespace sakchy::testing

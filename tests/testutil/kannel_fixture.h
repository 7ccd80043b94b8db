#pragma once
// A real Kannel on loopback for tests (bearerbox, smsbox and one fakesmsc), started by
// tests/fixtures/kannel/start-kannel.sh and stopped on destruction, plus helpers to read what
// fakesmsc received. Skip tests with KannelFixture::Installed() when Kannel is missing
// (apt-get install kannel kannel-extras).

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "testutil/testutil.h"

namespace sakchy::testing {

// `n` distinct free TCP ports on 127.0.0.1 (held open together so they differ).
std::vector<std::uint16_t> FreePorts(int n);
// Runs a shell command; returns {exit code, stdout + stderr}.
std::pair<int, std::string> RunShell(const std::string& command);
// Single-quotes `s` for a shell command line.
std::string ShellQuote(const std::string& s);

class KannelFixture {
 public:
  static constexpr const char* kPassword = "test-admin-password";  // sendsms-user ews

  KannelFixture();
  ~KannelFixture();
  KannelFixture(const KannelFixture&) = delete;
  KannelFixture& operator=(const KannelFixture&) = delete;

  static bool Installed();

  // Starts Kannel; incoming SMS go to http://127.0.0.1:`sakchy_port`/v1/ingest/kannel with
  // `secret`. The sendsms-user may send two concatenated parts.
  ::testing::AssertionResult Start(std::uint16_t sakchy_port, const std::string& secret);
  // "http://127.0.0.1:<port>/cgi-bin/sendsms"
  std::string sendsms_url() const;
  // Makes fakesmsc send one MO SMS: "FROM TO text MESSAGE" (one line, < 255 bytes).
  ::testing::AssertionResult SendMo(const std::string& line);
  // A log file of the work directory: fakesmsc.log, smsbox.log, bearerbox.log.
  std::string Log(const std::string& name) const;

 private:
  TempDir dir_;
  TempDir scripts_;
  std::vector<std::uint16_t> ports_;  // admin, smsbox, sendsms, fake smsc
  bool started_ = false;
};

// "%04%22+..." -> bytes ('+' is a space), as in Kannel's logs and query strings.
std::string UrlDecodeBytes(std::string_view s);

// The messages fakesmsc printed ("Got message N: <FROM TO ucs-2 %04%22...>", concatenated parts
// "<FROM TO udh %05%00%03<ref><total><seq> data %04...>" joined in order), decoded to UTF-8.
std::vector<std::string> FakeSmscMessages(const std::string& log);

}  // namespace sakchy::testing

#pragma once
// A minimal SMTP client (RFC 5321) for the e-mail channel (private to alerts): EHLO, optional
// STARTTLS (system CA store, host name verification), optional AUTH PLAIN (only after STARTTLS),
// MAIL FROM, RCPT TO, DATA, QUIT, one connection per message.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <cstdint>
#include <string>
#include <string_view>

#include "config/config.h"
#include "core/time.h"
#include "core/types.h"

namespace sakchy::alerts {

// An RFC 5322 message with CRLF line ends: From, To, Subject (RFC 2047 "B" encoded words, UTF-8),
// Date (UTC, from `now`), Message-ID "<idempotency_key@sakchy>" (the same on every attempt),
// MIME-Version, Content-Type text/plain; charset=UTF-8, Content-Transfer-Encoding: base64,
// X-Sakchy-Alert-Id; the body base64 in 76-character lines.
std::string EmailMessage(const config::EmailChannelConfig& cfg, const Alert& alert,
                         std::string_view subject, std::string_view body, TimeMs now);

// "=?UTF-8?B?...?=" words of at most 75 characters, joined by CRLF SP (folded header value).
// Never splits a UTF-8 character. ASCII-only text without specials is returned as is.
std::string EncodeHeaderWord(std::string_view text);

// How one SendMail came out. 4xx replies, timeouts and connection errors: retry; 5xx replies,
// a missing STARTTLS when required, a failed certificate check: failed.
struct SmtpResult {
  enum class Kind { kOk, kRetry, kFailed };
  Kind kind = Kind::kRetry;
  std::string error;       // e.g. "smtp: RCPT TO: 550 5.1.1 no such user"; never a password
  bool connected = false;  // a TCP connection was made (counts as an attempt on the wire)
};

// Sends `message` (from EmailMessage) to `to` through cfg.host:cfg.port. `timeout_ms` bounds the
// whole exchange. Never throws for network or protocol errors. `tls` must outlive the call.
boost::asio::awaitable<SmtpResult> SendMail(config::EmailChannelConfig cfg, std::string to,
                                            std::string message, std::int64_t timeout_ms,
                                            boost::asio::ssl::context* tls);

}  // namespace sakchy::alerts

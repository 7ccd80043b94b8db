#pragma once
// The SMTP client of the e-mail channel (private to alerts), through libcurl: EHLO with an FQDN
// (helo_name, else this host's FQDN, else the sender's domain), STARTTLS when `starttls` (required
// then) or implicit TLS when `implicit_tls` (RFC 8314, port 465), servers verified against the
// caller's certificate store with host name checks, AUTH PLAIN, LOGIN or XOAUTH2 only over TLS,
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
// X-Sakchy-Alert-Id, Auto-Submitted: auto-generated (RFC 3834), MIME-Version, Content-Type
// text/plain; charset=UTF-8, Content-Transfer-Encoding: base64; the body base64 in 76-character
// lines. A subject longer than 78 characters is cut to 77 and "…"; no header line exceeds 78.
std::string EmailMessage(const config::EmailChannelConfig& cfg, const Alert& alert,
                         std::string_view subject, std::string_view body, TimeMs now);

// "=?UTF-8?B?...?=" words of at most 68 characters, joined by CRLF SP (folded header value), so
// that "Subject: " and every folded line fit 78 characters. Never splits a UTF-8 character.
// ASCII-only text without specials that fits the line after "Subject: " is returned as is.
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
// whole exchange. Never throws for network or protocol errors. `tls` (its certificate store
// verifies the server; may be null: libcurl's CA bundle) must outlive the call. The transfer
// blocks a thread of this file's own pool, never the caller's io thread.
boost::asio::awaitable<SmtpResult> SendMail(config::EmailChannelConfig cfg, std::string to,
                                            std::string message, std::int64_t timeout_ms,
                                            boost::asio::ssl::context* tls);

}  // namespace sakchy::alerts

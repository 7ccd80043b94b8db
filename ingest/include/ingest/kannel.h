#pragma once
// SMS intake through the Kannel gateway: turns one Kannel MO callback (an incoming SMS that
// smsbox forwards to its sms-service get-url / post-url) into a Report.
//
// Kannel setup (see tests/fixtures/kannel/kannel.conf.in and docs/OPERATIONS.md):
//   group = smsbox        ... mo-recode = true   (UCS-2 messages arrive re-coded as UTF-8)
//   group = sms-service   keyword = default, catch-all = true, max-messages = 0 (no reply SMS),
//   get-url = "http://HOST:PORT/v1/ingest/kannel?secret=S&from=%p&to=%P&text=%a&ts=%T&id=%I
//              &coding=%c&charset=%C"
// Kannel retries a callback that failed; %I (the message id) keeps such retries idempotent.
//
// Pure functions: no I/O, no clock, no shared state; safe to call from any thread.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/types.h"

namespace sakchy::ingest {

struct KannelSettings {
  std::string secret;                    // shared secret (the `secret` parameter); required
  std::vector<std::string> allowed_ips;  // exact addresses or IPv4 CIDR "10.0.0.0/8"; empty = any
  std::string pseudonym_key;             // HMAC key for sender numbers; required unless
                                         // keep_raw_numbers
  bool keep_raw_numbers = false;         // store raw numbers (for replies) only if configured
  std::string default_country_code = "996";  // for national numbers "0XXXXXXXXX" (Kyrgyzstan)
  // An SMS from the same sender within this time of the report that started their thread is a
  // follow-up of that report (Report::thread_key = submitted_by); 0 = every SMS is a new report.
  std::int64_t follow_up_window_ms = 0;
};

// Turns one Kannel MO callback into a report ready for Pipeline::Submit (id and received_at are
// left for the pipeline to set; area is left empty, so it is located from the text).
//
// `params` are the decoded query parameters of the get-url call (or, for post-url, the same names
// filled from the form fields / X-Kannel-* headers by the caller):
//   secret  the shared secret                        (required)
//   id      Kannel's message id, %I                  (required; source_ref "kannel:<id>")
//   from    the sender, %p                           (required)
//   text    the message, %a                          (required; see decoding below)
//   ts      unix seconds, %T                         (optional; observed_at when 2000..2100)
//   coding  %c: 0 = 7-bit/text, 1 = 8-bit binary (refused), 2 = UCS-2   (optional)
//   charset %C: UTF-8 (also what mo-recode produces), UTF-16BE / UCS-2, ISO-8859-1 (optional)
//   to      the receiver, %P                         (ignored)
// Text decoding: charset UTF-8 (or none) must be valid UTF-8; coding=2 or a UTF-16/UCS-2 charset
// is UTF-16BE, given either as the raw bytes (percent-decoded) or as hex digits ("041F0440..."),
// surrogate pairs joined, a leading byte-order mark honoured; ISO-8859-1 is converted. Unknown
// parameters are ignored (Kannel installations add their own).
//
// submitted_by: "sms:" + the first 16 hex digits of HMAC-SHA256(pseudonym_key, E.164 number)
// (NormalizePhoneNumber; a sender that is no phone number, e.g. an alphanumeric id, is hashed as
// given). With keep_raw_numbers the report carries the raw number instead: "sms:+996700000001"
// (Report has no separate field for it; a reply channel reads it from there).
// reply_address (transient, never stored) = the E.164 number when the sender is one.
// With follow_up_window_ms > 0: thread_key = submitted_by and thread_window_ms = the window, so
// the store attaches it to the sender's report of the last window (see Report::thread_key).
//
// Errors:
//   kUnauthenticated  remote_ip is not in allowed_ips (checked first); `secret` missing or
//                     wrong (compared in constant time, independent of length); no secret
//                     configured (fail closed). Messages never contain a secret.
//   kInvalidArgument  "missing parameter 'from'" (or id, text), "empty text",
//                     "text is not valid UTF-8 (byte N)", "text is not valid UCS-2 ...",
//                     "parameter 'coding' ...", "unsupported charset '...'", "parameter 'id' ...".
//   kInternal         no pseudonym_key while keep_raw_numbers is off (a wiring error).
[[nodiscard]] Result<Report> ParseKannelMo(const std::map<std::string, std::string>& params,
                                           std::string_view remote_ip,
                                           const KannelSettings& settings);

// "+996700000001" for "+996 700 000-001", "00996700000001", "996700000001" or (with country
// code "996") "0700000001". std::nullopt when `raw` is not a phone number (short codes of fewer
// than 8 digits, alphanumeric senders). The result is "+" and 8..15 digits.
[[nodiscard]] std::optional<std::string> NormalizePhoneNumber(
    std::string_view raw, std::string_view default_country_code = "996");

// "sms:" + first 16 hex digits of HmacSha256Hex(key, sender). Stable for a key; does not reveal
// the sender without the key.
[[nodiscard]] std::string SmsSenderPseudonym(std::string_view key, std::string_view sender);

// True when `ip` matches one entry of `allowed` (exact address, or IPv4 CIDR "a.b.c.d/n");
// an IPv4-mapped IPv6 address ("::ffff:127.0.0.1") matches its IPv4 form. Empty list = any.
[[nodiscard]] bool IpAllowed(std::string_view ip, const std::vector<std::string>& allowed);

}  // namespace sakchy::ingest

#include "smtp_client.h"

#include <openssl/evp.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <ctime>
#include <memory>
#include <vector>

namespace sakchy::alerts {
namespace {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;
using boost::system::error_code;

constexpr std::size_t kMaxReplyBytes = 64 * 1024;

std::string Base64(std::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(data.data()),
                                static_cast<int>(data.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::string Rfc5322Date(TimeMs now) {
  const std::time_t secs = static_cast<std::time_t>(now / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000", kDays[tm.tm_wday % 7],
                tm.tm_mday, kMonths[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buf;
}

struct Reply {
  int code = 0;                    // 0 when nothing usable was read
  std::string text;                // the last line, e.g. "250 2.0.0 Ok: queued"
  std::vector<std::string> lines;  // every line without the code and separator (EHLO keywords)
  error_code ec;
};

// One SMTP connection. Shared with the deadline handler, which closes the socket on timeout.
class Session {
 public:
  Session(const net::any_io_executor& ex, ssl::context& ctx) : resolver_(ex), stream_(ex, ctx) {}

  tcp::resolver& resolver() { return resolver_; }
  tcp::socket& socket() { return stream_.next_layer(); }
  ssl::stream<tcp::socket>& tls_stream() { return stream_; }
  void set_tls() { tls_ = true; }
  bool timed_out = false;

  net::awaitable<error_code> Write(std::string data) {
    error_code ec;
    if (tls_) {
      co_await net::async_write(stream_, net::buffer(data),
                                net::redirect_error(net::use_awaitable, ec));
    } else {
      co_await net::async_write(socket(), net::buffer(data),
                                net::redirect_error(net::use_awaitable, ec));
    }
    co_return ec;
  }

  // Reads one (possibly multi-line) reply.
  net::awaitable<Reply> ReadReply() {
    Reply reply;
    for (;;) {
      std::size_t n = 0;
      auto buffer = net::dynamic_buffer(buf_, kMaxReplyBytes);
      if (tls_) {
        n = co_await net::async_read_until(stream_, buffer, "\r\n",
                                           net::redirect_error(net::use_awaitable, reply.ec));
      } else {
        n = co_await net::async_read_until(socket(), buffer, "\r\n",
                                           net::redirect_error(net::use_awaitable, reply.ec));
      }
      if (reply.ec) co_return reply;
      std::string line = buf_.substr(0, n - 2);
      buf_.erase(0, n);
      if (line.size() < 3 || line.find_first_not_of("0123456789") < 3 ||
          (line.size() > 3 && line[3] != ' ' && line[3] != '-')) {
        reply.code = 0;
        reply.text = "malformed reply";
        co_return reply;
      }
      reply.code = std::stoi(line.substr(0, 3));
      reply.lines.push_back(line.size() > 4 ? line.substr(4) : "");
      reply.text = line.substr(0, 200);
      if (line.size() == 3 || line[3] == ' ') co_return reply;
    }
  }

  net::awaitable<Reply> Command(std::string line) {
    error_code ec = co_await Write(line + "\r\n");
    if (ec) {
      Reply reply;
      reply.ec = ec;
      co_return reply;
    }
    co_return co_await ReadReply();
  }

 private:
  tcp::resolver resolver_;
  ssl::stream<tcp::socket> stream_;
  bool tls_ = false;
  std::string buf_;
};

SmtpResult Fail(SmtpResult::Kind kind, std::string error) {
  SmtpResult r;
  r.kind = kind;
  r.error = "smtp: " + std::move(error);
  r.connected = true;
  return r;
}

// A reply that is not `expected` (2xx/3xx class given as its first digit): 4xx retry, 5xx fail.
SmtpResult Unexpected(const Session& s, std::string_view step, const Reply& reply) {
  if (s.timed_out) return Fail(SmtpResult::Kind::kRetry, std::string(step) + ": timeout");
  if (reply.ec) {
    return Fail(SmtpResult::Kind::kRetry, std::string(step) + ": " + reply.ec.message());
  }
  const auto kind =
      reply.code >= 500 && reply.code < 600 ? SmtpResult::Kind::kFailed : SmtpResult::Kind::kRetry;
  return Fail(kind, std::string(step) + ": " + reply.text);
}

bool HasExtension(const Reply& ehlo, std::string_view keyword, std::string_view param = {}) {
  for (std::size_t i = 1; i < ehlo.lines.size(); ++i) {  // line 0 is the greeting
    std::string upper = ehlo.lines[i];
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (!upper.starts_with(keyword)) continue;
    if (param.empty()) return upper.size() == keyword.size() || upper[keyword.size()] == ' ';
    if (upper.find(" " + std::string(param)) != std::string::npos) return true;
  }
  return false;
}

// Dot-stuffing and CRLF line ends, terminated by "<CRLF>.<CRLF>".
std::string DataPayload(std::string_view message) {
  std::string out;
  out.reserve(message.size() + 16);
  bool line_start = true;
  for (std::size_t i = 0; i < message.size(); ++i) {
    const char c = message[i];
    if (line_start && c == '.') out += '.';
    if (c == '\n' && (i == 0 || message[i - 1] != '\r')) out += '\r';
    out += c;
    line_start = c == '\n';
  }
  if (!out.ends_with("\r\n")) out += "\r\n";
  out += ".\r\n";
  return out;
}

// The SMTP dialogue on a connected session.
net::awaitable<SmtpResult> Converse(std::shared_ptr<Session> s, config::EmailChannelConfig cfg,
                                    std::string to, std::string message) {
  Reply greeting = co_await s->ReadReply();
  if (greeting.code != 220) co_return Unexpected(*s, "greeting", greeting);
  Reply ehlo = co_await s->Command("EHLO sakchy");
  if (ehlo.code != 250) co_return Unexpected(*s, "EHLO", ehlo);
  if (cfg.starttls) {
    if (!HasExtension(ehlo, "STARTTLS")) {
      co_return Fail(SmtpResult::Kind::kFailed, "server does not offer STARTTLS");
    }
    Reply go = co_await s->Command("STARTTLS");
    if (go.code != 220) co_return Unexpected(*s, "STARTTLS", go);
    auto& stream = s->tls_stream();
    error_code not_ip;
    net::ip::make_address(cfg.host, not_ip);
    if (not_ip && !SSL_set_tlsext_host_name(stream.native_handle(), cfg.host.c_str())) {
      co_return Fail(SmtpResult::Kind::kRetry, "TLS: cannot set server name");
    }
    stream.set_verify_mode(ssl::verify_peer);
    stream.set_verify_callback(ssl::host_name_verification(cfg.host));
    error_code ec;
    co_await stream.async_handshake(ssl::stream_base::client,
                                    net::redirect_error(net::use_awaitable, ec));
    if (ec) {
      co_return Fail(s->timed_out ? SmtpResult::Kind::kRetry : SmtpResult::Kind::kFailed,
                     "TLS handshake failed: " + ec.message());
    }
    s->set_tls();
    ehlo = co_await s->Command("EHLO sakchy");
    if (ehlo.code != 250) co_return Unexpected(*s, "EHLO", ehlo);
  }
  if (!cfg.username.empty()) {
    if (!cfg.starttls) {
      co_return Fail(SmtpResult::Kind::kFailed, "refusing AUTH without STARTTLS");
    }
    if (!HasExtension(ehlo, "AUTH", "PLAIN")) {
      co_return Fail(SmtpResult::Kind::kFailed, "server does not offer AUTH PLAIN");
    }
    std::string credentials;
    credentials += '\0';
    credentials += cfg.username;
    credentials += '\0';
    credentials += cfg.password;
    Reply auth = co_await s->Command("AUTH PLAIN " + Base64(credentials));
    if (auth.code != 235) co_return Unexpected(*s, "AUTH", auth);
  }
  Reply mail = co_await s->Command("MAIL FROM:<" + cfg.from + ">");
  if (mail.code != 250) co_return Unexpected(*s, "MAIL FROM", mail);
  Reply rcpt = co_await s->Command("RCPT TO:<" + to + ">");
  if (rcpt.code != 250 && rcpt.code != 251) co_return Unexpected(*s, "RCPT TO", rcpt);
  Reply data = co_await s->Command("DATA");
  if (data.code != 354) co_return Unexpected(*s, "DATA", data);
  error_code ec = co_await s->Write(DataPayload(message));
  Reply done;
  if (ec) {
    done.ec = ec;
  } else {
    done = co_await s->ReadReply();
  }
  if (done.code != 250) co_return Unexpected(*s, "end of data", done);
  co_await s->Command("QUIT");  // the message is accepted; the answer does not matter
  SmtpResult ok;
  ok.kind = SmtpResult::Kind::kOk;
  ok.connected = true;
  co_return ok;
}

}  // namespace

std::string EncodeHeaderWord(std::string_view text) {
  bool plain = true;
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c >= 0x7f || (c == '=' && plain)) plain = false;
  }
  if (plain && text.size() <= 70) return std::string(text);
  // 45 bytes -> 60 base64 characters -> 72 with "=?UTF-8?B?" and "?=".
  constexpr std::size_t kChunk = 45;
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t end = std::min(i + kChunk, text.size());
    while (end < text.size() && end > i && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) {
      --end;  // never split a character
    }
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + Base64(text.substr(i, end - i)) + "?=";
    i = end;
  }
  return out;
}

std::string EmailMessage(const config::EmailChannelConfig& cfg, const Alert& alert,
                         std::string_view subject, std::string_view body, TimeMs now) {
  std::string crlf_body;
  crlf_body.reserve(body.size() + 32);
  for (std::size_t i = 0; i < body.size(); ++i) {
    if (body[i] == '\n' && (i == 0 || body[i - 1] != '\r')) crlf_body += '\r';
    crlf_body += body[i];
  }
  const std::string encoded = Base64(crlf_body);
  std::string msg;
  msg += "From: " + cfg.from + "\r\n";
  msg += "To: " + alert.target + "\r\n";
  msg += "Subject: " + EncodeHeaderWord(subject) + "\r\n";
  msg += "Date: " + Rfc5322Date(now) + "\r\n";
  msg += "Message-ID: <" + alert.idempotency_key + "@sakchy>\r\n";
  msg += "X-Sakchy-Alert-Id: " + alert.id + "\r\n";
  msg += "MIME-Version: 1.0\r\n";
  msg += "Content-Type: text/plain; charset=UTF-8\r\n";
  msg += "Content-Transfer-Encoding: base64\r\n";
  msg += "\r\n";
  for (std::size_t i = 0; i < encoded.size(); i += 76) msg += encoded.substr(i, 76) + "\r\n";
  return msg;
}

net::awaitable<SmtpResult> SendMail(config::EmailChannelConfig cfg, std::string to,
                                    std::string message, std::int64_t timeout_ms,
                                    ssl::context* tls) {
  auto ex = co_await net::this_coro::executor;
  auto s = std::make_shared<Session>(ex, *tls);
  net::steady_timer deadline(ex, std::chrono::milliseconds(timeout_ms));
  auto on_deadline = [s](const error_code& ec) {
    if (ec) return;
    s->timed_out = true;
    s->resolver().cancel();
    error_code ignored;
    s->socket().close(ignored);
  };
  deadline.async_wait(on_deadline);

  SmtpResult result;
  error_code ec;
  auto endpoints = co_await s->resolver().async_resolve(
      cfg.host, std::to_string(cfg.port), net::redirect_error(net::use_awaitable, ec));
  if (ec || s->timed_out) {
    result.error = s->timed_out ? "smtp: resolve: timeout" : "smtp: cannot resolve host";
    co_return result;
  }
  co_await net::async_connect(s->socket(), endpoints, net::redirect_error(net::use_awaitable, ec));
  if (ec || s->timed_out) {
    result.error = s->timed_out                           ? "smtp: connect: timeout"
                   : ec == net::error::connection_refused ? "smtp: connection refused"
                                                          : "smtp: connect: " + ec.message();
    co_return result;
  }

  result = co_await Converse(s, std::move(cfg), std::move(to), std::move(message));

  deadline.cancel();
  error_code ignored;
  s->socket().shutdown(tcp::socket::shutdown_both, ignored);
  s->socket().close(ignored);
  co_return result;
}

}  // namespace sakchy::alerts

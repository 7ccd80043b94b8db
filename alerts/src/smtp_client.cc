#include "smtp_client.h"

#include <curl/curl.h>
#include <netdb.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <unistd.h>

#include <boost/asio/async_result.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <memory>
#include <mutex>

namespace sakchy::alerts {
namespace {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;

// RFC 5322 2.1.1: a header line of at most 78 characters; the Subject's text is cut to as many.
constexpr std::size_t kMaxLine = 78;
constexpr std::size_t kMaxSubjectChars = 78;

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

// ---- libcurl ----

// curl_global_init is not thread-safe before 7.84 and must run once, before any handle.
void InitCurlOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// The threads that run the blocking transfers, off the caller's io thread. Two: a slow server
// delays at most one other message. Joined at exit (a transfer ends within its timeout).
net::thread_pool& TransferPool() {
  static net::thread_pool pool(2);
  return pool;
}

// This host's fully qualified name: the canonical name of gethostname(), when it has a dot.
// Empty when there is none (a container or a laptop named "vm"). Blocking (resolver).
std::string HostFqdn() {
  static const std::string fqdn = [] {
    char name[256] = {};
    if (gethostname(name, sizeof(name) - 1) != 0) return std::string();
    addrinfo hints{};
    hints.ai_flags = AI_CANONNAME;
    addrinfo* info = nullptr;
    std::string out = name;
    if (getaddrinfo(name, nullptr, &hints, &info) == 0) {
      if (info && info->ai_canonname) out = info->ai_canonname;
      freeaddrinfo(info);
    }
    return out.find('.') != std::string::npos ? out : std::string();
  }();
  return fqdn;
}

// The name for EHLO: helo_name, else this host's FQDN, else the domain of the sender's address
// (servers with Postfix's reject_non_fqdn_helo_hostname refuse a bare host name).
std::string HeloName(const config::EmailChannelConfig& cfg) {
  if (!cfg.helo_name.empty()) return cfg.helo_name;
  std::string fqdn = HostFqdn();
  if (!fqdn.empty()) return fqdn;
  const auto at = cfg.from.rfind('@');
  return at == std::string::npos ? std::string("localhost") : cfg.from.substr(at + 1);
}

// curl takes the EHLO name from the URL's path.
std::string SmtpUrl(const config::EmailChannelConfig& cfg, const std::string& helo) {
  std::string url = cfg.implicit_tls ? "smtps://" : "smtp://";
  url += cfg.host.find(':') != std::string::npos ? "[" + cfg.host + "]" : cfg.host;
  url += ":" + std::to_string(cfg.port) + "/";
  for (char c : helo) {  // a host name or an address literal; anything else is escaped
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '[' ||
        c == ']' || c == ':') {
      url += c;
    } else {
      char hex[4];
      std::snprintf(hex, sizeof hex, "%%%02X", static_cast<unsigned char>(c));
      url += hex;
    }
  }
  return url;
}

struct Upload {
  const std::string* data;
  std::size_t offset = 0;
};

std::size_t ReadUpload(char* buffer, std::size_t size, std::size_t count, void* user) {
  auto* up = static_cast<Upload*>(user);
  const std::size_t n = std::min(size * count, up->data->size() - up->offset);
  std::memcpy(buffer, up->data->data() + up->offset, n);
  up->offset += n;
  return n;
}

// Verifies servers against the same certificate store as the caller's TLS context (the system
// CAs, or what the operator put there) instead of curl's own bundle.
CURLcode UseCallerStore(CURL*, void* curl_ctx, void* user) {
  X509_STORE* store = SSL_CTX_get_cert_store(static_cast<ssl::context*>(user)->native_handle());
  SSL_CTX_set1_cert_store(static_cast<SSL_CTX*>(curl_ctx), store);
  return CURLE_OK;
}

using CurlHandle = std::unique_ptr<CURL, decltype(&curl_easy_cleanup)>;
using CurlList = std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)>;

SmtpResult Fail(SmtpResult::Kind kind, std::string error, bool connected) {
  SmtpResult r;
  r.kind = kind;
  r.error = "smtp: " + std::move(error);
  r.connected = connected;
  return r;
}

// How a transfer came out: the server's last reply decides (5xx fail, 4xx retry), then curl's
// code (certificate and TLS failures, refused credentials: fail; network, timeouts: retry).
SmtpResult CurlOutcome(CURL* curl, CURLcode rc, const char* errbuf) {
  if (rc == CURLE_OK) {
    SmtpResult ok;
    ok.kind = SmtpResult::Kind::kOk;
    ok.connected = true;
    return ok;
  }
  long reply = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply);
  long os_errno = 0;
  curl_easy_getinfo(curl, CURLINFO_OS_ERRNO, &os_errno);
  long connects = 0;
  curl_easy_getinfo(curl, CURLINFO_NUM_CONNECTS, &connects);
  const std::string detail = *errbuf ? errbuf : curl_easy_strerror(rc);
  using Kind = SmtpResult::Kind;
  switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
      return Fail(Kind::kRetry, "cannot resolve host", false);
    case CURLE_COULDNT_CONNECT:
      return Fail(Kind::kRetry,
                  os_errno == ECONNREFUSED ? "connection refused" : "connect: " + detail, false);
    case CURLE_OPERATION_TIMEDOUT:
      return Fail(Kind::kRetry, "timeout", connects > 0);
    case CURLE_USE_SSL_FAILED:
      return Fail(Kind::kFailed, "server does not offer STARTTLS", true);
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CACERT_BADFILE:
      return Fail(Kind::kFailed, "TLS handshake failed: " + detail, true);
    default:
      break;
  }
  const std::string text = reply ? detail + " (reply " + std::to_string(reply) + ")" : detail;
  if (reply >= 500 && reply < 600) return Fail(Kind::kFailed, text, true);
  if (reply >= 400) return Fail(Kind::kRetry, text, true);
  if (rc == CURLE_LOGIN_DENIED) return Fail(Kind::kFailed, "AUTH: " + text, true);
  return Fail(Kind::kRetry, text, connects > 0 || reply > 0);
}

// Blocking: one message over one connection.
SmtpResult Transfer(const config::EmailChannelConfig& cfg, const std::string& to,
                    const std::string& message, std::int64_t timeout_ms, ssl::context* tls) {
  InitCurlOnce();
  if (!cfg.username.empty() && !cfg.starttls && !cfg.implicit_tls) {
    return Fail(SmtpResult::Kind::kFailed, "refusing AUTH without TLS (starttls or implicit_tls)",
                false);
  }
  CurlHandle curl(curl_easy_init(), &curl_easy_cleanup);
  if (!curl) return Fail(SmtpResult::Kind::kRetry, "cannot start a transfer", false);
  CURL* c = curl.get();
  char errbuf[CURL_ERROR_SIZE] = {};
  const std::string url = SmtpUrl(cfg, HeloName(cfg));
  const std::string mail_from = "<" + cfg.from + ">";
  const std::string rcpt = "<" + to + ">";
  CurlList rcpts(curl_slist_append(nullptr, rcpt.c_str()), &curl_slist_free_all);
  Upload upload{&message};
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_ms));
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  curl_easy_setopt(c, CURLOPT_MAIL_FROM, mail_from.c_str());
  curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpts.get());
  curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(c, CURLOPT_READFUNCTION, &ReadUpload);
  curl_easy_setopt(c, CURLOPT_READDATA, &upload);
  curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(message.size()));
  curl_easy_setopt(c, CURLOPT_USE_SSL, cfg.starttls ? CURLUSESSL_ALL : CURLUSESSL_NONE);
  curl_easy_setopt(c, CURLOPT_SSLVERSION, CURL_SSLVERSION_TLSv1_2);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
  if (tls) {
    curl_easy_setopt(c, CURLOPT_SSL_CTX_FUNCTION, &UseCallerStore);
    curl_easy_setopt(c, CURLOPT_SSL_CTX_DATA, tls);
  }
  if (!cfg.username.empty()) {
    curl_easy_setopt(c, CURLOPT_USERNAME, cfg.username.c_str());
    switch (cfg.auth) {
      case config::SmtpAuth::kAny:
        curl_easy_setopt(c, CURLOPT_PASSWORD, cfg.password.c_str());
        curl_easy_setopt(c, CURLOPT_LOGIN_OPTIONS, "AUTH=PLAIN;AUTH=LOGIN");
        break;
      case config::SmtpAuth::kPlain:
        curl_easy_setopt(c, CURLOPT_PASSWORD, cfg.password.c_str());
        curl_easy_setopt(c, CURLOPT_LOGIN_OPTIONS, "AUTH=PLAIN");
        break;
      case config::SmtpAuth::kLogin:
        curl_easy_setopt(c, CURLOPT_PASSWORD, cfg.password.c_str());
        curl_easy_setopt(c, CURLOPT_LOGIN_OPTIONS, "AUTH=LOGIN");
        break;
      case config::SmtpAuth::kXoauth2:
        curl_easy_setopt(c, CURLOPT_XOAUTH2_BEARER, cfg.password.c_str());
        curl_easy_setopt(c, CURLOPT_LOGIN_OPTIONS, "AUTH=XOAUTH2");
        break;
    }
  }
  const CURLcode rc = curl_easy_perform(c);
  return CurlOutcome(c, rc, errbuf);
}

// The first `max` characters of `text` (UTF-8), with "…" in place of the rest when cut.
std::string ShortenSubject(std::string_view text, std::size_t max) {
  std::size_t chars = 0, i = 0, cut = std::string_view::npos;
  for (; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) continue;
    if (chars == max - 1) cut = i;
    if (++chars > max) break;
  }
  if (chars <= max) return std::string(text);
  return std::string(text.substr(0, cut)) + "\u2026";
}

}  // namespace

std::string EncodeHeaderWord(std::string_view text) {
  bool plain = true;
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c >= 0x7f || (c == '=' && plain)) plain = false;
  }
  // "Subject: " (9) + the value fits one line of kMaxLine.
  if (plain && text.size() + 9 <= kMaxLine) return std::string(text);
  // 42 bytes -> 56 base64 characters -> 68 with "=?UTF-8?B?" and "?=": after "Subject: " (9) or
  // the folding space (1), every line stays within kMaxLine.
  constexpr std::size_t kChunk = 42;
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
  msg += "Subject: " + EncodeHeaderWord(ShortenSubject(subject, kMaxSubjectChars)) + "\r\n";
  msg += "Date: " + Rfc5322Date(now) + "\r\n";
  msg += "Message-ID: <" + alert.idempotency_key + "@sakchy>\r\n";
  msg += "X-Sakchy-Alert-Id: " + alert.id + "\r\n";
  msg += "Auto-Submitted: auto-generated\r\n";  // RFC 3834: no auto-replies to it
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
  // The transfer blocks: it runs on TransferPool() and the result comes back to the caller's
  // executor (kept busy by a work guard meanwhile).
  auto initiation = [tls, timeout_ms](auto handler, config::EmailChannelConfig c, std::string rcpt,
                                      std::string msg) {
    auto ex = net::get_associated_executor(handler);
    auto work = net::make_work_guard(ex);
    auto run = [handler = std::move(handler), work = std::move(work), c = std::move(c),
                rcpt = std::move(rcpt), msg = std::move(msg), tls, timeout_ms]() mutable {
      SmtpResult result = Transfer(c, rcpt, msg, timeout_ms, tls);
      auto ex = work.get_executor();
      auto done = [handler = std::move(handler), result = std::move(result)]() mutable {
        std::move(handler)(std::move(result));
      };
      net::post(ex, std::move(done));
      work.reset();
    };
    net::post(TransferPool(), std::move(run));
  };
  co_return co_await net::async_initiate<decltype(net::use_awaitable), void(SmtpResult)>(
      initiation, net::use_awaitable, std::move(cfg), std::move(to), std::move(message));
}

}  // namespace sakchy::alerts

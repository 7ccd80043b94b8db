#pragma once
// A fake SMTP server with TLS on loopback (postfix's smtp-sink speaks no TLS), answering as RFC
// 5321/4954 servers do: implicit TLS from the first byte (RFC 8314) or STARTTLS, AUTH PLAIN,
// LOGIN and XOAUTH2 offered only over TLS and checked against the expected credentials (535
// otherwise), MAIL/RCPT/DATA (dot-unstuffed) and QUIT. One connection at a time, on its own
// thread. Thread safety: every method may be called from any thread.

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace sakchy::testing {

// One SMTP session as the server saw it.
struct SmtpSession {
  bool tls = false;                // the message was sent over TLS
  std::vector<std::string> helos;  // every EHLO argument
  std::string auth_mechanism;      // "PLAIN", "LOGIN", "XOAUTH2", "" without AUTH
  std::string user, secret;        // decoded credentials (password or bearer token)
  bool authenticated = false;
  std::string mail_from, rcpt_to;  // without the angle brackets
  std::string data;                // the message, dot-unstuffed, CRLF line ends
};

class SmtpTlsFake {
 public:
  enum class Mode { kImplicitTls, kStarttls };
  // Serves with the PEM certificate and key; AUTH succeeds for `user` with `secret`.
  SmtpTlsFake(Mode mode, const std::string& cert_file, const std::string& key_file,
              std::string user, std::string secret);
  ~SmtpTlsFake();
  SmtpTlsFake(const SmtpTlsFake&) = delete;
  SmtpTlsFake& operator=(const SmtpTlsFake&) = delete;

  std::uint16_t port() const { return port_; }
  // Sessions that ended with QUIT or a closed connection, oldest first.
  std::vector<SmtpSession> sessions() const;

 private:
  void Run();

  Mode mode_;
  std::string cert_file_, key_file_, user_, secret_;
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  std::vector<SmtpSession> sessions_;
  std::thread thread_;
};

}  // namespace sakchy::testing

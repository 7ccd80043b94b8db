#include "fakes/smtp_tls_fake.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <stdexcept>

namespace sakchy::testing {
namespace {

std::string Base64Decode(const std::string& in) {
  std::string out(in.size(), '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(in.data()),
                                static_cast<int>(in.size()));
  if (n < 0) return {};
  std::size_t size = static_cast<std::size_t>(n);
  for (auto it = in.rbegin(); it != in.rend() && *it == '='; ++it) --size;  // padding
  out.resize(size);
  return out;
}

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// One connection: plain until StartTls(), then TLS.
class Conn {
 public:
  Conn(int fd, SSL_CTX* ctx) : fd_(fd), ctx_(ctx) {}
  ~Conn() {
    if (ssl_) {
      SSL_shutdown(ssl_);
      SSL_free(ssl_);
    }
    close(fd_);
  }
  bool StartTls() {
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd_);
    return SSL_accept(ssl_) == 1;
  }
  bool tls() const { return ssl_ != nullptr; }
  bool Send(const std::string& s) {
    if (ssl_) return SSL_write(ssl_, s.data(), static_cast<int>(s.size())) > 0;
    return ::send(fd_, s.data(), s.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(s.size());
  }
  // One line without CRLF; false at the end of the connection.
  bool ReadLine(std::string& line) {
    for (;;) {
      const auto eol = buf_.find("\r\n");
      if (eol != std::string::npos) {
        line = buf_.substr(0, eol);
        buf_.erase(0, eol + 2);
        return true;
      }
      char chunk[4096];
      const int n = ssl_ ? SSL_read(ssl_, chunk, sizeof chunk)
                         : static_cast<int>(::recv(fd_, chunk, sizeof chunk, 0));
      if (n <= 0) return false;
      buf_.append(chunk, static_cast<std::size_t>(n));
    }
  }

 private:
  int fd_;
  SSL_CTX* ctx_;
  SSL* ssl_ = nullptr;
  std::string buf_;
};

}  // namespace

SmtpTlsFake::SmtpTlsFake(Mode mode, const std::string& cert_file, const std::string& key_file,
                         std::string user, std::string secret)
    : mode_(mode),
      cert_file_(cert_file),
      key_file_(key_file),
      user_(std::move(user)),
      secret_(std::move(secret)) {
  listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      listen(listen_fd_, 8) != 0) {
    throw std::runtime_error("smtp fake: cannot listen");
  }
  socklen_t len = sizeof addr;
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { Run(); });
}

SmtpTlsFake::~SmtpTlsFake() {
  stop_ = true;
  shutdown(listen_fd_, SHUT_RDWR);
  thread_.join();
  close(listen_fd_);
}

std::vector<SmtpSession> SmtpTlsFake::sessions() const {
  std::lock_guard<std::mutex> lock(mu_);
  return sessions_;
}

void SmtpTlsFake::Run() {
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(SSL_CTX_new(TLS_server_method()),
                                                        &SSL_CTX_free);
  if (SSL_CTX_use_certificate_file(ctx.get(), cert_file_.c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_use_PrivateKey_file(ctx.get(), key_file_.c_str(), SSL_FILETYPE_PEM) != 1) {
    return;
  }
  while (!stop_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    const int fd = accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) continue;
    Conn conn(fd, ctx.get());
    SmtpSession s;
    if (mode_ == Mode::kImplicitTls && !conn.StartTls()) continue;
    conn.Send("220 fake.example.org ESMTP\r\n");
    std::string line;
    while (conn.ReadLine(line)) {
      const std::string verb = Upper(line.substr(0, line.find(' ')));
      const std::string arg =
          line.find(' ') == std::string::npos ? "" : line.substr(line.find(' ') + 1);
      if (verb == "EHLO") {
        s.helos.push_back(arg);
        std::string reply = "250-fake.example.org\r\n";
        if (!conn.tls() && mode_ == Mode::kStarttls) reply += "250-STARTTLS\r\n";
        if (conn.tls()) reply += "250-AUTH PLAIN LOGIN XOAUTH2\r\n";
        conn.Send(reply + "250 8BITMIME\r\n");
      } else if (verb == "STARTTLS" && !conn.tls() && mode_ == Mode::kStarttls) {
        conn.Send("220 2.0.0 ready\r\n");
        if (!conn.StartTls()) break;
      } else if (verb == "AUTH" && conn.tls()) {
        const std::string mech = Upper(arg.substr(0, arg.find(' ')));
        std::string initial =
            arg.find(' ') == std::string::npos ? "" : arg.substr(arg.find(' ') + 1);
        s.auth_mechanism = mech;
        if (mech == "LOGIN") {
          std::string user_b64 = initial, pass_b64;
          if (user_b64.empty() && (!conn.Send("334 VXNlcm5hbWU6\r\n") || !conn.ReadLine(user_b64)))
            break;
          if (!conn.Send("334 UGFzc3dvcmQ6\r\n") || !conn.ReadLine(pass_b64)) break;
          s.user = Base64Decode(user_b64);
          s.secret = Base64Decode(pass_b64);
        } else if (mech == "PLAIN" || mech == "XOAUTH2") {
          if (initial.empty() && (!conn.Send("334 \r\n") || !conn.ReadLine(initial))) break;
          const std::string decoded = Base64Decode(initial);
          if (mech == "PLAIN") {  // authzid NUL authcid NUL password
            const auto a = decoded.find('\0');
            const auto b = decoded.find('\0', a + 1);
            if (a != std::string::npos && b != std::string::npos) {
              s.user = decoded.substr(a + 1, b - a - 1);
              s.secret = decoded.substr(b + 1);
            }
          } else {  // "user=" U ^A "auth=Bearer " T ^A ^A
            const auto u = decoded.find("user=");
            const auto t = decoded.find("auth=Bearer ");
            if (u != std::string::npos && t != std::string::npos) {
              s.user = decoded.substr(u + 5, decoded.find('\x01', u) - u - 5);
              s.secret = decoded.substr(t + 12, decoded.find('\x01', t) - t - 12);
            }
          }
        } else {
          conn.Send("504 5.5.4 unrecognized authentication type\r\n");
          continue;
        }
        s.authenticated = s.user == user_ && s.secret == secret_;
        conn.Send(s.authenticated ? "235 2.7.0 accepted\r\n"
                                  : "535 5.7.8 authentication credentials invalid\r\n");
      } else if (verb == "MAIL") {
        s.mail_from = arg.substr(arg.find('<') + 1, arg.find('>') - arg.find('<') - 1);
        conn.Send("250 2.1.0 ok\r\n");
      } else if (verb == "RCPT") {
        s.rcpt_to = arg.substr(arg.find('<') + 1, arg.find('>') - arg.find('<') - 1);
        conn.Send("250 2.1.5 ok\r\n");
      } else if (verb == "DATA") {
        conn.Send("354 end with .\r\n");
        std::string data_line;
        while (conn.ReadLine(data_line) && data_line != ".") {
          s.data += (data_line.starts_with("..") ? data_line.substr(1) : data_line) + "\r\n";
        }
        s.tls = conn.tls();
        conn.Send("250 2.0.0 queued\r\n");
      } else if (verb == "QUIT") {
        conn.Send("221 2.0.0 bye\r\n");
        break;
      } else if (verb == "RSET" || verb == "NOOP") {
        conn.Send("250 ok\r\n");
      } else {
        conn.Send("502 5.5.2 not implemented\r\n");
      }
    }
    std::lock_guard<std::mutex> lock(mu_);
    sessions_.push_back(std::move(s));
  }
}

}  // namespace sakchy::testing

#pragma once
// TLS for the HTTP listener (http.cc): the server context made from a certificate chain and a
// private key (PEM files), TLS 1.2 or newer only, and replaced as a whole on reload. OpenSSL
// stays inside service/src.

#include <boost/asio/ssl/context.hpp>

#include <memory>
#include <mutex>
#include <string>

#include "core/result.h"
#include "service/http.h"

namespace sakchy::service::internal {

// Thread safety: all methods may be called concurrently. Blocking: Create and Reload read files.
class TlsContexts {
 public:
  // Reads the files and checks that the key matches the certificate.
  [[nodiscard]] static Result<std::unique_ptr<TlsContexts>> Create(HttpTlsOptions options);
  // Reads the files again; on success new connections use the new certificate (open ones keep
  // theirs). On failure the current context keeps serving.
  [[nodiscard]] Status Reload();
  // The context for a new connection; it stays alive as long as the connection holds it.
  std::shared_ptr<boost::asio::ssl::context> Current() const;
  // "CN=..., expires 2027-01-01T00:00:00Z" of the current certificate, for logs.
  std::string Describe() const;

 private:
  explicit TlsContexts(HttpTlsOptions options) : options_(std::move(options)) {}

  const HttpTlsOptions options_;
  mutable std::mutex mu_;
  std::shared_ptr<boost::asio::ssl::context> current_;  // guarded by mu_
  std::string description_;                             // guarded by mu_
};

}  // namespace sakchy::service::internal

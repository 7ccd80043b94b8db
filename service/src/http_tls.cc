#include "http_tls.h"

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <ctime>
#include <fstream>

namespace sakchy::service::internal {

namespace ssl = boost::asio::ssl;

namespace {

// TLS 1.2 suites with forward secrecy and AEAD only (Mozilla "intermediate"); TLS 1.3 suites
// are OpenSSL's defaults, all of them strong.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

Error TlsError(const std::string& what, const boost::system::error_code& ec) {
  return Error{ErrorCode::kInvalidArgument, what + (ec ? ": " + ec.message() : std::string())};
}

bool Readable(const std::string& path) { return std::ifstream(path).good(); }

std::string CertificateSummary(X509* cert) {
  if (!cert) return "no certificate";
  std::string out;
  char cn[256] = {};
  if (X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn) > 0) {
    out = std::string("CN=") + cn;
  } else {
    out = "no CN";
  }
  std::tm tm{};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) == 1) {
    char when[32];
    std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    out += ", expires ";
    out += when;
    if (X509_cmp_current_time(X509_get0_notAfter(cert)) < 0) out += " (EXPIRED)";
  }
  return out;
}

Result<std::shared_ptr<ssl::context>> Load(const HttpTlsOptions& o, std::string* summary) {
  if (!Readable(o.cert_file)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "cannot read the TLS certificate file '" + o.cert_file + "'");
  }
  if (!Readable(o.key_file)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "cannot read the TLS key file '" + o.key_file + "'");
  }
  std::shared_ptr<ssl::context> ctx;
  try {
    ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  } catch (const std::exception& e) {
    return MakeError(ErrorCode::kInternal, std::string("cannot create a TLS context: ") + e.what());
  }
  SSL_CTX* native = ctx->native_handle();
  const int min_version = o.min_version == "1.3" ? TLS1_3_VERSION : TLS1_2_VERSION;
  boost::system::error_code ec;
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                       ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                       ssl::context::no_tlsv1_1 | ssl::context::single_dh_use,
                   ec);
  if (ec || SSL_CTX_set_min_proto_version(native, min_version) != 1 ||
      SSL_CTX_set_cipher_list(native, kTls12Ciphers) != 1) {
    return tl::unexpected(TlsError("cannot configure TLS", ec));
  }
  SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  // The key first: a certificate loaded after a key that does not match drops the key, and
  // the check below names both files.
  ctx->use_private_key_file(o.key_file, ssl::context::pem, ec);
  if (ec) return tl::unexpected(TlsError("invalid TLS private key '" + o.key_file + "'", ec));
  ctx->use_certificate_chain_file(o.cert_file, ec);
  if (ec) return tl::unexpected(TlsError("invalid TLS certificate chain '" + o.cert_file + "'", ec));
  if (SSL_CTX_check_private_key(native) != 1) {
    return MakeError(ErrorCode::kInvalidArgument, "the TLS key '" + o.key_file +
                                                      "' does not belong to the certificate '" +
                                                      o.cert_file + "'");
  }
  *summary = CertificateSummary(SSL_CTX_get0_certificate(native));
  return ctx;
}

}  // namespace

Result<std::unique_ptr<TlsContexts>> TlsContexts::Create(HttpTlsOptions options) {
  if (options.min_version != "1.2" && options.min_version != "1.3") {
    return MakeError(ErrorCode::kInvalidArgument,
                     "TLS min_version must be \"1.2\" or \"1.3\", not '" + options.min_version + "'");
  }
  std::unique_ptr<TlsContexts> out(new TlsContexts(std::move(options)));
  if (auto s = out->Reload(); !s) return tl::unexpected(s.error());
  return out;
}

Status TlsContexts::Reload() {
  std::string summary;
  auto ctx = Load(options_, &summary);
  if (!ctx) return tl::unexpected(ctx.error());
  std::lock_guard lock(mu_);
  current_ = std::move(*ctx);
  description_ = std::move(summary);
  return OkStatus();
}

std::shared_ptr<ssl::context> TlsContexts::Current() const {
  std::lock_guard lock(mu_);
  return current_;
}

std::string TlsContexts::Describe() const {
  std::lock_guard lock(mu_);
  return description_;
}

}  // namespace sakchy::service::internal

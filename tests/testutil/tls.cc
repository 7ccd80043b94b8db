#include "testutil/tls.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/socket.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>

#include <atomic>
#include <cstdio>
#include <memory>
#include <stdexcept>

namespace sakchy::testing {

namespace net = boost::asio;
namespace ssl = net::ssl;

namespace {

std::string OpenSslError(const char* what) {
  char buf[256];
  ERR_error_string_n(ERR_get_error(), buf, sizeof buf);
  return std::string(what) + ": " + buf;
}

}  // namespace

TestCertificate MakeSelfSignedCertificate(const std::string& dir, const std::string& name,
                                          const std::string& common_name) {
  static std::atomic<long> serial{1};
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"), EVP_PKEY_free);
  if (!key) throw std::runtime_error(OpenSslError("EVP_EC_gen"));
  std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), X509_free);
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial++);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 86400);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* subject = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                             0);
  X509_set_issuer_name(cert.get(), subject);
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) {
    throw std::runtime_error(OpenSslError("X509_sign"));
  }
  TestCertificate out{dir + "/" + name + ".crt", dir + "/" + name + ".key"};
  // Written to a temporary name and renamed, so a reader never sees half a file.
  auto write = [](const std::string& path, auto&& writer) {
    const std::string tmp = path + ".tmp";
    FILE* f = std::fopen(tmp.c_str(), "w");
    if (!f) throw std::runtime_error("cannot write " + tmp);
    const bool ok = writer(f) == 1;
    std::fclose(f);
    if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
      throw std::runtime_error("cannot write " + path);
    }
  };
  write(out.cert_file, [&cert](FILE* f) { return PEM_write_X509(f, cert.get()); });
  write(out.key_file, [&key](FILE* f) {
    return PEM_write_PrivateKey(f, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  });
  return out;
}

TlsResult TlsExchange(std::uint16_t port, const std::string& request, int min_version,
                      int max_version) {
  TlsResult out;
  net::io_context io;
  ssl::context ctx(ssl::context::tls_client);
  ctx.set_verify_mode(ssl::verify_none);
  if (min_version != 0 && min_version < TLS1_2_VERSION) {
    // Old versions need the lowest security level even to be offered.
    SSL_CTX_set_security_level(ctx.native_handle(), 0);
    SSL_CTX_set_cipher_list(ctx.native_handle(), "DEFAULT@SECLEVEL=0");
  }
  if (min_version != 0) SSL_CTX_set_min_proto_version(ctx.native_handle(), min_version);
  if (max_version != 0) SSL_CTX_set_max_proto_version(ctx.native_handle(), max_version);
  ssl::stream<net::ip::tcp::socket> stream(io, ctx);
  boost::system::error_code ec;
  stream.next_layer().connect({net::ip::make_address("127.0.0.1"), port}, ec);
  if (ec) {
    out.error = "connect: " + ec.message();
    return out;
  }
  timeval tv{10, 0};
  ::setsockopt(stream.next_layer().native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  stream.handshake(ssl::stream_base::client, ec);
  if (ec) {
    out.error = "handshake: " + ec.message();
    return out;
  }
  out.connected = true;
  out.protocol = SSL_get_version(stream.native_handle());
  if (X509* peer = SSL_get1_peer_certificate(stream.native_handle())) {
    char cn[256] = {};
    X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, cn, sizeof cn);
    out.peer_cn = cn;
    X509_free(peer);
  }
  if (request.empty()) return out;
  net::write(stream, net::buffer(request), ec);
  if (ec) {
    out.error = "write: " + ec.message();
    return out;
  }
  char buf[4096];
  for (;;) {
    const std::size_t n = stream.read_some(net::buffer(buf), ec);
    if (ec) break;
    out.response.append(buf, n);
  }
  return out;
}

}  // namespace sakchy::testing

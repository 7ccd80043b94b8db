#pragma once
// TLS for tests: self-signed certificates made at test time (OpenSSL), and a blocking HTTPS
// client that reports the server's certificate.

#include <cstdint>
#include <string>

namespace sakchy::testing {

struct TestCertificate {
  std::string cert_file;  // PEM
  std::string key_file;   // PEM, unencrypted
};

// Writes `<dir>/<name>.crt` and `<dir>/<name>.key`: an EC P-256 key and a self-signed
// certificate for `common_name` (valid from a minute ago for a day).
TestCertificate MakeSelfSignedCertificate(const std::string& dir, const std::string& name,
                                          const std::string& common_name);

struct TlsResult {
  bool connected = false;  // the TLS handshake succeeded
  std::string error;       // why not
  std::string peer_cn;     // CN of the certificate the server presented
  std::string protocol;    // "TLSv1.2", "TLSv1.3"
  std::string response;    // everything read after sending the request, until the server closed
};

// Connects to 127.0.0.1:`port` over TLS (no certificate verification: tests check `peer_cn`),
// offering only versions `min_version`..`max_version` (OpenSSL constants, e.g. TLS1_2_VERSION;
// 0 = library default), sends `request` verbatim when it is not empty and reads to the end.
TlsResult TlsExchange(std::uint16_t port, const std::string& request, int min_version = 0,
                      int max_version = 0);

}  // namespace sakchy::testing

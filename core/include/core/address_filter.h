#pragma once
// Which network addresses the service may connect to on behalf of data it was given (webhook
// URLs of contacts, pull sources and their redirects): no loopback, private, link-local,
// unspecified, multicast, reserved or cloud-metadata address unless an explicit allow-list in the
// config names it. The callers resolve a host, then Check() every address they would connect to,
// and connect only to those allowed (so a DNS answer that changes between a check and the connect
// cannot slip through: the checked address is the one connected to).
//
// Pure: no I/O, no resolver. Thread safety: an AddressFilter is immutable once built.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace sakchy {

// An IP address as 16 bytes; IPv4 as the IPv4-mapped IPv6 address ::ffff:a.b.c.d.
using IpBytes = std::array<std::uint8_t, 16>;

struct IpNetwork {
  IpBytes base{};
  int prefix = 128;  // bits of `base` that must match (IPv4 /n is stored as /(96 + n))
};

// "10.0.0.0/8", "127.0.0.1/32", "::1/128", "fc00::/7"; a bare address is the one address.
// kInvalidArgument with a message naming the problem.
[[nodiscard]] Result<IpNetwork> ParseIpNetwork(std::string_view cidr);

// An IP literal as a URL or resolver would read it: IPv6 with or without brackets, and IPv4 in
// every form inet_aton(3) accepts (127.0.0.1, 127.1, 0x7f000001, 2130706433, 0177.0.0.1), since
// that is what getaddrinfo makes of such a host. std::nullopt for a name.
std::optional<IpBytes> ParseIpLiteral(std::string_view host);

// Canonical text: "127.0.0.1" for IPv4 (also when mapped), RFC 5952 for IPv6.
std::string FormatIp(const IpBytes& address);

// Why `address` is not a public unicast address ("loopback", "private", "link-local",
// "unspecified", "multicast", "reserved", "shared (CGNAT)", "unique-local"), looking through
// IPv4-mapped, IPv4-compatible and NAT64 (64:ff9b::/96) forms; std::nullopt when it is public.
std::optional<std::string_view> InternalAddressKind(const IpBytes& address);

class AddressFilter {
 public:
  // Refuses every internal address.
  AddressFilter() = default;
  // Also allows the addresses within `allowed` (config: allow_private_targets).
  explicit AddressFilter(std::vector<IpNetwork> allowed) : allowed_(std::move(allowed)) {}
  // From CIDR texts; kInvalidArgument naming the first bad entry.
  [[nodiscard]] static Result<AddressFilter> FromCidrs(const std::vector<std::string>& cidrs);

  // std::nullopt when a connection to `address` is allowed, else the reason, e.g.
  // "127.0.0.1 is a loopback address (not in allow_private_targets)".
  std::optional<std::string> Check(const IpBytes& address) const;
  // For a URL's host before resolution: an IP literal is checked as above, "localhost" and names
  // under ".localhost" as loopback; any other name passes here and is checked once resolved.
  std::optional<std::string> CheckHost(std::string_view host) const;

  const std::vector<IpNetwork>& allowed() const { return allowed_; }

 private:
  std::vector<IpNetwork> allowed_;
};

}  // namespace sakchy

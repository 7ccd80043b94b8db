#include "core/address_filter.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace sakchy {
namespace {

constexpr IpBytes kMappedPrefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0};

IpBytes FromV4(std::uint32_t host_order) {
  IpBytes b = kMappedPrefix;
  b[12] = static_cast<std::uint8_t>(host_order >> 24);
  b[13] = static_cast<std::uint8_t>(host_order >> 16);
  b[14] = static_cast<std::uint8_t>(host_order >> 8);
  b[15] = static_cast<std::uint8_t>(host_order);
  return b;
}

bool IsMapped(const IpBytes& b) { return std::equal(b.begin(), b.begin() + 12, kMappedPrefix.begin()); }

bool PrefixMatches(const IpBytes& a, const IpBytes& base, int prefix) {
  for (int i = 0; i < 16 && prefix > 0; ++i, prefix -= 8) {
    const int bits = std::min(prefix, 8);
    const std::uint8_t mask = static_cast<std::uint8_t>(0xFF << (8 - bits));
    if ((a[i] & mask) != (base[i] & mask)) return false;
  }
  return true;
}

std::optional<std::string_view> V4Kind(std::uint8_t a, std::uint8_t b, std::uint8_t c,
                                       std::uint8_t d) {
  if (a == 0) return b == 0 && c == 0 && d == 0 ? "unspecified" : "reserved";
  if (a == 127) return "loopback";
  if (a == 10 || (a == 172 && (b & 0xF0) == 16) || (a == 192 && b == 168)) return "private";
  if (a == 169 && b == 254) return "link-local";  // also the cloud metadata address
  if (a == 100 && (b & 0xC0) == 64) return "shared (CGNAT)";
  if (a == 192 && b == 0 && c == 0) return "reserved";  // IETF protocol assignments
  if (a == 198 && (b & 0xFE) == 18) return "reserved";  // benchmarking
  if (a >= 224 && a <= 239) return "multicast";
  if (a >= 240) return "reserved";  // also the broadcast address
  return std::nullopt;
}

bool IsAllHex(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char ch) {
    return std::isxdigit(static_cast<unsigned char>(ch)) != 0 || ch == 'x' || ch == 'X' ||
           ch == '.';
  });
}

}  // namespace

std::optional<IpBytes> ParseIpLiteral(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty() || host.size() > 64) return std::nullopt;
  const std::string text(host);
  if (text.find(':') != std::string::npos) {
    in6_addr a6{};
    if (inet_pton(AF_INET6, text.c_str(), &a6) != 1) return std::nullopt;
    IpBytes b;
    std::copy(a6.s6_addr, a6.s6_addr + 16, b.begin());
    return b;
  }
  // Only digits, hex digits, x and dots: what inet_aton reads (it would also stop at a space).
  if (!IsAllHex(text) || std::isdigit(static_cast<unsigned char>(text[0])) == 0) {
    return std::nullopt;
  }
  in_addr a4{};
  if (inet_aton(text.c_str(), &a4) == 0) return std::nullopt;
  return FromV4(ntohl(a4.s_addr));
}

std::string FormatIp(const IpBytes& b) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (IsMapped(b)) {
    in_addr a4{};
    std::copy(b.begin() + 12, b.end(), reinterpret_cast<std::uint8_t*>(&a4.s_addr));
    inet_ntop(AF_INET, &a4, buf, sizeof(buf));
  } else {
    in6_addr a6{};
    std::copy(b.begin(), b.end(), a6.s6_addr);
    inet_ntop(AF_INET6, &a6, buf, sizeof(buf));
  }
  return buf;
}

std::optional<std::string_view> InternalAddressKind(const IpBytes& b) {
  const bool zero96 = std::all_of(b.begin(), b.begin() + 12, [](std::uint8_t x) { return x == 0; });
  // ::ffff:a.b.c.d (mapped), ::a.b.c.d (compatible, deprecated) and 64:ff9b::a.b.c.d (NAT64)
  // reach the IPv4 address they embed.
  static constexpr IpBytes kNat64 = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  if (IsMapped(b) || PrefixMatches(b, kNat64, 96) || (zero96 && (b[12] | b[13]) != 0)) {
    return V4Kind(b[12], b[13], b[14], b[15]);
  }
  if (zero96) {
    const bool one = b[12] == 0 && b[13] == 0 && b[14] == 0 && b[15] == 1;
    const bool zero = b[12] == 0 && b[13] == 0 && b[14] == 0 && b[15] == 0;
    if (one) return "loopback";
    if (zero) return "unspecified";
    return "reserved";  // ::0.0.x.y
  }
  if (b[0] == 0xfe && (b[1] & 0xC0) == 0x80) return "link-local";    // fe80::/10
  if (b[0] == 0xfe && (b[1] & 0xC0) == 0xC0) return "reserved";      // fec0::/10 (site-local)
  if ((b[0] & 0xFE) == 0xfc) return "unique-local";                  // fc00::/7
  if (b[0] == 0xff) return "multicast";                              // ff00::/8
  if (b[0] == 0x01 && b[1] == 0 && b[2] == 0 && b[3] == 0) return "reserved";  // discard 100::/64
  if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8) return "reserved";  // doc
  return std::nullopt;
}

Result<IpNetwork> ParseIpNetwork(std::string_view cidr) {
  const auto slash = cidr.find('/');
  const std::string_view addr = cidr.substr(0, slash);
  if (addr.find(':') == std::string_view::npos &&
      std::count(addr.begin(), addr.end(), '.') != 3) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "'" + std::string(cidr) + "' is not an address or CIDR range "
                     "(e.g. 127.0.0.1/32, 10.0.0.0/8, ::1/128)");
  }
  auto ip = ParseIpLiteral(addr);
  if (!ip) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "'" + std::string(cidr) + "' is not an address or CIDR range "
                     "(e.g. 127.0.0.1/32, 10.0.0.0/8, ::1/128)");
  }
  const bool v4 = addr.find(':') == std::string_view::npos;
  IpNetwork net{*ip, 128};
  if (slash != std::string_view::npos) {
    const std::string_view bits = cidr.substr(slash + 1);
    int n = -1;
    auto [ptr, ec] = std::from_chars(bits.data(), bits.data() + bits.size(), n);
    const int max = v4 ? 32 : 128;
    if (bits.empty() || ec != std::errc() || ptr != bits.data() + bits.size() || n < 0 ||
        n > max) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "'" + std::string(cidr) + "': the prefix length must be 0 to " +
                           std::to_string(max));
    }
    net.prefix = v4 ? 96 + n : n;
  }
  return net;
}

Result<AddressFilter> AddressFilter::FromCidrs(const std::vector<std::string>& cidrs) {
  std::vector<IpNetwork> nets;
  for (const auto& c : cidrs) {
    auto n = ParseIpNetwork(c);
    if (!n) return tl::unexpected(n.error());
    nets.push_back(*n);
  }
  return AddressFilter(std::move(nets));
}

std::optional<std::string> AddressFilter::Check(const IpBytes& address) const {
  auto kind = InternalAddressKind(address);
  if (!kind) return std::nullopt;
  for (const auto& n : allowed_) {
    if (PrefixMatches(address, n.base, n.prefix)) return std::nullopt;
  }
  return FormatIp(address) + " is a " + std::string(*kind) +
         " address (not in allow_private_targets)";
}

std::optional<std::string> AddressFilter::CheckHost(std::string_view host) const {
  if (auto ip = ParseIpLiteral(host)) return Check(*ip);
  std::string lower(host);
  for (auto& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  while (!lower.empty() && lower.back() == '.') lower.pop_back();
  if (lower == "localhost" || lower.ends_with(".localhost")) {
    // RFC 6761: always loopback, whatever a resolver says.
    IpBytes loopback = FromV4(0x7F000001);
    if (auto why = Check(loopback)) return std::string(host) + " is a loopback name";
  }
  return std::nullopt;
}

}  // namespace sakchy

#pragma once
// A blocking HTTP/1.1 client for tests (Beast), one connection per request.

#include <cstdint>
#include <map>
#include <string>

namespace sakchy::testing {

struct HttpResult {
  int status = 0;  // 0 when the connection failed
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string error;                           // connection error, if any
  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

HttpResult HttpCall(std::uint16_t port, const std::string& method, const std::string& target,
                    const std::string& body = "",
                    const std::map<std::string, std::string>& headers = {});

}  // namespace sakchy::testing

#include "ingest/sources/redact.h"

namespace sakchy::ingest::sources {

std::string RedactSecrets(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    if (text.substr(i, 4) == "/bot") {
      const std::size_t end = text.find_first_of("/?# ", i + 4);
      if (end != std::string_view::npos && end > i + 4 && text[end] == '/') {
        out += "/bot<redacted>";
        i = end;
        continue;
      }
    }
    if (text.substr(i, 13) == "access_token=") {
      out += "access_token=<redacted>";
      i = text.find_first_of("&# ", i + 13);
      if (i == std::string_view::npos) i = text.size();
      continue;
    }
    out += text[i++];
  }
  return out;
}

}  // namespace sakchy::ingest::sources

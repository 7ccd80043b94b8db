#pragma once
// Text inside XML or HTML markup (CAP alerts, the Atom feed of public answers, the problem
// pages). Header-only; private to service/.

#include <string>
#include <string_view>

namespace sakchy::service {

// Appends `text` with the five markup characters escaped. Characters XML 1.0 forbids (C0
// controls but tab, newline and carriage return) are dropped.
inline void AppendXmlEscaped(std::string& out, std::string_view text) {
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r') break;
        out += c;
    }
  }
}

}  // namespace sakchy::service

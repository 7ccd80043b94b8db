#include "model_text.h"

#include <unicode/uchar.h>

#include <cstdint>

#include "core/utf8.h"

namespace sakchy::classifier::internal {
namespace {

// The code point at `*pos` (advanced past it); a negative value for an ill-formed byte (one
// byte consumed).
UChar32 Next(std::string_view text, std::size_t* pos) {
  char32_t c = 0;
  const std::size_t len = DecodeUtf8Sequence(text, *pos, c);
  if (len == 0) {
    ++*pos;
    return -1;
  }
  *pos += len;
  return static_cast<UChar32>(c);
}

bool IsWordChar(UChar32 c) {
  if (c < 0x80) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  }
  return u_isalnum(c) || (U_GET_GC_MASK(c) & U_GC_M_MASK) != 0;
}

bool IsSpace(UChar32 c) { return c == ' ' || (c >= '\t' && c <= '\r') || u_isUWhiteSpace(c); }

void AppendFolded(UChar32 c, std::string& out) {
  if (c < 0x80) {
    out += static_cast<char>(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
    return;
  }
  AppendUtf8(out, static_cast<char32_t>(u_foldCase(c, U_FOLD_CASE_DEFAULT)));
}

bool StartsUrl(std::string_view rest) {
  auto starts = [&](std::string_view p) {
    if (rest.size() < p.size()) return false;
    for (std::size_t i = 0; i < p.size(); ++i) {
      char c = rest[i];
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + ('a' - 'A'));
      if (c != p[i]) return false;
    }
    return true;
  };
  return starts("http://") || starts("https://") || starts("www.");
}

}  // namespace

bool NextModelToken(std::string_view text, std::size_t* pos, std::string& token) {
  token.clear();
  while (*pos < text.size()) {
    const std::size_t start = *pos;
    const UChar32 c = Next(text, pos);
    if (c < 0) continue;
    if ((c == 'h' || c == 'H' || c == 'w' || c == 'W') &&
        StartsUrl(text.substr(start))) {
      while (*pos < text.size()) {
        const std::size_t here = *pos;
        const UChar32 d = Next(text, pos);
        if (d >= 0 && IsSpace(d)) {
          *pos = here;
          break;
        }
      }
      token = "url";
      return true;
    }
    if (c == '@' && *pos < text.size()) {
      std::size_t after = *pos;
      const UChar32 d = Next(text, &after);
      if (d == '_' || (d >= 0 && IsWordChar(d))) {
        *pos = after;
        while (*pos < text.size()) {
          const std::size_t here = *pos;
          const UChar32 e = Next(text, pos);
          if (e != '_' && (e < 0 || !IsWordChar(e))) {
            *pos = here;
            break;
          }
        }
        token = "@user";
        return true;
      }
    }
    if (c == '?' || c == '!') {
      while (*pos < text.size() && text[*pos] == static_cast<char>(c)) ++*pos;
      token = static_cast<char>(c);
      return true;
    }
    if (IsWordChar(c)) {
      AppendFolded(c, token);
      while (*pos < text.size()) {
        const std::size_t here = *pos;
        const UChar32 d = Next(text, pos);
        if (d < 0 || !IsWordChar(d)) {
          *pos = here;
          break;
        }
        AppendFolded(d, token);
      }
      return true;
    }
  }
  return false;
}

std::string ModelText(std::string_view text) {
  std::string out;
  std::string token;
  ForEachModelToken(text, token, [&out](std::string_view t) {
    if (!out.empty()) out += ' ';
    out += t;
  });
  return out;
}

}  // namespace sakchy::classifier::internal

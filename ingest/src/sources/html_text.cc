#include "ingest/sources/html_text.h"

#include <array>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <ctime>
#include <string_view>
#include <utility>

#include "core/utf8.h"

namespace sakchy::ingest::sources {
namespace {

constexpr std::array<std::pair<std::string_view, std::uint32_t>, 33> kNamedEntities = {{
    {"amp", '&'},      {"lt", '<'},        {"gt", '>'},        {"quot", '"'},
    {"apos", '\''},    {"nbsp", 0xA0},     {"ndash", 0x2013},  {"mdash", 0x2014},
    {"hellip", 0x2026}, {"laquo", 0xAB},   {"raquo", 0xBB},    {"lsquo", 0x2018},
    {"rsquo", 0x2019}, {"ldquo", 0x201C},  {"rdquo", 0x201D},  {"bdquo", 0x201E},
    {"sbquo", 0x201A}, {"copy", 0xA9},     {"reg", 0xAE},      {"trade", 0x2122},
    {"euro", 0x20AC},  {"bull", 0x2022},   {"middot", 0xB7},   {"deg", 0xB0},
    {"shy", 0xAD},     {"times", 0xD7},    {"minus", 0x2212},  {"thinsp", 0x2009},
    {"ensp", 0x2002},  {"emsp", 0x2003},   {"zwnj", 0x200C},   {"zwj", 0x200D},
    {"numero", 0x2116},
}};

// Decodes one reference starting at text[i] == '&'. Returns the consumed length, 0 if none.
std::size_t DecodeOne(std::string_view text, std::size_t i, std::string& out) {
  const std::size_t semi = text.find(';', i + 1);
  if (semi == std::string_view::npos || semi - i > 12) return 0;
  std::string_view name = text.substr(i + 1, semi - i - 1);
  if (name.empty()) return 0;
  if (name[0] == '#') {
    std::string_view digits = name.substr(1);
    int base = 10;
    if (!digits.empty() && (digits[0] == 'x' || digits[0] == 'X')) {
      base = 16;
      digits.remove_prefix(1);
    }
    std::uint32_t cp = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), cp, base);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size()) return 0;
    AppendUtf8(out, cp == 0 ? 0xFFFD : cp);  // &#0; is not a character
    return semi - i + 1;
  }
  for (const auto& [entity, cp] : kNamedEntities) {
    if (entity == name) {
      AppendUtf8(out, cp);
      return semi - i + 1;
    }
  }
  return 0;
}

// Length of a valid UTF-8 sequence at s[i], or 0.
std::size_t Utf8Length(std::string_view s, std::size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  std::size_t n = 0;
  std::uint32_t cp = 0;
  if (c < 0x80) return 1;
  if ((c & 0xE0) == 0xC0) {
    n = 2;
    cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    n = 3;
    cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    n = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    const auto cc = static_cast<unsigned char>(s[i + k]);
    if ((cc & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (cc & 0x3F);
  }
  if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
      cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    return 0;
  }
  return n;
}

bool IsBlockTag(std::string_view name) {
  static constexpr std::string_view kBlocks[] = {
      "br", "p", "div", "li", "ul", "ol", "tr", "td", "th", "table", "h1", "h2", "h3", "h4",
      "h5", "h6", "blockquote", "pre", "hr", "section", "article", "header", "footer", "img"};
  for (auto b : kBlocks) {
    if (b == name) return true;
  }
  return false;
}

std::string LowerAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::string DecodeEntities(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    if (text[i] == '&') {
      if (const std::size_t n = DecodeOne(text, i, out); n > 0) {
        i += n;
        continue;
      }
    }
    out += text[i++];
  }
  return out;
}

std::string CollapseWhitespace(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool pending_space = false;
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
      pending_space = true;
      ++i;
      continue;
    }
    if (c == 0xC2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) == 0xA0) {
      pending_space = true;  // U+00A0 no-break space
      i += 2;
      continue;
    }
    if (c < 0x20 || c == 0x7F) {
      ++i;  // other control characters are dropped, and neither end nor start a word
      continue;
    }
    const std::size_t n = Utf8Length(text, i);
    if (pending_space && !out.empty()) out += ' ';
    pending_space = false;
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(text.substr(i, n));
      i += n;
    }
  }
  return out;
}

std::string HtmlToText(std::string_view html) {
  std::string raw;
  raw.reserve(html.size());
  std::string skip_until;  // "</script" or "</style" while inside one
  for (std::size_t i = 0; i < html.size();) {
    const char c = html[i];
    if (!skip_until.empty()) {
      const std::size_t end = LowerAscii(html.substr(i)).find(skip_until);
      if (end == std::string::npos) break;
      i += end;
      skip_until.clear();
      continue;
    }
    if (c == '<') {
      if (html.substr(i, 4) == "<!--") {
        const std::size_t end = html.find("-->", i + 4);
        i = end == std::string_view::npos ? html.size() : end + 3;
        continue;
      }
      // A tag starts with a letter, '/', '!' or '?'; otherwise '<' is text.
      const char next = i + 1 < html.size() ? html[i + 1] : '\0';
      if (!(std::isalpha(static_cast<unsigned char>(next)) || next == '/' || next == '!' ||
            next == '?')) {
        raw += '<';
        ++i;
        continue;
      }
      // Find the end of the tag, honouring quoted attribute values.
      std::size_t j = i + 1;
      char quote = '\0';
      for (; j < html.size(); ++j) {
        if (quote != '\0') {
          if (html[j] == quote) quote = '\0';
        } else if (html[j] == '"' || html[j] == '\'') {
          quote = html[j];
        } else if (html[j] == '>') {
          break;
        }
      }
      std::string_view tag = html.substr(i + 1, j - i - 1);
      const bool closing = !tag.empty() && tag[0] == '/';
      if (closing) tag.remove_prefix(1);
      std::size_t name_end = 0;
      while (name_end < tag.size() && std::isalnum(static_cast<unsigned char>(tag[name_end]))) {
        ++name_end;
      }
      const std::string name = LowerAscii(tag.substr(0, name_end));
      if (!closing && (name == "script" || name == "style")) skip_until = "</" + name;
      if (IsBlockTag(name)) raw += ' ';
      i = j < html.size() ? j + 1 : html.size();
      continue;
    }
    raw += c;
    ++i;
  }
  return CollapseWhitespace(DecodeEntities(raw));
}

std::optional<TimeMs> ParseRfc822(std::string_view text) {
  // Tokenise on spaces and commas.
  std::vector<std::string_view> tok;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == ',' || text[i] == '\t')) ++i;
    const std::size_t start = i;
    while (i < text.size() && text[i] != ' ' && text[i] != ',' && text[i] != '\t') ++i;
    if (i > start) tok.push_back(text.substr(start, i - start));
  }
  if (!tok.empty() && std::isalpha(static_cast<unsigned char>(tok[0][0]))) {
    tok.erase(tok.begin());  // weekday
  }
  if (tok.size() < 4) return std::nullopt;
  auto to_int = [](std::string_view s, int& v) {
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    return !s.empty() && ec == std::errc() && end == s.data() + s.size();
  };
  int day = 0, year = 0;
  if (!to_int(tok[0], day) || day < 1 || day > 31) return std::nullopt;
  static constexpr std::string_view kMonths[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                                 "jul", "aug", "sep", "oct", "nov", "dec"};
  const std::string mon = LowerAscii(tok[1].substr(0, 3));
  int month = -1;
  for (int m = 0; m < 12; ++m) {
    if (kMonths[m] == mon) month = m;
  }
  if (month < 0) return std::nullopt;
  if (!to_int(tok[2], year)) return std::nullopt;
  if (tok[2].size() == 2) year += year < 50 ? 2000 : 1900;
  if (year < 1970 || year > 9999) return std::nullopt;
  int hh = 0, mm = 0, ss = 0;
  const std::string_view hms = tok[3];
  if (hms.size() != 5 && hms.size() != 8) return std::nullopt;
  if (hms[2] != ':' || !to_int(hms.substr(0, 2), hh) || !to_int(hms.substr(3, 2), mm)) {
    return std::nullopt;
  }
  if (hms.size() == 8 && (hms[5] != ':' || !to_int(hms.substr(6, 2), ss))) return std::nullopt;
  if (hh > 23 || mm > 59 || ss > 60) return std::nullopt;
  int offset_min = 0;
  if (tok.size() >= 5) {
    const std::string_view z = tok[4];
    if ((z[0] == '+' || z[0] == '-') && z.size() == 5) {
      int hhmm = 0;
      if (!to_int(z.substr(1), hhmm)) return std::nullopt;
      offset_min = (hhmm / 100) * 60 + hhmm % 100;
      if (z[0] == '-') offset_min = -offset_min;
    } else {
      const std::string zone = LowerAscii(z);
      static constexpr std::pair<std::string_view, int> kZones[] = {
          {"ut", 0},       {"utc", 0},      {"gmt", 0},      {"z", 0},
          {"est", -300},   {"edt", -240},   {"cst", -360},   {"cdt", -300},
          {"mst", -420},   {"mdt", -360},   {"pst", -480},   {"pdt", -420}};
      bool found = false;
      for (const auto& [name, off] : kZones) {
        if (name == zone) {
          offset_min = off;
          found = true;
        }
      }
      if (!found && !(zone.size() == 1 && std::isalpha(static_cast<unsigned char>(zone[0])))) {
        return std::nullopt;  // single-letter military zones are treated as UTC (RFC 2822)
      }
    }
  }
  // Days from civil (Howard Hinnant), no time zone database needed.
  const int m1 = month + 1;  // 1..12
  const int y = m1 <= 2 ? year - 1 : year;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned mp = static_cast<unsigned>((m1 + 9) % 12);
  const unsigned doy = (153 * mp + 2) / 5 + static_cast<unsigned>(day) - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const std::int64_t days = static_cast<std::int64_t>(era) * 146097 + doe - 719468;
  const std::int64_t secs = days * 86400 + hh * 3600 + mm * 60 + ss - offset_min * 60;
  return secs * 1000;
}

}  // namespace sakchy::ingest::sources

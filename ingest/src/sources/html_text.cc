#include "ingest/sources/html_text.h"

#include <array>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <ctime>
#include <string_view>
#include <utility>

#include <libxml/HTMLparser.h>
#include <libxml/parser.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <memory>
#include <mutex>

#include "core/utf8.h"

namespace sakchy::ingest::sources {
namespace {

// Length of the well-formed UTF-8 sequence at s[i], or 0 (core's one decoder).
std::size_t SequenceLength(std::string_view s, std::size_t i) {
  char32_t cp = 0;
  return DecodeUtf8Sequence(s, i, cp);
}

struct NamedEntity {
  std::string_view name;  // without '&' and ';'
  std::string_view text;  // UTF-8
};

// Every HTML5 named character reference (WHATWG HTML), sorted by name.
constexpr NamedEntity kNamedEntities[] = {
#include "html_entities.inc"
};

const NamedEntity* FindEntity(std::string_view name) {
  const auto* it = std::lower_bound(
      std::begin(kNamedEntities), std::end(kNamedEntities), name,
      [](const NamedEntity& e, std::string_view n) { return e.name < n; });
  return it != std::end(kNamedEntities) && it->name == name ? it : nullptr;
}

// The longest name is 31 characters ("CounterClockwiseContourIntegral").
constexpr std::size_t kMaxReference = 40;

// The code point of a numeric reference's digits ("1054", "x41"); U+FFFD for 0, surrogates and
// values above U+10FFFF; std::nullopt when malformed.
std::optional<std::uint32_t> NumericReference(std::string_view digits) {
  int base = 10;
  if (!digits.empty() && (digits[0] == 'x' || digits[0] == 'X')) {
    base = 16;
    digits.remove_prefix(1);
  }
  std::uint32_t cp = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), cp, base);
  if (digits.empty() || end != digits.data() + digits.size()) return std::nullopt;
  if (ec != std::errc() || cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    return 0xFFFD;
  }
  return cp;
}

// Decodes one reference starting at text[i] == '&'. Returns the consumed length, 0 if none.
std::size_t DecodeOne(std::string_view text, std::size_t i, std::string& out) {
  const std::size_t semi = text.find(';', i + 1);
  if (semi == std::string_view::npos || semi - i > kMaxReference) return 0;
  std::string_view name = text.substr(i + 1, semi - i - 1);
  if (name.empty()) return 0;
  if (name[0] == '#') {
    const auto cp = NumericReference(name.substr(1));
    if (!cp) return 0;
    AppendUtf8(out, *cp);
    return semi - i + 1;
  }
  if (const NamedEntity* e = FindEntity(name)) {
    out.append(e->text);
    return semi - i + 1;
  }
  return 0;
}

// The HTML with every reference libxml2 would get wrong rewritten as numeric references (which
// it decodes right): named ones it does not know (it knows HTML 4's 253 of HTML5's 2,125) and
// numeric ones that are no character. Invalid UTF-8 becomes U+FFFD and NUL is dropped, so the
// parser never falls back to another encoding.
std::string PrepareForLibxml(std::string_view html) {
  std::string out;
  out.reserve(html.size() + 16);
  char buf[16];
  for (std::size_t i = 0; i < html.size();) {
    const char c = html[i];
    if (c == '&') {
      std::string decoded;
      if (const std::size_t n = DecodeOne(html, i, decoded); n > 0) {
        for (std::size_t k = 0; k < decoded.size();) {  // valid UTF-8: from our tables
          const char32_t cp = DecodeUtf8(decoded, k);
          std::snprintf(buf, sizeof buf, "&#x%X;", static_cast<unsigned>(cp));
          out += buf;
        }
        i += n;
        continue;
      }
      out += c;
      ++i;
      continue;
    }
    if (c == '\0') {
      ++i;
      continue;
    }
    const std::size_t n = SequenceLength(html, i);
    if (n == 0) {
      AppendUtf8(out, kUtf8Replacement);
      ++i;
    } else {
      out.append(html.substr(i, n));
      i += n;
    }
  }
  return out;
}

bool IsBlockTag(std::string_view name) {
  static constexpr std::string_view kBlocks[] = {
      "br", "p", "div", "li", "ul", "ol", "tr", "td", "th", "table", "h1", "h2", "h3", "h4",
      "h5", "h6", "blockquote", "pre", "hr", "section", "article", "header", "footer", "img",
      "main", "nav", "aside", "figure", "figcaption", "dl", "dt", "dd", "address", "details",
      "summary", "caption", "thead", "tbody", "tfoot", "form", "fieldset", "legend", "option"};
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
    const std::size_t n = SequenceLength(text, i);
    if (pending_space && !out.empty()) out += ' ';
    pending_space = false;
    if (n == 0) {
      AppendUtf8(out, kUtf8Replacement);
      ++i;
    } else {
      out.append(text.substr(i, n));
      i += n;
    }
  }
  return out;
}

std::string HtmlToText(std::string_view html) {
  static std::once_flag init;
  std::call_once(init, [] { xmlInitParser(); });
  const std::string prepared = PrepareForLibxml(html);
  if (prepared.empty()) return {};
  if (prepared.size() > static_cast<std::size_t>(INT_MAX)) return {};
  std::unique_ptr<xmlDoc, decltype(&xmlFreeDoc)> doc(
      htmlReadMemory(prepared.data(), static_cast<int>(prepared.size()), nullptr, "UTF-8",
                     HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET |
                         HTML_PARSE_COMPACT | XML_PARSE_HUGE),  // HUGE: no depth cap of 256
      &xmlFreeDoc);
  if (!doc) return CollapseWhitespace(DecodeEntities(html));
  // Depth-first over the tree without recursion (documents may nest deeply).
  std::string raw;
  raw.reserve(prepared.size());
  xmlNode* node = doc->children;
  while (node) {
    bool descend = true;
    if (node->type == XML_TEXT_NODE || node->type == XML_CDATA_SECTION_NODE) {
      if (node->content) raw += reinterpret_cast<const char*>(node->content);
    } else if (node->type == XML_ELEMENT_NODE) {
      const std::string name = LowerAscii(reinterpret_cast<const char*>(node->name));
      if (name == "script" || name == "style" || name == "template" || name == "noscript") {
        descend = false;
      } else if (IsBlockTag(name)) {
        raw += ' ';
      }
    } else {
      descend = false;  // comments, processing instructions, DTDs
    }
    if (descend && node->children) {
      node = node->children;
      continue;
    }
    // Next sibling, or up until there is one; block elements end with a space too.
    while (node && !node->next) {
      node = node->parent;
      if (node && node->type == XML_ELEMENT_NODE &&
          IsBlockTag(LowerAscii(reinterpret_cast<const char*>(node->name)))) {
        raw += ' ';
      }
      if (node == reinterpret_cast<xmlNode*>(doc.get())) node = nullptr;
    }
    if (node) {
      if (node->type == XML_ELEMENT_NODE &&
          IsBlockTag(LowerAscii(reinterpret_cast<const char*>(node->name)))) {
        raw += ' ';
      }
      node = node->next;
    }
  }
  return CollapseWhitespace(raw);
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

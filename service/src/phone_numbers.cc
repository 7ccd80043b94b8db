// Phone numbers out of exported free text (service/export.h RedactPhoneNumbers): a matcher of
// our own for digits of any script and every kind of separator, and, where the build has it,
// libphonenumber's matcher for the numbering plans of the region (KG, RU, UZ, KZ) over each number
// ours found, which adds its extension ("доб. 12", "ext. 5"). What either finds is redacted.
//
// Built outside the batches of SAKCHY_UNITY_BUILD: libphonenumber's headers define macros
// (DISALLOW_COPY_AND_ASSIGN, arraysize ...) that must not reach other sources.
#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "core/utf8.h"
#include "service/export.h"

#if SAKCHY_WITH_PHONENUMBER
#include <phonenumbers/phonenumbermatch.h>
#include <phonenumbers/phonenumbermatcher.h>
#include <phonenumbers/phonenumberutil.h>
#endif

namespace sakchy::service {
namespace {

struct Span {
  std::size_t begin;
  std::size_t end;
};

// A code point of the text with its byte range (core's decoder: an ill-formed byte stands for
// itself, as U+FFFD).
struct CodePoint {
  char32_t cp = 0;
  std::size_t begin = 0;
  std::size_t end = 0;
};

CodePoint DecodeAt(std::string_view s, std::size_t i) {
  std::size_t next = i;
  const char32_t cp = DecodeUtf8(s, next);
  return {cp, i, next};
}

// The value of a decimal digit in any script (Unicode Nd: ASCII, Arabic-Indic, Devanagari,
// full-width, mathematical ...), of a superscript, subscript or circled digit; -1 otherwise.
int DigitValue(char32_t c) {
  if (c >= '0' && c <= '9') return static_cast<int>(c - '0');
  if (c < 0x660) return c == 0xB2 ? 2 : c == 0xB3 ? 3 : c == 0xB9 ? 1 : -1;
  static constexpr char32_t kZeros[] = {
      0x660,   0x6F0,   0x7C0,   0x966,   0x9E6,   0xA66,   0xAE6,   0xB66,   0xBE6,   0xC66,
      0xCE6,   0xD66,   0xDE6,   0xE50,   0xED0,   0xF20,   0x1040,  0x1090,  0x17E0,  0x1810,
      0x1946,  0x19D0,  0x1A80,  0x1A90,  0x1B50,  0x1BB0,  0x1C40,  0x1C50,  0x2080,  0xA620,
      0xA8D0,  0xA900,  0xA9D0,  0xA9F0,  0xAA50,  0xABF0,  0xFF10,  0x104A0, 0x11066, 0x110F0,
      0x11136, 0x111D0, 0x112F0, 0x11450, 0x114D0, 0x11650, 0x116C0, 0x11730, 0x118E0, 0x11C50,
      0x11D50, 0x16A60, 0x16B50, 0x1D7CE, 0x1D7D8, 0x1D7E2, 0x1D7EC, 0x1D7F6, 0x1E140, 0x1E2F0,
      0x1E950, 0x1FBF0};
  for (char32_t zero : kZeros) {
    if (c >= zero && c < zero + 10) return static_cast<int>(c - zero);
  }
  if (c == 0x2070) return 0;                                              // superscript 0
  if (c >= 0x2074 && c <= 0x2079) return static_cast<int>(c - 0x2070);  // superscript 4..9
  if (c >= 0x2460 && c <= 0x2468) return static_cast<int>(c - 0x245F);  // circled 1..9
  if (c == 0x24EA) return 0;                                              // circled 0
  return -1;
}

bool IsPlus(char32_t c) { return c == '+' || c == 0xFF0B; }
bool IsOpenParen(char32_t c) { return c == '(' || c == 0xFF08; }

// What may split the digits of one number: spaces (also no-break, thin, ideographic), dots,
// brackets, slashes, underscores, hyphens and dashes of every kind, and invisible characters.
bool IsPhoneSeparator(char32_t c) {
  switch (c) {
    case ' ': case '-': case '.': case '(': case ')': case '/': case '_':
    case 0xA0: case 0xAD: case 0x2007: case 0x2008: case 0x2009: case 0x200A: case 0x200B:
    case 0x200C: case 0x200D: case 0x2060: case 0x202F: case 0x3000: case 0x2212: case 0xFE63:
    case 0xFF08: case 0xFF09: case 0xFF0D: case 0xFF0E: case 0xFF0F: case 0xFF3F:
      return true;
    default:
      return c >= 0x2010 && c <= 0x2015;  // hyphen, non-breaking hyphen, figure dash .. bar
  }
}

// Letters and digits glued to a run make it part of a word (an id), not a phone number.
bool IsWordChar(char32_t c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || DigitValue(c) >= 0;
}

// The byte ranges [begin, end) of phone-number-like runs: a run that starts with a digit, '+'
// or '(' (not glued to a letter or digit) and holds 9 to 15 digits of any script, split only by
// separators.
void FindRuns(std::string_view text, std::vector<Span>& spans) {
  bool after_word = false;
  std::size_t i = 0;
  while (i < text.size()) {
    const CodePoint first = DecodeAt(text, i);
    bool starts = false;
    if (!after_word) {
      if (DigitValue(first.cp) >= 0) {
        starts = true;
      } else if ((IsPlus(first.cp) || IsOpenParen(first.cp)) && first.end < text.size()) {
        const CodePoint next = DecodeAt(text, first.end);
        starts = DigitValue(next.cp) >= 0 || (IsOpenParen(first.cp) && IsPlus(next.cp));
      }
    }
    if (!starts) {
      after_word = IsWordChar(first.cp);
      i = first.end;
      continue;
    }
    // Extend over digits and separators ('+' only right after the start); the run ends at its
    // last digit.
    std::size_t j = first.end;
    std::size_t last_digit_end = 0;
    int digits = DigitValue(first.cp) >= 0 ? 1 : 0;
    if (digits) last_digit_end = first.end;
    bool plus_allowed = IsOpenParen(first.cp);
    while (j < text.size()) {
      const CodePoint c = DecodeAt(text, j);
      if (DigitValue(c.cp) >= 0) {
        ++digits;
        last_digit_end = c.end;
      } else if (!(IsPhoneSeparator(c.cp) || (plus_allowed && IsPlus(c.cp)))) {
        break;
      }
      plus_allowed = false;
      j = c.end;
    }
    if (digits == 0) {  // "(+" without digits
      after_word = false;
      i = first.end;
      continue;
    }
    const std::size_t end = last_digit_end;
    const bool boundary = end >= text.size() || !IsWordChar(DecodeAt(text, end).cp);
    if (digits >= 9 && digits <= 15 && boundary) spans.push_back(Span{i, end});
    after_word = true;  // the run ended on a digit
    i = end;
  }
}

#if SAKCHY_WITH_PHONENUMBER
// The regions whose numbering plans are tried: Kyrgyzstan and the neighbours whose numbers its
// people write (a number with its country code is found under any of them).
constexpr const char* kRegions[] = {"KG", "RU", "UZ", "KZ"};
// Candidates libphonenumber tries per window and region.
constexpr int kMaxTries = 8;

// Bytes after a number that may hold its extension ("доб. 1234", "ext. 5").
constexpr std::size_t kExtensionBytes = 24;

// libphonenumber's matcher costs about 100 µs per region even on a short text, and more on a
// long one: it reads only a window around each run our matcher found (`runs`), from the run to
// kExtensionBytes after it, region by region until one finds a number there.
void FindWithLibphonenumber(std::string_view text, const std::vector<Span>& runs,
                            std::vector<Span>& spans) {
  using i18n::phonenumbers::PhoneNumberMatch;
  using i18n::phonenumbers::PhoneNumberMatcher;
  using i18n::phonenumbers::PhoneNumberUtil;
  if (runs.empty() || !IsValidUtf8(text)) return;  // its offsets are bytes of valid UTF-8
  const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
  for (const Span& run : runs) {
    std::size_t end = std::min(text.size(), run.end + kExtensionBytes);
    while (end < text.size() && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) ++end;
    const std::string window(text.substr(run.begin, end - run.begin));
    for (const char* region : kRegions) {
      PhoneNumberMatcher matcher(util, window, region, PhoneNumberMatcher::VALID, kMaxTries);
      PhoneNumberMatch match;
      bool found = false;
      while (matcher.HasNext() && matcher.Next(&match)) {
        const std::size_t begin = run.begin + static_cast<std::size_t>(match.start());
        spans.push_back(Span{begin, begin + match.raw_string().size()});
        found = true;
      }
      if (found) break;
    }
  }
}
#endif

}  // namespace

bool RedactsWithLibphonenumber() { return SAKCHY_WITH_PHONENUMBER != 0; }

std::string RedactPhoneNumbers(std::string_view text) {
  std::vector<Span> spans;
  FindRuns(text, spans);
#if SAKCHY_WITH_PHONENUMBER
  if (!spans.empty()) {
    const std::vector<Span> runs = spans;
    FindWithLibphonenumber(text, runs, spans);
  }
#endif
  if (spans.empty()) return std::string(text);
  std::sort(spans.begin(), spans.end(),
            [](const Span& a, const Span& b) { return a.begin < b.begin; });
  std::string out;
  out.reserve(text.size());
  std::size_t copied = 0;  // text[copied, ...) is still to be copied
  for (std::size_t k = 0; k < spans.size();) {
    // Overlapping spans (the same number found twice) become one.
    std::size_t end = spans[k].end;
    std::size_t next = k + 1;
    while (next < spans.size() && spans[next].begin < end) end = std::max(end, spans[next++].end);
    out.append(text.substr(copied, spans[k].begin - copied));
    out += "[phone]";
    copied = end;
    k = next;
  }
  out.append(text.substr(copied));
  return out;
}

}  // namespace sakchy::service

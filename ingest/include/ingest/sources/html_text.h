#pragma once
// HTML fragments (feed descriptions, Mastodon statuses) to plain text. Pure functions, no I/O.

#include <optional>
#include <string>
#include <string_view>

#include "core/types.h"

namespace sakchy::ingest::sources {

// Parses `html` with libxml2's HTML parser (unclosed and misnested tags read as a browser reads
// them) and keeps the text: the content of <script>, <style>, <template> and <noscript> and
// comments dropped, character references decoded (numeric ones and all 2,125 HTML5 named ones;
// unknown ones stay as written; &#0; and surrogates become U+FFFD), <br>, <p> and other block
// boundaries turned into spaces, runs of whitespace (including U+00A0) collapsed into one space,
// trimmed. Invalid UTF-8 is replaced by U+FFFD.
std::string HtmlToText(std::string_view html);
// Collapses whitespace and trims; replaces invalid UTF-8 by U+FFFD. For plain-text fields.
std::string CollapseWhitespace(std::string_view text);
// Decodes character references only (no tag removal), as HtmlToText.
std::string DecodeEntities(std::string_view text);

// RFC 822 / RFC 2822 date as used by RSS pubDate: "Sat, 01 Jun 2024 12:00:00 +0600",
// "1 Jun 24 12:00 GMT" (weekday and seconds optional; zones +HHMM, UT, GMT, Z, EST..PDT).
// std::nullopt when malformed.
std::optional<TimeMs> ParseRfc822(std::string_view text);

}  // namespace sakchy::ingest::sources

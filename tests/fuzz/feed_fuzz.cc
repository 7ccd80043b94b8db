// libFuzzer target: the RSS 2.0 / Atom parser (expat) and the RFC 822 date reader on any bytes.
// Items it returns carry valid UTF-8 text; any crash, sanitizer report or abort is a bug.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/utf8.h"
#include "ingest/sources/feed_parser.h"
#include "ingest/sources/html_text.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  auto feed = sakchy::ingest::sources::ParseFeed(in);
  if (feed) {
    for (const auto& item : feed->items) {
      if (!sakchy::IsValidUtf8(item.text) || !sakchy::IsValidUtf8(item.title)) std::abort();
    }
  }
  (void)sakchy::ingest::sources::ParseRfc822(in.substr(0, 64));
  return 0;
}

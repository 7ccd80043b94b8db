#pragma once
// RSS 2.0, RSS 1.0 (RDF) and Atom 1.0 parsing (expat; documents in any encoding ICU converts).
// Pure: no I/O, no clock.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/types.h"

namespace sakchy::ingest::sources {

enum class FeedKind { kRss, kAtom, kRdf };  // kRdf: RSS 1.0

struct FeedItem {
  std::string id;  // RSS guid | RSS 1.0 rdf:about | Atom id | link | "sha256:<hex>" when none
  std::string link;    // may be empty
  std::string title;   // plain text
  std::string text;    // plain text: HTML removed, entities decoded, whitespace collapsed
  std::string author;  // RSS author/dc:creator, Atom author/name; may be empty
  std::optional<TimeMs> published;  // RSS pubDate/dc:date, Atom published|updated
  std::optional<TimeMs> updated;    // Atom updated, when later than published
};

struct Feed {
  FeedKind kind = FeedKind::kRss;
  std::string title;
  std::vector<FeedItem> items;  // document order
};

// Parses an RSS 2.0 (<rss><channel><item>), RSS 1.0 (<rdf:RDF> with <item>s of
// http://purl.org/rss/1.0/) or Atom 1.0 (<feed xmlns="http://www.w3.org/2005/Atom">) document,
// sniffing the root. The encoding is the XML declaration's: UTF-8, UTF-16, ISO-8859-1 and
// US-ASCII natively, any other single-byte or double-byte charset ICU knows (windows-1251,
// KOI8-R, CP866, ISO-8859-5, Shift_JIS, GBK ...) through ICU. Errors (kInvalidArgument): not
// XML, truncated XML, an unknown encoding, a DTD that declares entities, an unsupported root
// element. Items with neither title nor text are skipped.
[[nodiscard]] Result<Feed> ParseFeed(std::string_view xml);

}  // namespace sakchy::ingest::sources

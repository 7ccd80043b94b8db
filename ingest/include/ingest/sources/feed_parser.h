#pragma once
// RSS 2.0 and Atom 1.0 parsing (expat). Pure: no I/O, no clock.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/types.h"

namespace sakchy::ingest::sources {

enum class FeedKind { kRss, kAtom };

struct FeedItem {
  std::string id;      // RSS guid | Atom id | link | "sha256:<hex of title+text>" when none
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

// Parses an RSS 2.0 (<rss><channel><item>) or Atom 1.0 (<feed xmlns="http://www.w3.org/2005/Atom">)
// document, sniffing the root. Errors (kInvalidArgument): not XML, truncated XML, a DTD that
// declares entities, an unsupported root element. Items with neither title nor text are skipped.
[[nodiscard]] Result<Feed> ParseFeed(std::string_view xml);

}  // namespace sakchy::ingest::sources

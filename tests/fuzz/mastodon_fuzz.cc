// libFuzzer target: the Mastodon statuses parser (JSON, HTML content to text) and the id order
// on any bytes.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/utf8.h"
#include "ingest/sources/mastodon_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  auto statuses = sakchy::ingest::sources::ParseMastodonStatuses(in);
  if (statuses) {
    for (const auto& s : *statuses) {
      if (!sakchy::IsValidUtf8(s.text)) std::abort();
      // A strict order: never both newer than the other.
      if (sakchy::ingest::sources::MastodonIdNewer(s.id, s.id)) std::abort();
    }
  }
  const auto half = in.size() / 2;
  const std::string_view a = in.substr(0, half), b = in.substr(half);
  if (sakchy::ingest::sources::MastodonIdNewer(a, b) &&
      sakchy::ingest::sources::MastodonIdNewer(b, a)) {
    std::abort();
  }
  return 0;
}

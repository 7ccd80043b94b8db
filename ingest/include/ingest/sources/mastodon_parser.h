#pragma once
// Mastodon-compatible timeline responses (an array of statuses; simdjson). Pure: no I/O.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/types.h"

namespace sakchy::ingest::sources {

struct MastodonStatus {
  std::string id;  // opaque, but numeric strings that sort by (length, value) on Mastodon
  std::optional<TimeMs> created_at;
  std::optional<TimeMs> edited_at;  // Mastodon 3.5+: last edit; absent or null when never edited
  std::string text;  // spoiler_text (if any), then content as plain text
  std::string url;
  std::string account_id;
  std::string account_acct;
  std::string language;
};

// kInvalidArgument when not a JSON array of statuses. Statuses without text (e.g. reblogs, whose
// content is empty) are left out.
[[nodiscard]] Result<std::vector<MastodonStatus>> ParseMastodonStatuses(std::string_view json);

// true when status id `a` is newer than `b` (longer wins, then lexicographic).
bool MastodonIdNewer(std::string_view a, std::string_view b);

}  // namespace sakchy::ingest::sources

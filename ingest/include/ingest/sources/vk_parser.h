#pragma once
// VK (VKontakte) API responses of wall.get and wall.getComments (simdjson), the text cut of long
// posts and the per-token request pacing (VK allows 3 requests per second per token). Pure: no
// I/O; RequestPacer is thread-safe.

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/types.h"

namespace sakchy::ingest::sources {

struct VkItem {
  std::int64_t id = 0;        // post id (wall.get) or comment id (wall.getComments)
  std::int64_t owner_id = 0;  // the wall's owner (negative for communities)
  std::int64_t from_id = 0;   // author (a user, or the community itself)
  std::int64_t post_id = 0;   // comments: the post they belong to
  std::int64_t date = 0;      // Unix seconds
  std::int64_t edited = 0;    // Unix seconds; 0 when never edited
  bool pinned = false;        // is_pinned: shown first whatever its date
  std::string text;
};

struct VkResponse {
  // Set when VK answered {"error":{"error_code","error_msg"}}: 6 too many requests per second,
  // 5 authorization failed (bad token), 15 access denied, 30 private profile, 18 deleted, ...
  std::optional<int> error_code;
  std::string error_msg;
  std::int64_t count = 0;     // total items on the wall (for paging)
  std::vector<VkItem> items;  // as VK lists them (wall.get: newest first, pinned post first)
};

// kInvalidArgument when `json` is not a VK API response.
[[nodiscard]] Result<VkResponse> ParseVkResponse(std::string_view json);

// True for VK errors that a retry will not fix and that need a person to change the source's
// configuration (token, owner, access): 5, 15, 18, 30, 100, 113.
bool VkConfigurationError(int error_code);

// `text` cut to at most `max_bytes` at the last whitespace before the limit (at a UTF-8 boundary
// when there is none), followed by the marker " […]" (counted in the limit). Unchanged when it
// fits.
std::string CutAtWord(std::string text, std::size_t max_bytes);
inline constexpr std::string_view kCutMarker = " […]";

// At most `per_second` requests in any second: Reserve(now) books the next slot and returns how
// long to wait before using it (0 when free now).
class RequestPacer {
 public:
  explicit RequestPacer(int per_second = 3) : per_second_(per_second) {}
  std::chrono::milliseconds Reserve(std::chrono::steady_clock::time_point now);

 private:
  const int per_second_;
  std::mutex mu_;
  std::vector<std::chrono::steady_clock::time_point> slots_;  // the last per_second_ bookings
};

// The pacer shared by every VK source with this token (one per token hash, process-wide).
RequestPacer& VkPacerFor(std::string_view token);

}  // namespace sakchy::ingest::sources

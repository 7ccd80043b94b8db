#pragma once
// One fetch of one source, per source type (private to ingest). A poller turns the source's
// current cursor into a batch of reports and the cursor that follows them; it never submits.

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/result.h"
#include "core/time.h"
#include "core/types.h"
#include "ingest/sources/http_client.h"

namespace sakchy::ingest::sources::internal {

struct Poll {
  std::optional<Error> error;       // fetch or parse failed; nothing else is set
  std::int64_t retry_after_ms = 0;  // server asked to wait this long (Telegram 429)
  std::vector<Report> reports;      // in the order to submit
  std::optional<std::string> cursor;  // cursor after these reports; nullopt = unchanged
  // After a success, wait this long instead of interval_ms (long polling polls again at once).
  std::optional<std::int64_t> next_delay_ms;
};

// Reports are at most this long (the pipeline's default max_text_bytes); longer texts are cut at
// a UTF-8 boundary so one long item cannot block its source.
inline constexpr std::size_t kMaxReportTextBytes = 16384;

struct PollerContext {
  config::SourceConfig config;
  HttpClient* client = nullptr;
  const Clock* clock = nullptr;
  std::string pseudonym_key;
  AddressFilter targets;  // config.allow_private_targets: where requests may connect
};

class Poller {
 public:
  virtual ~Poller() = default;
  // `cursor` is the committed cursor value ("" when none).
  virtual boost::asio::awaitable<Poll> Fetch(std::string cursor) = 0;
};

// kInvalidArgument for an unknown type or a bad timeline.
Result<std::unique_ptr<Poller>> MakePoller(PollerContext context);
// VK walls (vk_poller.cc): kInvalidArgument without a token or an owner.
Result<std::unique_ptr<Poller>> MakeVkPoller(PollerContext context);

std::string TruncateUtf8(std::string text, std::size_t max_bytes);

}  // namespace sakchy::ingest::sources::internal

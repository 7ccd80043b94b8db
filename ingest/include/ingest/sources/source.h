#pragma once
// Pull sources: Telegram Bot API getUpdates, RSS/Atom feeds and Mastodon-compatible timelines.
// Each configured source runs as a coroutine loop on the manager's io thread:
//   read cursor (once, at start) -> fetch -> parse -> Submit(reports, new cursor) ->
//   advance the in-memory cursor only when the sink reports success -> wait interval (+/-10%).
// Errors back off exponentially (capped by backoff_max_ms; Telegram 429 honours retry_after);
// a full sink (kResourceExhausted) pauses the source and retries the same batch; nothing is
// dropped. A failing source never stalls the others.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "core/metrics.h"
#include "core/result.h"
#include "core/time.h"
#include "core/types.h"
#include "ingest/pipeline.h"

namespace sakchy::ingest::sources {

// Serialized position of one source (opaque to the sink): Telegram "next offset", Mastodon newest
// status id, feeds "etag=...\nlast_modified=...".
struct Cursor {
  std::string source_id;
  std::string value;
};

// Where the sources hand their reports. The implementation must store `reports` and `cursor`
// durably TOGETHER (one write batch) before reporting success, and be idempotent on
// (channel, source_ref): a report already stored comes back as a duplicate.
// `reports` may be empty with a cursor (e.g. Telegram updates without text still advance it).
// `done` receives the per-report outcomes in input order, or an error: kResourceExhausted when
// the queue is full (the source retries the same batch later), anything else = nothing stored.
// Thread safety: Submit() may be called from the sources' io thread; `done` may run on any thread
// (it only posts back) and may be called before Submit() returns.
class ReportSink {
 public:
  virtual ~ReportSink() = default;
  virtual void Submit(std::vector<Report> reports, std::optional<Cursor> cursor,
                      SubmitCallback done) = 0;
};

// Reads the cursor stored by the sink. Called once per source at start, on the io thread
// (keep it fast: a point read). std::nullopt when the source never stored one.
class CursorReader {
 public:
  virtual ~CursorReader() = default;
  virtual Result<std::optional<std::string>> GetCursor(std::string_view source_id) = 0;
};

struct SourceStatus {
  std::string id;
  std::string type;
  bool enabled = true;
  std::optional<TimeMs> last_success_at;  // last poll that fetched and stored successfully
  std::optional<TimeMs> last_error_at;
  std::string last_error;                 // empty after a success; secrets redacted
  std::uint64_t polls = 0;                // fetch attempts
  std::uint64_t items_accepted = 0;       // new reports stored
  std::uint64_t duplicates = 0;           // reports the sink already had
  std::uint64_t consecutive_failures = 0;
  std::optional<TimeMs> newest_item_at;   // observed_at of the newest item seen
  std::optional<TimeMs> lag_ms;           // now - newest_item_at
  std::int64_t next_delay_ms = 0;         // wait planned before the next poll
  bool paused = false;                    // sink full: retrying the same batch
  std::string cursor;                     // committed cursor value
};

// Owns one io thread running every enabled source.
// Thread safety: Statuses() may be called from any thread; Start()/Stop() by the owner only.
class SourceManager {
 public:
  SourceManager();
  ~SourceManager();  // Stop()s
  SourceManager(const SourceManager&) = delete;
  SourceManager& operator=(const SourceManager&) = delete;

  // Starts the io thread and one loop per enabled source. `pseudonym_key` keys the HMAC that
  // pseudonymises authors (config privacy.pseudonym_key); empty -> a random per-process key and a
  // warning. `sink`, `cursors`, `clock` and `metrics` must outlive the manager (or Stop()).
  // kInvalidArgument for a source that cannot be set up (unknown type, bad URL); nothing started.
  [[nodiscard]] Status Start(const std::vector<config::SourceConfig>& sources,
                             std::string pseudonym_key, ReportSink& sink, CursorReader& cursors,
                             const Clock& clock, MetricsRegistry& metrics);
  // Stops polling, abandons in-flight fetches, joins the thread. A submit in flight may still
  // complete in the sink; its cursor is then stored with its reports, so a restart is consistent.
  // Idempotent.
  void Stop();
  // A snapshot, in configuration order (disabled sources included).
  std::vector<SourceStatus> Statuses() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// Pseudonym of an author: the first 16 hex characters of HMAC-SHA256(key, "<channel>:<author id>").
std::string Pseudonym(std::string_view key, std::string_view channel, std::string_view author_id);

}  // namespace sakchy::ingest::sources

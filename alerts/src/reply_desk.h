#pragma once
// The state of replies to reporters (private to alerts; see alerts/replies.h): the reporter
// directory and the reply notifications it creates. Runs on the engine's state thread only (not
// thread-safe); every method writes its notifications, directory changes and audit entries in
// one atomic store write and returns the notifications for the dispatcher.

#include <optional>
#include <string>
#include <vector>

#include "alerts/replies.h"
#include "config/config.h"
#include "core/id.h"
#include "core/metrics.h"
#include "core/time.h"
#include "alerts/store.h"

namespace sakchy::alerts {

inline constexpr std::string_view kReportersTable = "reporters";
inline constexpr std::string_view kReporterOfTable = "reporter_of";

class ReplyDesk {
 public:
  // `store`, `channels` (the engine's copy), `clock`, `ids` and `metrics` must outlive the desk.
  ReplyDesk(AlertStore store, config::RepliesConfig cfg,
            const config::ChannelsConfig& channels, ReplyCatalog catalog, const Clock& clock,
            IdGenerator& ids, MetricsRegistry& metrics);

  // Remembers the reporter (sealed address, language, last message), honours STOP, and creates
  // the acknowledgement (new report, within the rate limit) or the one "send text" request.
  [[nodiscard]] Result<std::vector<Alert>> OnMessage(const ReporterMessage& message);
  // One answer per reporter of verdict.event_ids who did not say STOP and can be reached (once
  // per verdict: group "answer:<cluster>:<decided_at>"), each audited `reply.answer`; with
  // `public_area` and replies.public_telegram_chat, the public post too. None for unverified.
  [[nodiscard]] Result<std::vector<Alert>> Answer(const Verdict& verdict,
                                                  std::optional<std::string> public_area);

 private:
  struct Reporter;
  std::optional<Alert> MakeReply(const std::string& pseudonym, const Reporter& reporter,
                                 const std::string& text, const std::string& group_key,
                                 TimeMs now);
  // The published verdict for replies.public_telegram_chat (once per verdict: the caller checks
  // group "public:<group_key>"), appended to `created`.
  void PostPublic(const Verdict& verdict, const std::string& area, const std::string& group_key,
                  TimeMs now, std::vector<Alert>& created);
  bool Reachable(const std::string& channel, const std::string& sealed) const;
  std::string Language(const std::string& language) const;

  AlertStore store_;
  const config::RepliesConfig cfg_;
  const config::ChannelsConfig& channels_;
  const ReplyCatalog catalog_;
  const Clock& clock_;
  IdGenerator& ids_;
  Counter& acks_;
  Counter& answers_;
  Counter& limited_;
  Counter& stops_;
  Counter& unreachable_;
};

}  // namespace sakchy::alerts

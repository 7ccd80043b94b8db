#pragma once
// Follow-ups on a verdict (private to alerts): every contact that was sent or delivered a
// notification about the cluster or one of its events gets one follow-up per verdict on the
// channel that reached them; the verdict is recorded (`alert_verdicts`), the cluster's groups
// resolved, and the whole audited (`alert.follow_up`) in one atomic write.
//
// Thread safety: state thread only. Blocking: reads and writes the store.

#include <vector>

#include "alerts/notifier.h"
#include "composer.h"
#include "core/id.h"
#include "core/result.h"
#include "core/time.h"
#include "core/types.h"
#include "alerts/store.h"

namespace sakchy::alerts {

class FollowUps {
 public:
  // Every reference must outlive this object.
  FollowUps(AlertStore store, const Clock& clock, IdGenerator& ids, Notifier& notifier,
            const Composer& composer)
      : store_(store), clock_(clock), ids_(ids), notifier_(notifier), composer_(composer) {}
  FollowUps(const FollowUps&) = delete;
  FollowUps& operator=(const FollowUps&) = delete;

  // The follow-ups created and written for `verdict` (none twice per contact and verdict).
  [[nodiscard]] Result<std::vector<Alert>> Create(const Verdict& verdict);

 private:
  AlertStore store_;
  const Clock& clock_;
  IdGenerator& ids_;
  Notifier& notifier_;
  const Composer& composer_;
};

}  // namespace sakchy::alerts

#pragma once
// What happens when a notification cannot be delivered (private to alerts): it is re-created on
// the contact's next usable channel (`alert.fallback`); when none is left, the duty contacts get
// a notice (`alert.undeliverable`). Both are written in the same atomic batch as the failure.
//
// Thread safety: state thread only (DispatcherHooks::on_change). Blocking: reads the store.

#include <optional>
#include <vector>

#include "alerts/dispatcher.h"
#include "composer.h"
#include "config/config.h"
#include "core/id.h"
#include "core/metrics.h"
#include "core/time.h"
#include "core/types.h"
#include "directory.h"

namespace sakchy::alerts {

class Undelivered {
 public:
  // Every reference must outlive this object.
  Undelivered(const config::AlertsConfig& cfg, const Clock& clock, IdGenerator& ids,
              MetricsRegistry& metrics, const Directory& directory, Composer& composer);
  Undelivered(const Undelivered&) = delete;
  Undelivered& operator=(const Undelivered&) = delete;

  // A notification is about to change state: for a failed or dead-lettered one (not a notice,
  // not a reply to a reporter), its fallback or the duty notices, with their records.
  Reaction OnChange(const Alert& alert, DeliveryState before);

 private:
  std::vector<Alert> Notices(const Alert& failed);
  // The same notification on the contact's next usable channel, if there is one.
  std::optional<Alert> Fallback(const Alert& alert);

  const config::AlertsConfig& cfg_;
  const Clock& clock_;
  IdGenerator& ids_;
  const Directory& directory_;
  Composer& composer_;
  Counter& fallbacks_;
  Counter& notices_;
  Counter& unnoticed_;
};

}  // namespace sakchy::alerts

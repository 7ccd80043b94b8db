#pragma once
// What alerts keep in storage, as three of storage's ports (storage/ports.h): the events it reads
// (to compose and route), the outbox, and its own records (contacts, silences, acknowledgements,
// routing state, audit). The engine and the dispatcher take this, never the whole storage::Store.

#include <concepts>

#include "storage/ports.h"

namespace sakchy::alerts {

struct AlertStore {
  storage::EventReader& events;
  storage::Outbox& outbox;
  storage::RecordStore& records;

  // From any object that implements the three ports (storage::Store, a test double).
  template <class S>
    requires std::derived_from<S, storage::EventReader> &&
             std::derived_from<S, storage::Outbox> && std::derived_from<S, storage::RecordStore>
  AlertStore(S& s)  // NOLINT(google-explicit-constructor): a Store& is an AlertStore
      : events(s), outbox(s), records(s) {}
};

}  // namespace sakchy::alerts

#pragma once
// Contacts and silences (private to alerts): the YAML contacts (read-only here) and those created
// through the API (record table `contacts`), the silences (record table `alert_silences`). Every
// change is audited and reaches routing (the Notifier) and delivery at once; queued
// notifications are never cancelled by it.
//
// Thread safety: Contacts, Find, Silences, ReadinessProblems and WebhookTargets may be called
// from any thread. Everything else runs on the engine's state thread (the Load* methods during
// Start, before the state thread runs). Blocking: the writers wait on the store.

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "alerts/engine.h"
#include "alerts/notifier.h"
#include "alerts/silences.h"
#include "config/areas.h"
#include "config/config.h"
#include "core/address_filter.h"
#include "core/id.h"
#include "core/result.h"
#include "core/time.h"
#include "alerts/store.h"

namespace sakchy::alerts {

class Directory {
 public:
  // Hears the full contact list after every change (delivery: signing secrets, languages).
  using ContactsChanged = std::function<void(std::vector<config::Contact>)>;

  // `store`, `areas`, `clock`, `ids` and `notifier` must outlive the directory; `cfg` too.
  Directory(AlertStore store, const config::AlertsConfig& cfg,
            std::vector<config::Contact> yaml_contacts, const config::AreaTree& areas,
            const Clock& clock, IdGenerator& ids, Notifier& notifier);
  Directory(const Directory&) = delete;
  Directory& operator=(const Directory&) = delete;

  // Start: the stored contacts (an id of the config file wins; an invalid one is reported by
  // ReadinessProblems) and the silences that ended less than 7 days ago.
  [[nodiscard]] Status LoadContacts();
  [[nodiscard]] Status LoadSilences(TimeMs now);
  // Set once delivery exists (before the state thread runs).
  void SetContactsChanged(ContactsChanged on_change) { on_change_ = std::move(on_change); }

  // Any thread.
  std::vector<ContactInfo> Contacts() const;
  std::optional<ContactInfo> Find(std::string_view id) const;
  std::vector<Silence> Silences() const;  // newest first
  std::vector<std::string> ReadinessProblems() const;
  const AddressFilter& WebhookTargets() const { return targets_; }

  // State thread.
  const config::Contact* Current(std::string_view id) const;
  std::vector<config::Contact> All() const;
  // Who hears that `alert` could not be delivered: alerts.duty, or the contacts with role
  // analyst_on_duty whose areas cover its area; never its own recipient; only reachable ones.
  std::vector<const config::Contact*> Duty(const Alert& alert) const;
  [[nodiscard]] Result<ContactInfo> Put(config::Contact contact, const std::string& actor,
                                        bool create);
  [[nodiscard]] Status Delete(std::string_view id, const std::string& actor);
  [[nodiscard]] Result<Silence> CreateSilence(Silence silence, const std::string& actor);
  [[nodiscard]] Result<Silence> ExpireSilence(std::string_view id, const std::string& actor);

 private:
  bool IsYamlContact(std::string_view id) const;
  ContactInfo Info(const config::Contact& c, std::string source) const;
  void Publish();

  AlertStore store_;
  const config::AlertsConfig& cfg_;
  const AddressFilter targets_;
  const std::vector<config::Contact> yaml_contacts_;
  const config::AreaTree& areas_;
  const Clock& clock_;
  IdGenerator& ids_;
  Notifier& notifier_;
  ContactsChanged on_change_;

  std::map<std::string, config::Contact> api_contacts_;  // state thread (and Load*)

  mutable std::mutex mu_;
  std::vector<ContactInfo> directory_;      // guarded by mu_
  std::vector<std::string> load_problems_;  // guarded by mu_
  std::vector<Silence> silences_;           // guarded by mu_; the notifier gets copies
};

}  // namespace sakchy::alerts

#include "directory.h"

#include <spdlog/spdlog.h>

#include <boost/json.hpp>

#include <algorithm>

#include "alerts/contacts.h"
#include "audit_write.h"
#include "core/json_text.h"

namespace sakchy::alerts {
namespace {

constexpr std::size_t kMaxContacts = 100000;
constexpr std::size_t kMaxRecords = 10'000'000;
constexpr TimeMs kSilenceHistoryMs = 7LL * 24 * 3600 * 1000;

// Audit details of a contact: never addresses (phone numbers, chat ids) or secrets.
std::string ContactSummary(const config::Contact& c) {
  boost::json::object o{{"name", c.name}, {"role", c.role}, {"language", c.language}};
  boost::json::array areas;
  for (const auto& a : c.areas) areas.emplace_back(a);
  o["areas"] = std::move(areas);
  boost::json::array channels;
  for (const auto& ch : c.channels) channels.emplace_back(ch.type);
  o["channels"] = std::move(channels);
  return ToJsonText(boost::json::value(o));
}

}  // namespace

Directory::Directory(AlertStore store, const config::AlertsConfig& cfg,
                     std::vector<config::Contact> yaml_contacts, const config::AreaTree& areas,
                     const Clock& clock, IdGenerator& ids, Notifier& notifier)
    : store_(store),
      cfg_(cfg),
      targets_(WebhookFilter(cfg)),
      yaml_contacts_(std::move(yaml_contacts)),
      areas_(areas),
      clock_(clock),
      ids_(ids),
      notifier_(notifier) {}

Status Directory::LoadContacts() {
  storage::RecordScan scan;
  scan.limit = kMaxContacts;
  auto records = store_.records.ScanRecords(kContactsTable, scan);
  if (!records) return tl::unexpected(records.error());
  for (const auto& r : *records) {
    auto contact = ContactFromJson(r.value, areas_, targets_);
    if (!contact) {
      // A stored contact that no longer validates (e.g. its area was removed) is reported, not
      // silently dropped.
      spdlog::error("alerts: stored contact '{}' is invalid and not used: {}: {}", r.key,
                    contact.error().field, contact.error().detail);
      std::lock_guard lock(mu_);
      load_problems_.push_back("stored contact '" + r.key + "' is invalid: " +
                               contact.error().field + ": " + contact.error().detail);
      continue;
    }
    if (IsYamlContact(contact->id)) {
      spdlog::warn("alerts: stored contact '{}' is shadowed by the config file", contact->id);
      continue;
    }
    api_contacts_[contact->id] = std::move(*contact);
  }
  Publish();
  std::lock_guard lock(mu_);
  for (const ContactInfo& info : directory_) {
    if (!info.reachable) {
      spdlog::warn("alerts: contact '{}' ({}) has no usable channel: {}", info.contact.id,
                   info.contact.origin, info.problems.empty() ? "" : info.problems.front());
    }
  }
  return OkStatus();
}

Status Directory::LoadSilences(TimeMs now) {
  storage::RecordScan scan;
  scan.limit = kMaxRecords;
  auto silences = store_.records.ScanRecords(kSilencesTable, scan);
  if (!silences) return tl::unexpected(silences.error());
  std::vector<Silence> loaded;
  for (const auto& r : *silences) {
    auto silence = DecodeSilence(r.value);
    if (!silence) {
      spdlog::error("alerts: silence record '{}' is damaged; skipped", r.key);
      continue;
    }
    if (silence->ends_at + kSilenceHistoryMs < now) continue;
    loaded.push_back(std::move(*silence));
  }
  notifier_.SetSilences(loaded);
  std::lock_guard lock(mu_);
  silences_ = std::move(loaded);
  return OkStatus();
}

std::vector<ContactInfo> Directory::Contacts() const {
  std::lock_guard lock(mu_);
  return directory_;
}

std::optional<ContactInfo> Directory::Find(std::string_view id) const {
  std::lock_guard lock(mu_);
  for (const ContactInfo& info : directory_) {
    if (info.contact.id == id) return info;
  }
  return std::nullopt;
}

std::vector<Silence> Directory::Silences() const {
  std::lock_guard lock(mu_);
  std::vector<Silence> out = silences_;
  std::sort(out.begin(), out.end(), [](const Silence& a, const Silence& b) { return a.id > b.id; });
  return out;
}

std::vector<std::string> Directory::ReadinessProblems() const {
  std::lock_guard lock(mu_);
  std::vector<std::string> out = load_problems_;
  for (const ContactInfo& info : directory_) {
    if (!info.reachable) {
      out.push_back("contact '" + info.contact.id + "' (" + info.contact.origin +
                    "): no usable channel");
    }
  }
  return out;
}

bool Directory::IsYamlContact(std::string_view id) const {
  return std::any_of(yaml_contacts_.begin(), yaml_contacts_.end(),
                     [&](const config::Contact& c) { return c.id == id; });
}

const config::Contact* Directory::Current(std::string_view id) const {
  for (const auto& c : yaml_contacts_) {
    if (c.id == id) return &c;
  }
  auto it = api_contacts_.find(std::string(id));
  return it == api_contacts_.end() ? nullptr : &it->second;
}

std::vector<config::Contact> Directory::All() const {
  std::vector<config::Contact> all = yaml_contacts_;
  for (const auto& [id, c] : api_contacts_) all.push_back(c);
  return all;
}

ContactInfo Directory::Info(const config::Contact& c, std::string source) const {
  ContactInfo info;
  info.contact = c;
  info.source = std::move(source);
  info.problems = ContactProblems(c, cfg_.channels);
  info.reachable = !UsableChannels(c, cfg_.channels).empty();
  return info;
}

// Makes the current contacts visible to routing, delivery and readers.
void Directory::Publish() {
  std::vector<ContactInfo> directory;
  for (const auto& c : yaml_contacts_) directory.push_back(Info(c, "config"));
  for (const auto& [id, c] : api_contacts_) directory.push_back(Info(c, "api"));
  notifier_.SetContacts(All());
  if (on_change_) on_change_(All());
  std::lock_guard lock(mu_);
  directory_ = std::move(directory);
}

std::vector<const config::Contact*> Directory::Duty(const Alert& alert) const {
  std::vector<const config::Contact*> out;
  auto usable = [&](const config::Contact& c) {
    return c.id != alert.contact_id && !UsableChannels(c, cfg_.channels).empty();
  };
  if (!cfg_.duty_contacts.empty()) {
    for (const auto& id : cfg_.duty_contacts) {
      const config::Contact* c = Current(id);
      if (c != nullptr && usable(*c)) out.push_back(c);
    }
    return out;
  }
  const AreaCode area = alert.area.empty() ? areas_.root() : alert.area;
  auto consider = [&](const config::Contact& c) {
    if (c.role != "analyst_on_duty" || !usable(c)) return;
    for (const auto& a : c.areas) {
      if (areas_.IsWithin(area, a)) {
        out.push_back(&c);
        return;
      }
    }
  };
  for (const auto& c : yaml_contacts_) consider(c);
  for (const auto& [id, c] : api_contacts_) consider(c);
  return out;
}

Result<ContactInfo> Directory::Put(config::Contact contact, const std::string& actor,
                                   bool create) {
  for (const auto& c : yaml_contacts_) {
    if (c.id == contact.id) {
      return MakeError(ErrorCode::kPermissionDenied,
                       "contact '" + contact.id + "' is defined in the config file (" + c.origin +
                           "); change it there");
    }
  }
  const bool exists = api_contacts_.contains(contact.id);
  if (create && exists) {
    return MakeError(ErrorCode::kAlreadyExists, "contact '" + contact.id + "' already exists");
  }
  contact.origin = "api";
  std::vector<storage::RecordWrite> writes{
      storage::RecordWrite{std::string(kContactsTable), contact.id, ContactToJson(contact)},
      AuditWrite(ids_, clock_.NowMs(), actor, exists ? "contact.update" : "contact.create",
                 contact.id, ContactSummary(contact))};
  if (auto st = store_.records.WriteRecords(writes); !st) return tl::unexpected(st.error());
  api_contacts_[contact.id] = contact;
  Publish();
  ContactInfo info = Info(contact, "api");
  spdlog::info("alerts: contact {} {} by {}{}", contact.id, exists ? "updated" : "created", actor,
               info.reachable ? "" : " (no usable channel)");
  return info;
}

Status Directory::Delete(std::string_view id, const std::string& actor) {
  if (const config::Contact* c = Current(id); c != nullptr && IsYamlContact(id)) {
    return MakeError(ErrorCode::kPermissionDenied, "contact '" + std::string(id) +
                                                       "' is defined in the config file (" +
                                                       c->origin + "); remove it there");
  }
  auto it = api_contacts_.find(std::string(id));
  if (it == api_contacts_.end()) {
    return MakeError(ErrorCode::kNotFound, "no contact with id '" + std::string(id) + "'");
  }
  std::vector<storage::RecordWrite> writes{
      storage::RecordWrite{std::string(kContactsTable), std::string(id), std::nullopt},
      AuditWrite(ids_, clock_.NowMs(), actor, "contact.delete", std::string(id),
                 ContactSummary(it->second))};
  if (auto st = store_.records.WriteRecords(writes); !st) return st;
  api_contacts_.erase(it);
  Publish();
  spdlog::info("alerts: contact {} deleted by {}", id, actor);
  return OkStatus();
}

Result<Silence> Directory::CreateSilence(Silence s, const std::string& actor) {
  s.id = ids_.Next();
  s.created_by = actor;
  s.created_at = clock_.NowMs();
  std::vector<storage::RecordWrite> writes{
      storage::RecordWrite{std::string(kSilencesTable), s.id, SilenceToJson(s)},
      AuditWrite(ids_, s.created_at, actor, "silence.create", s.id, SilenceToJson(s))};
  if (auto st = store_.records.WriteRecords(writes); !st) return tl::unexpected(st.error());
  {
    std::lock_guard lock(mu_);
    silences_.push_back(s);
    notifier_.SetSilences(silences_);
  }
  spdlog::info("alerts: silence {} created by {} until {}", s.id, actor, FormatRfc3339(s.ends_at));
  return s;
}

Result<Silence> Directory::ExpireSilence(std::string_view id, const std::string& actor) {
  Silence s;
  {
    std::lock_guard lock(mu_);
    auto it = std::find_if(silences_.begin(), silences_.end(),
                           [&](const Silence& x) { return x.id == id; });
    if (it == silences_.end()) {
      return MakeError(ErrorCode::kNotFound, "no silence with id '" + std::string(id) + "'");
    }
    s = *it;
  }
  const TimeMs now = clock_.NowMs();
  if (s.ends_at <= now) return s;  // already over: nothing to do
  s.ends_at = std::max(now, s.starts_at);
  std::vector<storage::RecordWrite> writes{
      storage::RecordWrite{std::string(kSilencesTable), s.id, SilenceToJson(s)},
      AuditWrite(ids_, now, actor, "silence.expire", s.id, SilenceToJson(s))};
  if (auto st = store_.records.WriteRecords(writes); !st) return tl::unexpected(st.error());
  {
    std::lock_guard lock(mu_);
    for (auto& x : silences_) {
      if (x.id == s.id) x = s;
    }
    notifier_.SetSilences(silences_);
  }
  notifier_.Unsilence(s.id, now);
  spdlog::info("alerts: silence {} expired by {}", s.id, actor);
  return s;
}

}  // namespace sakchy::alerts

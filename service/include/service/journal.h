#pragma once
// Logging into the systemd journal. When stderr is the journal's stream ($JOURNAL_STREAM names
// it, as systemd sets for StandardError=journal), text records are written as "<6>message"
// (journald keeps the time and reads the syslog priority) and JSON records (logging.format: json)
// are sent as native journal fields, so `journalctl -u sakchy SAKCHY_LEVEL=error` and
// `journalctl -o json` see them. Thread-safe; no state.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sakchy::service {

// True when $JOURNAL_STREAM names the device and inode of stderr.
bool StderrIsJournal();

// The journal fields of one JSON log record ({"time":..,"level":..,"msg":..,...}): MESSAGE= the
// msg, PRIORITY= `priority` (syslog 0..7), SYSLOG_IDENTIFIER=sakchy, and SAKCHY_<NAME>=value for
// every other member but time (NAME upper-cased, other characters as '_'; strings as they are,
// other values as JSON). Empty when `record` is not a JSON object.
std::vector<std::string> JournalFields(std::string_view record, int priority);

// The fields a log message names, for JSON records: "component" (the "name: " prefix, e.g.
// "alerts"), ids after their noun ("request <id>", "alert <ULID>", "report <ULID>",
// "event <ULID>", "cluster <ULID>", "contact <id>", "group <key>", "source <id>"; a ULID right
// after "alerts: " is an alert's) as request_id, alert_id, report_id, event_id, cluster_id,
// contact_id, group_key, source_id, and every "key=value" token. In order of appearance; the
// first of each name wins.
std::vector<std::pair<std::string, std::string>> MessageFields(std::string_view message);

}  // namespace sakchy::service

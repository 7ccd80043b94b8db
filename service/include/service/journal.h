#pragma once
// Logging into the systemd journal. When stderr is the journal's stream ($JOURNAL_STREAM names
// it, as systemd sets for StandardError=journal), text records are written as "<6>message"
// (journald keeps the time and reads the syslog priority) and JSON records (logging.format: json)
// are sent as native journal fields, so `journalctl -u sakchy SAKCHY_LEVEL=error` and
// `journalctl -o json` see them. Thread-safe; no state.

#include <string>
#include <string_view>
#include <vector>

namespace sakchy::service {

// True when $JOURNAL_STREAM names the device and inode of stderr.
bool StderrIsJournal();

// The journal fields of one JSON log record ({"time":..,"level":..,"msg":..,...}): MESSAGE= the
// msg, PRIORITY= `priority` (syslog 0..7), SYSLOG_IDENTIFIER=sakchy, and SAKCHY_<NAME>=value for
// every other member but time (NAME upper-cased, other characters as '_'; strings as they are,
// other values as JSON). Empty when `record` is not a JSON object.
std::vector<std::string> JournalFields(std::string_view record, int priority);

}  // namespace sakchy::service

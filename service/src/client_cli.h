#pragma once
// The client commands of `sakchy` for people and scripts, against a running service (command
// line parsed by CLI11): report, import FILE.ndjson, export events.csv|areas.geojson, alerts, ack.
// Each takes --url (default $SAKCHY_URL, else http://127.0.0.1:8080) and reads the bearer token
// from SAKCHY_TOKEN. Blocking; progress on standard error.

namespace sakchy::service {

// Whether argv[1] names a client command.
bool IsClientCommand(const char* command);
// Runs it; the exit status: 0 ok, 1 the service refused or failed, 2 usage.
int ClientCommand(int argc, char** argv);

}  // namespace sakchy::service

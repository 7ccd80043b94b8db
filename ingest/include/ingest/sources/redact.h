#pragma once
// Secrets out of URLs and messages before they are logged or shown. Pure: no I/O.

#include <string>
#include <string_view>

namespace sakchy::ingest::sources {

// Replaces the bot token in "/bot<token>/" (and access_token=... query values) by "<redacted>".
// Every URL that might carry a secret goes through this before it is logged or put in an error.
std::string RedactSecrets(std::string_view text);

}  // namespace sakchy::ingest::sources

// libFuzzer target: the Telegram getUpdates parser and the token redaction on any bytes.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/telegram_updates.h"
#include "ingest/sources/redact.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  (void)sakchy::telegram::ParseUpdates(in);
  // Redaction never invents a token path.
  const std::string redacted = sakchy::ingest::sources::RedactSecrets(in);
  if (redacted.find("/bot") != std::string::npos && in.find("/bot") == std::string_view::npos) {
    std::abort();
  }
  return 0;
}

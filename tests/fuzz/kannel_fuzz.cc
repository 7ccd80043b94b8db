// libFuzzer target: the Kannel MO callback parser (ingest::ParseKannelMo) and the phone number
// normaliser on any parameters. The input is split at NUL bytes into id, from, text, ts, coding,
// charset (the secret and the remote address are right, so every input reaches the decoding).
// A report it returns must carry valid UTF-8 and a pseudonym, never the raw number.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>

#include "core/utf8.h"
#include "ingest/kannel.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const char* kNames[] = {"id", "from", "text", "ts", "coding", "charset"};
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::map<std::string, std::string> params{{"secret", "fuzz-secret-0123456789"}};
  for (const char* name : kNames) {
    const auto nul = in.find('\0');
    params[name] = std::string(in.substr(0, nul));
    if (nul == std::string_view::npos) break;
    in.remove_prefix(nul + 1);
  }
  static const sakchy::ingest::KannelSettings settings = [] {
    sakchy::ingest::KannelSettings s;
    s.secret = "fuzz-secret-0123456789";
    s.allowed_ips = {"127.0.0.1"};
    s.pseudonym_key = "fuzz-pseudonym-key-0123456789";
    s.follow_up_window_ms = 600000;
    return s;
  }();
  auto report = sakchy::ingest::ParseKannelMo(params, "127.0.0.1", settings);
  if (report) {
    Check(sakchy::IsValidUtf8(report->text) && !report->text.empty());
    Check(report->submitted_by.rfind("sms:", 0) == 0 && report->submitted_by.size() == 20);
    Check(report->source_ref.size() <= 256);
  }
  if (auto number = sakchy::ingest::NormalizePhoneNumber(params["from"])) {
    Check(number->size() >= 9 && number->size() <= 16 && (*number)[0] == '+');
  }
  return 0;
}

#pragma once
// Start-up helpers of Serve() (service.cc): the demo set-up, the --listen override, server
// options, process limits and metrics. Called once, on the main thread, before serving.

#include <string>
#include <utility>
#include <vector>

#include "config/config.h"
#include "core/metrics.h"
#include "core/result.h"
#include "service/http.h"

namespace sakchy::service::internal {

// Where demo mode keeps its generated secrets.
inline constexpr const char* kDemoDir = "./var";

// Demo mode (no --config): secrets and tokens are generated once and kept under ./var with mode
// 0600, so the first run works without any set-up and later runs keep the same tokens. The demo
// official covers the Osh region and Osh city (the demo contact's areas).
inline constexpr const char* kDemoOfficialAreas = "KG-O+KG-GO";
struct DemoSecrets {
  std::string webhook_secret;
  std::string whatsapp_app_secret;  // signs the demo's WhatsApp webhook calls (run.sh)
  std::vector<std::pair<std::string, std::string>> tokens;  // role, token
};

// The demo's stand-in for WhatsApp's Graph API: run.sh serves it on this loopback address and
// prints each message Sakchy sends there, so the first run shows a reporter being answered.
inline constexpr const char* kDemoWhatsAppApi = "http://127.0.0.1:8098/v21.0";
inline constexpr const char* kDemoWhatsAppPhoneId = "100000000000001";

// Demo mode only: a WhatsApp tipline whose Graph API is kDemoWhatsAppApi, and replies to
// reporters, unless the configuration already has them.
void EnableDemoTipline(const DemoSecrets& secrets, config::Config& cfg);

// Reads the demo secrets under kDemoDir, or creates them (mode 0600).
Result<DemoSecrets> LoadOrCreateDemoSecrets();

// Prints "sakchy: <what>:\n<message>" to stderr; returns the exit code (1).
int Fail(const std::string& what, const Error& err);

// Applies a --listen HOST:PORT override to `cfg`.
Status ApplyListen(const std::string& listen, config::Config& cfg);

// Raises the soft limit of open descriptors to the hard one: connections, RocksDB's files and
// outgoing requests share it (the HTTP server takes at most half, HttpServer::Start).
void RaiseDescriptorLimit();

// The HTTP server's options from the configuration.
HttpServerOptions ServerOptions(const config::ServerConfig& s, MetricsRegistry& metrics);

// Memory as the process and its allocator see it, for /metrics (long runs must stay flat).
void RegisterProcessMetrics(MetricsRegistry& metrics);

}  // namespace sakchy::service::internal

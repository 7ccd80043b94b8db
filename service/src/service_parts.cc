#include "service_parts.h"

#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "core/allocator.h"
#include "core/crypto.h"

namespace sakchy::service::internal {

int Fail(const std::string& what, const Error& err) {
  std::fprintf(stderr, "sakchy: %s:\n%s\n", what.c_str(), err.message.c_str());
  return 1;
}

Result<DemoSecrets> LoadOrCreateDemoSecrets() {
  std::error_code ec;
  std::filesystem::create_directories(kDemoDir, ec);
  if (ec) return MakeError(ErrorCode::kIo, std::string("cannot create ") + kDemoDir + ": " + ec.message());
  const std::string path = std::string(kDemoDir) + "/demo-secrets";
  DemoSecrets s;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string key = line.substr(0, eq), value = line.substr(eq + 1);
    if (key == "webhook_secret") s.webhook_secret = value;
    else if (key == "whatsapp_app_secret") s.whatsapp_app_secret = value;
    else if (key.rfind("token_", 0) == 0) s.tokens.emplace_back(key.substr(6), value);
  }
  // Earlier files have no official token or WhatsApp secret: they are added, the rest is kept.
  const auto has = [&s](std::string_view role) {
    return std::any_of(s.tokens.begin(), s.tokens.end(),
                       [role](const auto& t) { return t.first == role; });
  };
  const bool complete = has("monitor") && has("analyst") && has("admin");
  if (!s.webhook_secret.empty() && complete && has("official") && !s.whatsapp_app_secret.empty()) {
    return s;
  }
  if (s.webhook_secret.empty() || !complete) {
    s = DemoSecrets{};
    s.webhook_secret = RandomHex(32);
    for (const char* role : {"monitor", "analyst", "admin"}) {
      s.tokens.emplace_back(role, std::string("demo-") + role + "-" + RandomHex(12));
    }
  }
  if (!has("official")) {
    s.tokens.emplace_back("official", std::string("demo-official-") + RandomHex(12));
  }
  if (s.whatsapp_app_secret.empty()) s.whatsapp_app_secret = RandomHex(32);
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << "# Demo secrets of `sakchy serve` without --config. Delete this file to rotate them.\n";
    out << "webhook_secret=" << s.webhook_secret << "\n";
    out << "whatsapp_app_secret=" << s.whatsapp_app_secret << "\n";
    for (const auto& [role, token] : s.tokens) out << "token_" << role << "=" << token << "\n";
    if (!out) return MakeError(ErrorCode::kIo, "cannot write " + tmp);
  }
  ::chmod(tmp.c_str(), 0600);
  std::filesystem::rename(tmp, path, ec);
  if (ec) return MakeError(ErrorCode::kIo, "cannot write " + path + ": " + ec.message());
  return s;
}

void EnableDemoTipline(const DemoSecrets& secrets, config::Config& cfg) {
  if (!cfg.whatsapp.enabled) {
    cfg.whatsapp.enabled = true;
    cfg.whatsapp.verify_token = secrets.webhook_secret + "-verify";
    cfg.whatsapp.app_secret = secrets.whatsapp_app_secret;
    cfg.whatsapp.access_token = "demo";
    cfg.whatsapp.phone_number_id = kDemoWhatsAppPhoneId;
    cfg.whatsapp.api_base = kDemoWhatsAppApi;
    cfg.whatsapp.origin = "demo mode (no --config)";
  }
  if (!cfg.replies.enabled) {
    cfg.replies.enabled = true;
    cfg.replies.origin = "demo mode (no --config)";
  }
}

Status ApplyListen(const std::string& listen, config::Config& cfg) {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "--listen must be HOST:PORT (e.g. 127.0.0.1:8080), not '" + listen + "'");
  }
  std::string host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  int port = 0;
  try {
    size_t used = 0;
    port = std::stoi(listen.substr(colon + 1), &used);
    if (used != listen.size() - colon - 1) port = -1;
  } catch (...) {
    port = -1;
  }
  if (port < 0 || port > 65535) {
    return MakeError(ErrorCode::kInvalidArgument, "--listen port must be 0..65535 in '" + listen + "'");
  }
  cfg.server.listen_host = host;
  cfg.server.listen_port = static_cast<std::uint16_t>(port);
  return OkStatus();
}

void RaiseDescriptorLimit() {
  struct rlimit rl {};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= rl.rlim_max) return;
  const rlim_t before = rl.rlim_cur;
  rl.rlim_cur = rl.rlim_max;
  if (::setrlimit(RLIMIT_NOFILE, &rl) == 0) {
    spdlog::info("descriptor limit raised from {} to {}", before, rl.rlim_cur);
  }
}

HttpServerOptions ServerOptions(const config::ServerConfig& s, MetricsRegistry& metrics) {
  HttpServerOptions o;
  o.host = s.listen_host;
  o.port = s.listen_port;
  o.max_body_bytes = s.max_body_bytes;
  o.bulk_paths = {"/v1/reports:batch"};
  o.max_bulk_body_bytes = std::max<std::size_t>(s.max_body_bytes, 64 << 20);
  o.max_body_bytes_in_flight = s.max_body_bytes_in_flight;
  o.max_connections = s.max_connections;
  o.max_connections_per_ip = s.max_connections_per_ip;
  o.idle_timeout_seconds = s.idle_timeout_seconds;
  o.header_timeout_seconds = s.header_timeout_seconds;
  o.body_timeout_seconds = s.body_timeout_seconds;
  if (s.tls) o.tls = HttpTlsOptions{s.tls->cert_file, s.tls->key_file, s.tls->min_version};
  o.metrics = &metrics;
  return o;
}

void RegisterProcessMetrics(MetricsRegistry& metrics) {
  RegisterStandardProcessMetrics(metrics);  // process_* and sakchy_build_info (core/metrics.h)
  metrics.AddCallbackGauge("process_resident_memory_bytes", "Resident memory of the process", {},
                           [] {
                             std::ifstream statm("/proc/self/statm");
                             std::size_t pages = 0;
                             std::size_t resident = 0;
                             statm >> pages >> resident;
                             return static_cast<double>(resident) *
                                    static_cast<double>(sysconf(_SC_PAGESIZE));
                           });
  if (!ReadAllocatorStats()) return;  // glibc malloc: no figures
  using Field = std::size_t AllocatorStats::*;
  const std::pair<const char*, Field> fields[] = {
      {"allocated", &AllocatorStats::allocated},
      {"active", &AllocatorStats::active},
      {"resident", &AllocatorStats::resident},
      {"retained", &AllocatorStats::retained}};
  for (const auto& [kind, field] : fields) {
    metrics.AddCallbackGauge("sakchy_allocator_bytes",
                             "Memory of the allocator (jemalloc stats.<kind>)", {{"kind", kind}},
                             [field] {
                               auto stats = ReadAllocatorStats();
                               return stats ? static_cast<double>((*stats).*field) : 0.0;
                             });
  }
}

}  // namespace sakchy::service::internal

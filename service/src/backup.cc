#include "service/backup.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/json.hpp>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "cli_http.h"
#include "config/config.h"
#include "core/json_text.h"
#include "storage/audit.h"

namespace sakchy::service {

namespace net = boost::asio;
namespace http = boost::beast::http;
namespace json = boost::json;

namespace {

using Channel = net::experimental::concurrent_channel<void(boost::system::error_code, std::string)>;

std::string ProgressLine(const storage::BackupProgress& p) {
  return "{\"bytes_done\":" + std::to_string(p.bytes_done) +
         ",\"bytes_total\":" + std::to_string(p.bytes_total) + "}\n";
}

class BackupStream final : public BodyStream {
 public:
  BackupStream(storage::Store& store, net::thread_pool& pool, std::string dir, std::string actor,
               const Clock& clock, IdGenerator& audit_ids, std::atomic<bool>* running)
      : store_(store),
        pool_(pool),
        dir_(std::move(dir)),
        actor_(std::move(actor)),
        clock_(clock),
        audit_ids_(audit_ids),
        running_(running) {}

  ~BackupStream() override {
    if (!channel_) running_->store(false);  // never started (the client went away first)
  }

  net::awaitable<Result<std::string>> Next() override {
    if (finished_) co_return std::string();
    if (!channel_) {
      auto ex = co_await net::this_coro::executor;
      channel_ = std::make_shared<Channel>(ex, 64);
      Start();
    }
    auto [ec, line] = co_await channel_->async_receive(net::as_tuple(net::use_awaitable));
    if (ec) co_return MakeError(ErrorCode::kInternal, "backup progress: " + ec.message());
    if (line.starts_with("{\"status\"")) finished_ = true;
    co_return line;
  }

 private:
  // Runs the backup on the pool; progress lines are dropped when the client lags (the last one
  // always arrives).
  void Start() {
    auto channel = channel_;
    std::atomic<bool>* running = running_;
    storage::Store* store = &store_;
    const Clock* clock = &clock_;
    IdGenerator* ids = &audit_ids_;
    net::post(pool_, [channel, running, store, clock, ids, dir = dir_, actor = actor_]() {
      std::uint64_t last_percent = 101;
      auto progress = [&channel, &last_percent](const storage::BackupProgress& p) {
        const std::uint64_t percent = p.bytes_total ? p.bytes_done * 100 / p.bytes_total : 0;
        if (percent == last_percent) return;
        last_percent = percent;
        (void)channel->try_send(boost::system::error_code(), ProgressLine(p));
      };
      auto info = store->CreateBackup(dir, progress);
      json::object last;
      storage::AuditEntry audit{ids->Next(), clock->NowMs(), actor, "backup.create", dir, ""};
      if (info) {
        last = json::object{{"status", "done"},     {"backup_id", info->id},
                            {"bytes", info->bytes}, {"files", info->files},
                            {"dir", dir}};
        audit.details = ToJsonText(json::value(json::object{{"backup_id", info->id},
                                                            {"bytes", info->bytes}}));
      } else {
        spdlog::error("backup to {} failed: {}", dir, info.error().ToString());
        last = json::object{{"status", "failed"}, {"error", info.error().message}};
        audit.details = ToJsonText(json::value(json::object{{"error", info.error().message}}));
      }
      if (auto st = storage::AppendAudit(*store, audit); !st) {
        spdlog::error("backup: audit entry not written: {}", st.error().ToString());
      }
      running->store(false);
      // No capture: a pending send must not keep its own channel alive after the reader left.
      auto done = [](boost::system::error_code) {};
      channel->async_send(boost::system::error_code(), ToJsonText(json::value(last)) + "\n", done);
    });
  }

  storage::Store& store_;
  net::thread_pool& pool_;
  std::string dir_;
  std::string actor_;
  const Clock& clock_;
  IdGenerator& audit_ids_;
  std::atomic<bool>* running_;
  std::shared_ptr<Channel> channel_;
  bool finished_ = false;
};

// ---- Command line ----

// Progress on stderr: a line redrawn in place on a terminal, every 10% otherwise.
class ProgressPrinter {
 public:
  explicit ProgressPrinter(std::string label) : label_(std::move(label)), tty_(::isatty(2)) {}
  void Update(std::uint64_t done, std::uint64_t total) {
    const int percent = total ? static_cast<int>(done * 100 / total) : 0;
    if (tty_) {
      std::fprintf(stderr, "\r%s: %3d%%  %.1f of %.1f MB", label_.c_str(), percent,
                   static_cast<double>(done) / 1e6, static_cast<double>(total) / 1e6);
    } else if (percent / 10 != last_ / 10 || last_ < 0) {
      std::fprintf(stderr, "%s: %d%% (%.1f of %.1f MB)\n", label_.c_str(), percent,
                   static_cast<double>(done) / 1e6, static_cast<double>(total) / 1e6);
    }
    last_ = percent;
    std::fflush(stderr);
  }
  void Finish() {
    if (tty_ && last_ >= 0) std::fputc('\n', stderr);
  }

 private:
  std::string label_;
  bool tty_;
  int last_ = -1;
};

Result<std::string> ResolveDataDir(const DataDirChoice& a) {
  if (!a.data_dir.empty()) return a.data_dir;
  if (!a.config.empty()) {
    auto cfg = config::LoadConfigFile(a.config);
    if (!cfg) return tl::unexpected(cfg.error());
    return cfg->storage.data_dir;
  }
  return std::string("./var/data");
}

int OnlineBackup(const std::string& url, const std::string& dir) {
  const char* token = std::getenv("SAKCHY_ADMIN_TOKEN");
  if (!token || !*token) {
    std::fprintf(stderr, "sakchy backup: set SAKCHY_ADMIN_TOKEN to an admin token of the service\n");
    return 2;
  }
  const auto to = cli::ParseUrl(url);
  if (!to) {
    std::fprintf(stderr, "sakchy backup: --url must be http://HOST:PORT, not '%s'\n", url.c_str());
    return 2;
  }
  ProgressPrinter printer("backup");
  std::string pending;
  int result = 1;
  std::string final_line;
  auto on_chunk = [&](std::string_view body) {
    pending.append(body);
    for (auto nl = pending.find('\n'); nl != std::string::npos; nl = pending.find('\n')) {
      const std::string line = pending.substr(0, nl);
      pending.erase(0, nl + 1);
      boost::system::error_code jec;
      auto v = json::parse(line, jec);
      if (jec || !v.is_object()) continue;
      const auto& o = v.as_object();
      if (o.contains("bytes_done")) {
        printer.Update(o.at("bytes_done").to_number<std::uint64_t>(),
                       o.at("bytes_total").to_number<std::uint64_t>());
      } else if (o.contains("status")) {
        final_line = line;
        if (o.at("status") == "done") {
          const auto bytes = o.at("bytes").to_number<std::uint64_t>();
          printer.Update(bytes, bytes);
          result = 0;
        }
      }
    }
  };
  const cli::Reply r =
      cli::Exchange(*to, token,
                    {.verb = http::verb::post,
                     .target = "/v1/admin/backup",
                     .body = ToJsonText(json::value(json::object{{"dir", dir}})),
                     .content_type = "application/json",
                     .on_chunk = on_chunk});
  printer.Finish();
  if (r.status == 0) {
    std::fprintf(stderr, "sakchy backup: %s: %s\n", url.c_str(), r.error.c_str());
    return 1;
  }
  if (r.status != 200) {
    std::fprintf(stderr, "sakchy backup: the service answered %u: %s\n", r.status, r.body.c_str());
    return 1;
  }
  std::printf("%s\n", final_line.c_str());
  return result;
}

}  // namespace

std::shared_ptr<BodyStream> MakeBackupStream(storage::Store& store, net::thread_pool& pool,
                                             std::string dir, std::string actor,
                                             const Clock& clock, IdGenerator& audit_ids,
                                             std::atomic<bool>* running) {
  return std::make_shared<BackupStream>(store, pool, std::move(dir), std::move(actor), clock,
                                        audit_ids, running);
}

int BackupCommand(const std::string& backup_dir, const DataDirChoice& a) {
  const std::string dir = std::filesystem::absolute(backup_dir).lexically_normal().string();
  if (!a.url.empty()) return OnlineBackup(a.url, dir);
  auto data_dir = ResolveDataDir(a);
  if (!data_dir) {
    std::fprintf(stderr, "%s\n", data_dir.error().message.c_str());
    return 1;
  }
  if (!std::filesystem::exists(std::filesystem::path(*data_dir) / "CURRENT")) {
    std::fprintf(stderr, "sakchy backup: %s holds no database\n", data_dir->c_str());
    return 1;
  }
  spdlog::set_level(spdlog::level::warn);
  auto store = storage::Store::Open({*data_dir, true});
  if (!store) {
    const bool locked = store.error().message.find("lock") != std::string::npos;
    std::fprintf(stderr, "sakchy backup: cannot open %s: %s\n%s", data_dir->c_str(),
                 store.error().message.c_str(),
                 locked ? "A running service holds it: back it up with --url http://HOST:PORT "
                          "(and SAKCHY_ADMIN_TOKEN).\n"
                        : "");
    return 1;
  }
  ProgressPrinter printer("backup");
  auto info = (*store)->CreateBackup(
      dir, [&printer](const storage::BackupProgress& p) { printer.Update(p.bytes_done, p.bytes_total); });
  printer.Finish();
  if (!info) {
    std::fprintf(stderr, "sakchy backup: %s\n", info.error().message.c_str());
    return 1;
  }
  std::printf("backup %u of %s written to %s (%u files, %.1f MB)\n", info->id, data_dir->c_str(),
              dir.c_str(), info->files, static_cast<double>(info->bytes) / 1e6);
  return 0;
}

int RestoreCommand(const std::string& backup_dir, const DataDirChoice& a, bool force) {
  auto data_dir = ResolveDataDir(a);
  if (!data_dir) {
    std::fprintf(stderr, "%s\n", data_dir.error().message.c_str());
    return 1;
  }
  spdlog::set_level(spdlog::level::warn);
  ProgressPrinter printer("restore");
  auto info = storage::Store::RestoreBackup(
      backup_dir, *data_dir, force,
      [&printer](const storage::BackupProgress& p) { printer.Update(p.bytes_done, p.bytes_total); });
  printer.Finish();
  if (!info) {
    std::fprintf(stderr, "sakchy restore: %s\n", info.error().message.c_str());
    return 1;
  }
  // Opening checks the schema (and migrates an older one) before the service starts on it.
  auto store = storage::Store::Open({*data_dir, true});
  if (!store) {
    std::fprintf(stderr, "sakchy restore: the restored database does not open: %s\n",
                 store.error().message.c_str());
    return 1;
  }
  std::printf("restored backup %u from %s into %s (%u files, %.1f MB)\n", info->id,
              backup_dir.c_str(), data_dir->c_str(), info->files,
              static_cast<double>(info->bytes) / 1e6);
  if (!info->replaced_dir.empty()) {
    std::printf("the directory it replaced is kept in %s (remove it when no longer needed)\n",
                info->replaced_dir.c_str());
  }
  return 0;
}

}  // namespace sakchy::service

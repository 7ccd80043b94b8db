#include "logging.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>

#include "core/time.h"

namespace sakchy::service {
namespace {

// One JSON object per line: {"time": ..., "level": ..., "msg": ...}, with proper escaping.
class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(msg.time.time_since_epoch());
    Append(dest, "{\"time\":\"");
    Append(dest, FormatRfc3339(ms.count()));
    Append(dest, "\",\"level\":\"");
    auto level = spdlog::level::to_string_view(msg.level);
    dest.append(level.data(), level.data() + level.size());
    Append(dest, "\",\"msg\":\"");
    Escape(dest, std::string_view(msg.payload.data(), msg.payload.size()));
    Append(dest, "\"}\n");
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }

 private:
  static void Append(spdlog::memory_buf_t& dest, std::string_view s) {
    dest.append(s.data(), s.data() + s.size());
  }
  static void Escape(spdlog::memory_buf_t& dest, std::string_view s) {
    for (char c : s) {
      switch (c) {
        case '"': Append(dest, "\\\""); break;
        case '\\': Append(dest, "\\\\"); break;
        case '\n': Append(dest, "\\n"); break;
        case '\r': Append(dest, "\\r"); break;
        case '\t': Append(dest, "\\t"); break;
        default:
          if (static_cast<unsigned char>(c) < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof(buf), "\\u%04x", c);
            Append(dest, buf);
          } else {
            dest.push_back(c);
          }
      }
    }
  }
};

}  // namespace

Status SetupLogging(const std::string& format, const std::string& level) {
  auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  auto logger = std::make_shared<spdlog::logger>("sakchy", sink);
  if (format == "json") {
    logger->set_formatter(std::make_unique<JsonFormatter>());
  } else if (format == "text" || format.empty()) {
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ %v");
  } else {
    return MakeError(ErrorCode::kInvalidArgument,
                     "--log-format must be text or json, not '" + format + "'");
  }
  auto lvl = spdlog::level::from_str(level.empty() ? "info" : level);
  if (lvl == spdlog::level::off && level != "off") {
    return MakeError(ErrorCode::kInvalidArgument, "unknown log level '" + level + "'");
  }
  logger->set_level(lvl);
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(logger);
  return OkStatus();
}

}  // namespace sakchy::service

#include "logging.h"

#include <boost/json.hpp>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <vector>

#include "core/time.h"
#include "service/journal.h"

namespace sakchy::service {
namespace {

// One JSON object per line: {"time": ..., "level": ..., "msg": ..., and the fields the message
// names (MessageFields): "component", "alert_id", "request_id" ...}, with proper escaping.
class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(msg.time.time_since_epoch());
    Append(dest, "{\"time\":\"");
    Append(dest, FormatRfc3339(ms.count()));
    Append(dest, "\",\"level\":\"");
    auto level = spdlog::level::to_string_view(msg.level);
    dest.append(level.data(), level.data() + level.size());
    const std::string_view text(msg.payload.data(), msg.payload.size());
    Append(dest, "\",\"msg\":\"");
    Escape(dest, text);
    Append(dest, "\"");
    for (const auto& [name, value] : MessageFields(text)) {
      Append(dest, ",\"");
      Append(dest, name);  // [a-z_]: nothing to escape
      Append(dest, "\":\"");
      Escape(dest, value);
      Append(dest, "\"");
    }
    Append(dest, "}\n");
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

// syslog priority of a level (sd-daemon(3) prefixes, journal PRIORITY=).
int Priority(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::critical: return 2;
    case spdlog::level::err: return 3;
    case spdlog::level::warn: return 4;
    case spdlog::level::info: return 6;
    default: return 7;
  }
}

// Text for the journal: "<6>message"; journald adds the time and reads the priority.
class JournalTextFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const std::string prefix = "<" + std::to_string(Priority(msg.level)) + ">";
    dest.append(prefix.data(), prefix.data() + prefix.size());
    dest.append(msg.payload.data(), msg.payload.data() + msg.payload.size());
    dest.push_back('\n');
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JournalTextFormatter>();
  }
};

// JSON records as native journal fields (sd_journal_sendv); a record the journal refuses goes to
// stderr as its JSON line, so nothing is lost.
class JournalSink final : public spdlog::sinks::base_sink<std::mutex> {
 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t line;
    formatter_->format(msg, line);
    const std::string_view record(line.data(), line.size());
    const auto fields = JournalFields(record, Priority(msg.level));
    std::vector<iovec> iov;
    iov.reserve(fields.size());
    for (const auto& f : fields) iov.push_back({const_cast<char*>(f.data()), f.size()});
    if (iov.empty() || sd_journal_sendv(iov.data(), static_cast<int>(iov.size())) < 0) {
      std::fwrite(record.data(), 1, record.size(), stderr);
    }
  }
  void flush_() override { std::fflush(stderr); }
};

}  // namespace

namespace {

bool IsUlid(std::string_view s) {
  if (s.size() != 26) return false;
  for (char c : s) {
    const bool ok = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z' && c != 'I' && c != 'L' &&
                                               c != 'O' && c != 'U');
    if (!ok) return false;
  }
  return true;
}

bool IsKeyChar(char c) { return (c >= 'a' && c <= 'z') || c == '_'; }

// The token at `at`: up to a space, comma, semicolon or closing bracket; quotes and a trailing
// full stop or colon dropped.
std::string_view TokenAt(std::string_view s, std::size_t at) {
  std::size_t end = at;
  while (end < s.size() && s[end] != ' ' && s[end] != ',' && s[end] != ';' && s[end] != ')') {
    ++end;
  }
  std::string_view t = s.substr(at, end - at);
  while (!t.empty() && (t.back() == '.' || t.back() == ':' || t.back() == '\'')) t.remove_suffix(1);
  while (!t.empty() && (t.front() == '\'' || t.front() == '(')) t.remove_prefix(1);
  return t;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> MessageFields(std::string_view m) {
  std::vector<std::pair<std::string, std::string>> out;
  auto add = [&out](std::string name, std::string_view value) {
    if (value.empty()) return;
    for (const auto& f : out) {
      if (f.first == name) return;
    }
    out.emplace_back(std::move(name), std::string(value));
  };
  // "component: ..."
  std::size_t colon = 0;
  while (colon < m.size() && IsKeyChar(m[colon])) ++colon;
  if (colon > 0 && m.substr(colon, 2) == ": ") {
    add("component", m.substr(0, colon));
    if (m.substr(0, colon) == "alerts" && IsUlid(TokenAt(m, colon + 2))) {
      add("alert_id", TokenAt(m, colon + 2));
    }
  }
  static constexpr std::pair<std::string_view, std::string_view> kNouns[] = {
      {"request", "request_id"}, {"alert", "alert_id"},     {"report", "report_id"},
      {"event", "event_id"},     {"cluster", "cluster_id"}, {"contact", "contact_id"},
      {"group", "group_key"},    {"source", "source_id"}};
  for (std::size_t i = 0; i < m.size(); ++i) {
    if (i > 0 && m[i - 1] != ' ' && m[i - 1] != '(') continue;  // word starts only
    std::size_t key_end = i;
    while (key_end < m.size() && IsKeyChar(m[key_end])) ++key_end;
    if (key_end == i || key_end >= m.size()) continue;
    const std::string_view word = m.substr(i, key_end - i);
    if (m[key_end] == '=') {  // key=value
      add(std::string(word), TokenAt(m, key_end + 1));
      continue;
    }
    if (m[key_end] != ' ') continue;
    for (const auto& [noun, name] : kNouns) {
      if (word != noun) continue;
      const std::string_view value = TokenAt(m, key_end + 1);
      const bool ulid_kind = name == "alert_id" || name == "report_id" || name == "event_id" ||
                             name == "cluster_id";
      if (ulid_kind ? IsUlid(value) : !value.empty() && value.find('\'') == std::string::npos &&
                                          value != "is" && value != "has" && value != "of") {
        add(std::string(name), value);
      }
    }
  }
  return out;
}

bool StderrIsJournal() {
  const char* stream = std::getenv("JOURNAL_STREAM");  // "<device>:<inode>", set by systemd
  if (stream == nullptr) return false;
  struct stat st {};
  if (::fstat(STDERR_FILENO, &st) != 0) return false;
  unsigned long long dev = 0, ino = 0;
  if (std::sscanf(stream, "%llu:%llu", &dev, &ino) != 2) return false;
  return dev == static_cast<unsigned long long>(st.st_dev) &&
         ino == static_cast<unsigned long long>(st.st_ino);
}

std::vector<std::string> JournalFields(std::string_view record, int priority) {
  namespace json = boost::json;
  boost::system::error_code ec;
  json::value v = json::parse(record, ec);
  if (ec || !v.is_object()) return {};
  std::vector<std::string> fields;
  const auto& o = v.as_object();
  const json::value* msg = o.if_contains("msg");
  fields.push_back("MESSAGE=" + (msg && msg->is_string() ? std::string(msg->as_string())
                                                          : std::string(record)));
  fields.push_back("PRIORITY=" + std::to_string(priority));
  fields.push_back("SYSLOG_IDENTIFIER=sakchy");
  for (const auto& [key, value] : o) {
    if (key == "msg" || key == "time") continue;  // MESSAGE; the journal keeps its own time
    // Journal field names: upper-case letters, digits and underscores, not starting with one.
    std::string name = "SAKCHY_";
    for (char c : key) {
      const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
      name += alnum ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : '_';
    }
    fields.push_back(name + "=" + (value.is_string() ? std::string(value.as_string())
                                                      : json::serialize(value)));
  }
  return fields;
}

Status SetupLogging(const std::string& format, const std::string& level) {
  // Under systemd (stderr is the journal's stream) the journal keeps time and priority itself.
  const bool journal = StderrIsJournal();
  spdlog::sink_ptr sink;
  if (journal && format == "json") {
    sink = std::make_shared<JournalSink>();
  } else {
    sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  }
  auto logger = std::make_shared<spdlog::logger>("sakchy", sink);
  if (format == "json") {
    logger->set_formatter(std::make_unique<JsonFormatter>());
  } else if ((format == "text" || format.empty()) && journal) {
    logger->set_formatter(std::make_unique<JournalTextFormatter>());
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

// The client commands of `sakchy` for people and scripts, against a running service: report,
// import FILE.ndjson, export events.csv|areas.geojson, alerts, ack. Each takes --url (default
// $SAKCHY_URL, else http://127.0.0.1:8080) and reads the bearer token from SAKCHY_TOKEN.
// Blocking; progress on standard error. Exit status: 0 ok, 1 the service refused or failed.

#include "cli_commands.h"

#include <unistd.h>

#include <boost/beast/http/verb.hpp>
#include <boost/json.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "cli_http.h"
#include "core/crypto.h"

namespace sakchy::service {
namespace {

namespace http = boost::beast::http;
namespace json = boost::json;

constexpr std::size_t kImportBatchLines = 500;
constexpr int kMaxBusyRetries = 20;

using cli::Reply;
using cli::Target;

// The problem document's detail, or the body.
std::string Explain(const Reply& r) {
  if (r.status == 0) return r.error;
  boost::system::error_code ec;
  auto v = json::parse(r.body, ec);
  std::string out = "HTTP " + std::to_string(r.status);
  if (!ec && v.is_object() && v.as_object().contains("detail")) {
    out += ": " + std::string(v.at("detail").as_string());
    if (v.as_object().contains("field")) out += " (" + std::string(v.at("field").as_string()) + ")";
    return out;
  }
  return out + ": " + r.body.substr(0, 300);
}

std::string Encode(const std::string& s) {
  return boost::urls::encode(s, boost::urls::unreserved_chars);
}

bool Tty() { return isatty(STDERR_FILENO) == 1; }

// What every client command shares.
struct Common {
  std::string url;
  Target target;
  std::string token;
};

// ---- sakchy report ----

struct ReportArgs {
  std::vector<std::string> words;
  std::string area, source_ref, observed_at;
};

int RunReport(const Common& c, const ReportArgs& a) {
  std::string text;
  for (const auto& w : a.words) text += (text.empty() ? "" : " ") + w;
  if (text.empty() || text == "-") {  // the text from standard input
    text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  }
  json::object o{{"text", text}};
  if (!a.area.empty()) o["area"] = a.area;
  if (!a.source_ref.empty()) o["source_ref"] = a.source_ref;
  if (!a.observed_at.empty()) o["observed_at"] = a.observed_at;
  std::map<std::string, std::string> headers;
  if (!a.source_ref.empty()) headers["Idempotency-Key"] = a.source_ref;
  const Reply r = cli::Exchange(c.target, c.token,
                                {.verb = http::verb::post,
                                 .target = "/v1/reports",
                                 .body = json::serialize(o),
                                 .content_type = "application/json",
                                 .headers = std::move(headers)});
  if (r.status / 100 != 2) {
    std::fprintf(stderr, "sakchy report: %s\n", Explain(r).c_str());
    return 1;
  }
  std::printf("%s\n", r.body.c_str());
  return 0;
}

// ---- sakchy import ----

struct ImportArgs {
  std::string file;
  bool restart = false;
  std::size_t batch = kImportBatchLines;
};

// `line` with a source_ref: its own, else "import:" and the first 32 hex digits of its SHA-256,
// so that sending it again is a duplicate, not a second report. Lines that are not JSON objects
// go as they are (the service rejects them and says why).
std::string WithSourceRef(const std::string& line) {
  boost::system::error_code ec;
  auto v = json::parse(line, ec);
  if (ec || !v.is_object()) return line;
  auto& o = v.as_object();
  if (o.contains("source_ref") && o.at("source_ref").is_string() &&
      !o.at("source_ref").as_string().empty()) {
    return line;
  }
  o["source_ref"] = "import:" + Sha256Hex(line).substr(0, 32);
  return json::serialize(v);
}

void ShowProgress(std::size_t done, std::size_t total) {
  if (!Tty() || total == 0) return;
  const int width = 30;
  const int filled = static_cast<int>(width * done / total);
  std::fprintf(stderr, "\r[%s%s] %3zu%% %zu/%zu lines", std::string(filled, '#').c_str(),
               std::string(width - filled, ' ').c_str(), 100 * done / total, done, total);
  std::fflush(stderr);
}

int RunImport(const Common& c, const ImportArgs& a) {
  std::ifstream in(a.file, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "sakchy import: cannot read %s\n", a.file.c_str());
    return 1;
  }
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
  }
  // Resumable: FILE.progress holds how many lines the service already answered for.
  const std::string progress_path = a.file + ".progress";
  std::size_t done = 0;
  if (!a.restart) {
    std::ifstream p(progress_path);
    if (p >> done && done <= lines.size()) {
      std::fprintf(stderr, "sakchy import: resuming after line %zu (%s)\n", done,
                   progress_path.c_str());
    } else {
      done = 0;
    }
  }
  std::size_t accepted = 0, duplicate = 0, rejected = 0;
  while (done < lines.size()) {
    ShowProgress(done, lines.size());
    std::string body;
    std::vector<std::size_t> numbers;  // file line numbers (1-based) of the batch's lines
    std::size_t next = done;
    for (; next < lines.size() && numbers.size() < a.batch; ++next) {
      if (lines[next].find_first_not_of(" \t") == std::string::npos) continue;
      body += WithSourceRef(lines[next]) + "\n";
      numbers.push_back(next + 1);
    }
    Reply r;
    for (int attempt = 0;; ++attempt) {
      r = body.empty() ? Reply{200, R"({"results":[]})", "", ""}
                       : cli::Exchange(c.target, c.token,
                                       {.verb = http::verb::post,
                                        .target = "/v1/reports:batch",
                                        .body = body,
                                        .content_type = "application/x-ndjson"});
      const bool busy = r.status == 503 || r.status == 429;
      if (!busy || attempt >= kMaxBusyRetries) break;
      const int wait = std::max(1, std::atoi(r.retry_after.c_str()));
      std::this_thread::sleep_for(std::chrono::seconds(wait));  // the service asked to wait
    }
    if (r.status != 200) {
      if (Tty()) std::fputc('\n', stderr);
      std::fprintf(stderr, "sakchy import: lines %zu..%zu: %s\n(run the same command again to resume)\n",
                   done + 1, next, Explain(r).c_str());
      return 1;
    }
    boost::system::error_code ec;
    auto v = json::parse(r.body, ec);
    if (ec || !v.is_object()) {
      std::fprintf(stderr, "sakchy import: unexpected answer: %s\n", r.body.substr(0, 200).c_str());
      return 1;
    }
    // Lines refused only because the queue was full are sent again; the others count.
    std::size_t retry_from = next;
    for (const auto& item : v.at("results").as_array()) {
      const auto& o = item.as_object();
      const auto index = static_cast<std::size_t>(o.at("line").to_number<std::int64_t>()) - 1;
      const std::string status(o.at("status").as_string());
      if (index >= numbers.size()) continue;
      const std::size_t file_line = numbers[index];
      if (status == "accepted") {
        ++accepted;
      } else if (status == "duplicate") {
        ++duplicate;
      } else if (o.contains("detail") &&
                 std::string_view(o.at("detail").as_string()).find("queue is full") !=
                     std::string_view::npos) {
        retry_from = std::min(retry_from, file_line - 1);
      } else {
        ++rejected;
        if (Tty()) std::fputc('\n', stderr);
        std::fprintf(stderr, "%s:%zu: rejected: %s%s%s\n", a.file.c_str(), file_line,
                     o.contains("field") ? std::string(o.at("field").as_string()).c_str() : "",
                     o.contains("field") ? " " : "",
                     o.contains("detail") ? std::string(o.at("detail").as_string()).c_str() : "");
      }
    }
    done = retry_from;
    std::ofstream(progress_path, std::ios::trunc) << done << "\n";
    if (retry_from < next) {
      const int wait = std::max(1, std::atoi(r.retry_after.c_str()));
      std::this_thread::sleep_for(std::chrono::seconds(wait));  // the queue was full
    }
  }
  ShowProgress(lines.size(), lines.size());
  if (Tty()) std::fputc('\n', stderr);
  std::error_code ignored;
  std::filesystem::remove(progress_path, ignored);
  std::printf("%s: %zu lines: %zu accepted, %zu duplicates, %zu rejected\n", a.file.c_str(),
              lines.size(), accepted, duplicate, rejected);
  return rejected ? 1 : 0;
}

// ---- sakchy export ----

struct ExportArgs {
  std::string what;  // events.csv | areas.geojson
  std::string out;
  std::string area, from, to, severity, category, level;
  bool hxl = false, no_bom = false;
};

int RunExport(const Common& c, const ExportArgs& a) {
  std::string query;
  auto add = [&query](const char* name, const std::string& value) {
    if (value.empty()) return;
    query += (query.empty() ? "?" : "&") + std::string(name) + "=" + Encode(value);
  };
  add("area", a.area);
  add("from", a.from);
  add("to", a.to);
  add("severity", a.severity);
  add("category", a.category);
  add("level", a.level);
  if (a.what == "events.csv" && a.hxl) add("hxl", "1");
  if (a.what == "events.csv" && a.no_bom) add("bom", "0");
  const std::string out_path = a.out.empty() ? a.what : a.out;
  const std::string partial = out_path + ".part";
  std::ofstream out(partial, std::ios::binary | std::ios::trunc);
  if (!out) {
    std::fprintf(stderr, "sakchy export: cannot write %s\n", partial.c_str());
    return 1;
  }
  std::size_t bytes = 0, rows = 0;
  auto sink = [&](std::string_view piece) {
    out.write(piece.data(), static_cast<std::streamsize>(piece.size()));
    bytes += piece.size();
    for (char ch : piece) rows += ch == '\n' ? 1 : 0;
    if (Tty()) std::fprintf(stderr, "\rexport: %zu lines, %zu KiB", rows, bytes / 1024);
  };
  const Reply r = cli::Exchange(
      c.target, c.token, {.target = "/v1/export/" + a.what + query, .on_chunk = sink});
  out.close();
  if (Tty()) std::fputc('\n', stderr);
  std::error_code ignored;
  if (r.status != 200 || !out) {
    std::filesystem::remove(partial, ignored);
    std::fprintf(stderr, "sakchy export: %s\n", Explain(r).c_str());
    return 1;
  }
  std::filesystem::rename(partial, out_path, ignored);  // complete: only now under its name
  std::printf("%s: %zu lines, %zu bytes\n", out_path.c_str(), rows, bytes);
  return 0;
}

// ---- sakchy alerts / ack ----

struct AlertsArgs {
  bool unacked = false, acked = false, json = false;
  std::string state;
  int limit = 100;
};

std::string Field(const json::object& o, const char* name) {
  if (!o.contains(name)) return "";
  const auto& v = o.at(name);
  if (v.is_string()) return std::string(v.as_string());
  if (v.is_null()) return "";
  return json::serialize(v);
}

int RunAlerts(const Common& c, const AlertsArgs& a) {
  std::string target = "/v1/alerts?limit=" + std::to_string(a.limit);
  if (!a.state.empty()) target += "&state=" + Encode(a.state);
  const Reply r = cli::Exchange(c.target, c.token, {.target = target});
  if (r.status != 200) {
    std::fprintf(stderr, "sakchy alerts: %s\n", Explain(r).c_str());
    return 1;
  }
  const auto doc = json::parse(r.body);
  for (const auto& item : doc.at("alerts").as_array()) {
    const auto& o = item.as_object();
    const bool acknowledged = o.contains("acknowledged") && o.at("acknowledged").as_bool();
    if ((a.unacked && acknowledged) || (a.acked && !acknowledged)) continue;
    if (a.json) {
      std::printf("%s\n", json::serialize(item).c_str());
      continue;
    }
    std::printf("%s  %s  %-8s  %-12s  %-8s  %-9s  %s\n", Field(o, "id").c_str(),
                Field(o, "created_at").c_str(), Field(o, "severity").c_str(),
                Field(o, "area").c_str(), Field(o, "channel").c_str(), Field(o, "state").c_str(),
                acknowledged ? "acked" : "unacked");
  }
  return 0;
}

struct AckArgs {
  std::string id, note;
};

int RunAck(const Common& c, const AckArgs& a) {
  const std::string& id = a.id;
  json::object body;
  if (!a.note.empty()) body["note"] = a.note;
  const Reply r = cli::Exchange(c.target, c.token,
                                {.verb = http::verb::post,
                                 .target = "/v1/alerts/" + Encode(id) + "/ack",
                                 .body = json::serialize(body),
                                 .content_type = "application/json"});
  if (r.status != 200 && r.status != 201) {
    std::fprintf(stderr, "sakchy ack: %s\n", Explain(r).c_str());
    return 1;
  }
  const auto doc = json::parse(r.body);
  std::printf("%s %s (group %s)\n", r.status == 201 ? "acknowledged" : "already acknowledged:",
              id.c_str(), Field(doc.as_object(), "group_key").c_str());
  return 0;
}

// --url (default $SAKCHY_URL) and SAKCHY_TOKEN into `c`; the exit status 2 with a message
// when either is missing or wrong, else 0.
int Connect(Common& c) {
  auto target = cli::ParseUrl(c.url);
  if (!target) {
    std::fprintf(stderr, "sakchy: --url must be http://HOST:PORT, not '%s'\n", c.url.c_str());
    return 2;
  }
  c.target = *target;
  const char* token = std::getenv("SAKCHY_TOKEN");
  if (!token || !*token) {
    std::fprintf(stderr, "sakchy: set SAKCHY_TOKEN to your API token\n");
    return 2;
  }
  c.token = token;
  return 0;
}

// Registers `command`: its action connects, then runs `run` with the common settings.
constexpr const char* kClientFooter = R"(Talks to a running service: --url (default $SAKCHY_URL or http://127.0.0.1:8080), the bearer
token in SAKCHY_TOKEN. Exit status: 0 done, 1 the service refused or failed, 2 usage (also a
missing SAKCHY_TOKEN or a bad --url).)";

template <typename Run>
void OnConnected(CliActions& actions, CLI::App* command, std::shared_ptr<Common> common, Run run) {
  command->footer(kClientFooter);
  command->add_option("--url", common->url, "the service, http://HOST:PORT (default $SAKCHY_URL)")
      ->capture_default_str();
  actions.On(command, [common, run] {
    if (const int rc = Connect(*common); rc != 0) return rc;
    return run(*common);
  });
}

}  // namespace

void AddClientCommands(CLI::App& app, CliActions& actions) {
  auto common = std::make_shared<Common>();
  const char* env_url = std::getenv("SAKCHY_URL");
  common->url = env_url && *env_url ? env_url : "http://127.0.0.1:8080";

  auto report = std::make_shared<ReportArgs>();
  auto* report_cmd = app.add_subcommand("report", "submit one report; the text from the "
                                                  "arguments, or standard input");
  report_cmd->add_option("text", report->words, "the report's text ('-' or none: standard input)");
  report_cmd->add_option("--area", report->area, "area code, e.g. KG-O-ARAVAN");
  report_cmd->add_option("--source-ref", report->source_ref,
                         "your reference; the same again is a duplicate (Idempotency-Key)");
  report_cmd->add_option("--observed-at", report->observed_at, "RFC 3339 time it was seen");
  OnConnected(actions, report_cmd, common,
              [report](const Common& c) { return RunReport(c, *report); });

  auto import = std::make_shared<ImportArgs>();
  auto* import_cmd = app.add_subcommand(
      "import", "submit every line of FILE.ndjson in batches, with progress; resumable (FILE."
                "progress) and idempotent (a source_ref per line)");
  import_cmd->add_option("file", import->file, "NDJSON, one report object per line")
      ->required()
      ->check(CLI::ExistingFile);
  import_cmd->add_flag("--restart", import->restart, "ignore FILE.progress and start at line 1");
  import_cmd->add_option("--batch", import->batch, "lines per request")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  OnConnected(actions, import_cmd, common,
              [import](const Common& c) { return RunImport(c, *import); });

  auto exp = std::make_shared<ExportArgs>();
  auto* export_cmd = app.add_subcommand("export", "download an export with progress");
  export_cmd->add_option("what", exp->what, "events.csv or areas.geojson")
      ->required()
      ->check(CLI::IsMember({"events.csv", "areas.geojson"}));
  export_cmd->add_option("-o,--output", exp->out, "file to write (default: WHAT)");
  export_cmd->add_option("--area", exp->area, "area code (and everything below it)");
  export_cmd->add_option("--from", exp->from, "RFC 3339 observed time from");
  export_cmd->add_option("--to", exp->to, "RFC 3339 observed time up to");
  export_cmd->add_option("--severity", exp->severity, "comma-separated severities");
  export_cmd->add_option("--category", exp->category, "comma-separated categories");
  export_cmd->add_option("--level", exp->level, "areas.geojson: children or an area level");
  auto* hxl = export_cmd->add_flag("--hxl", exp->hxl, "events.csv: add the HXL hashtag row");
  auto* no_bom = export_cmd->add_flag("--no-bom", exp->no_bom,
                                      "events.csv: without the UTF-8 byte order mark");
  hxl->excludes(no_bom);  // HXL tools and spreadsheets both want the mark; scripts want neither
  OnConnected(actions, export_cmd, common, [exp](const Common& c) { return RunExport(c, *exp); });

  auto alerts = std::make_shared<AlertsArgs>();
  auto* alerts_cmd = app.add_subcommand("alerts", "list notifications, newest first");
  auto* unacked = alerts_cmd->add_flag("--unacked", alerts->unacked, "only unacknowledged ones");
  auto* acked = alerts_cmd->add_flag("--acked", alerts->acked, "only acknowledged ones");
  unacked->excludes(acked);
  alerts_cmd->add_option("--state", alerts->state, "queued, sent, delivered, failed, dead_letter")
      ->check(CLI::IsMember({"queued", "pending", "sent", "delivered", "failed", "dead_letter",
                             "suppressed"}));
  alerts_cmd->add_option("--limit", alerts->limit, "at most this many")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  alerts_cmd->add_flag("--json", alerts->json, "one JSON object per line");
  OnConnected(actions, alerts_cmd, common,
              [alerts](const Common& c) { return RunAlerts(c, *alerts); });

  auto ack = std::make_shared<AckArgs>();
  auto* ack_cmd = app.add_subcommand("ack", "acknowledge an alert's group");
  ack_cmd->add_option("id", ack->id, "the alert id")->required();
  ack_cmd->add_option("--note", ack->note, "what was done (at most 1000 bytes)");
  OnConnected(actions, ack_cmd, common, [ack](const Common& c) { return RunAck(c, *ack); });
}

}  // namespace sakchy::service

#include "service/console.h"

#include <array>
#include <string>
#include <utility>

#include "ui/assets.h"

namespace sakchy::service {

namespace {

constexpr std::string_view kPrefix = "/ui/";

// Scripts and styles only from the console's own files (no inline script or style, no eval),
// data only from this origin's API, never framed.
constexpr std::string_view kCsp =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; manifest-src 'self'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'";

std::string_view ContentType(std::string_view path) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 9> kTypes = {{
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".webmanifest", "application/manifest+json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".txt", "text/plain; charset=utf-8"},
  }};
  for (const auto& [ext, type] : kTypes) {
    if (path.ends_with(ext)) return type;
  }
  return "application/octet-stream";
}

void AddSecurityHeaders(HttpResponse& r) {
  r.headers.emplace_back("Content-Security-Policy", std::string(kCsp));
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("Referrer-Policy", "no-referrer");
  r.headers.emplace_back("X-Frame-Options", "DENY");
  r.headers.emplace_back("Cross-Origin-Opener-Policy", "same-origin");
  r.headers.emplace_back("Permissions-Policy", "camera=(), microphone=(), geolocation=()");
}

HttpResponse Plain(unsigned status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.content_type = "text/plain; charset=utf-8";
  r.body = std::move(body);
  AddSecurityHeaders(r);
  return r;
}

HttpResponse Redirect(std::string location) {
  HttpResponse r = Plain(301, "");
  r.headers.emplace_back("Location", std::move(location));
  return r;
}

// Whether Accept-Encoding allows gzip (listed, and not with q=0).
bool AcceptsGzip(std::string_view accept) {
  while (!accept.empty()) {
    auto comma = accept.find(',');
    std::string_view item = accept.substr(0, comma);
    accept = comma == std::string_view::npos ? std::string_view() : accept.substr(comma + 1);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    auto semi = item.find(';');
    std::string_view coding = item.substr(0, semi);
    while (!coding.empty() && coding.back() == ' ') coding.remove_suffix(1);
    if (coding != "gzip" && coding != "*") continue;
    if (semi == std::string_view::npos) return true;
    std::string_view params = item.substr(semi + 1);
    auto q = params.find("q=");
    if (q == std::string_view::npos) return true;
    std::string_view value = params.substr(q + 2);
    // q=0, q=0.0, q=0.00...: refused.
    bool zero = !value.empty() && value.front() == '0';
    for (std::size_t i = 1; zero && i < value.size() && value[i] != ' '; ++i) {
      zero = value[i] == '.' || value[i] == '0';
    }
    return !zero;
  }
  return false;
}

// Whether If-None-Match names `etag` (or is "*").
bool Matches(std::string_view if_none_match, std::string_view etag) {
  if (if_none_match.find('*') != std::string_view::npos) return true;
  return !etag.empty() && if_none_match.find(etag) != std::string_view::npos;
}

}  // namespace

std::string_view ConsoleContentSecurityPolicy() { return kCsp; }

bool IsConsolePath(std::string_view path) {
  return path == "/" || path == "/ui" || path.starts_with(kPrefix);
}

HttpResponse ServeConsole(const HttpRequest& req) {
  if (req.method != "GET" && req.method != "HEAD") {
    HttpResponse r = Plain(405, req.method + " is not supported on the console's files\n");
    r.headers.emplace_back("Allow", "GET, HEAD");
    return r;
  }
  if (req.path == "/" || req.path == "/ui") return Redirect("/ui/");
  std::string_view rel = std::string_view(req.path).substr(kPrefix.size());
  if (rel.empty()) rel = "index.html";
  const ui::Asset* asset = nullptr;
  for (const auto& a : ui::Assets()) {
    if (a.path == rel) {
      asset = &a;
      break;
    }
  }
  if (!asset) return Plain(404, "no console file at " + req.path + "\n");
  const bool gzip = AcceptsGzip(req.Header("accept-encoding"));
  // The two representations have distinct strong validators: "<hash>" and "<hash>-gz".
  std::string etag(asset->etag);
  if (gzip) etag.insert(etag.size() - 1, "-gz");
  HttpResponse r;
  r.content_type = std::string(ContentType(rel));
  AddSecurityHeaders(r);
  r.headers.emplace_back("ETag", etag);
  r.headers.emplace_back("Cache-Control", "no-cache");  // revalidate: a new binary, new files
  r.headers.emplace_back("Vary", "Accept-Encoding");
  if (Matches(req.Header("if-none-match"), etag)) {
    r.status = 304;
    return r;
  }
  if (gzip) {
    r.headers.emplace_back("Content-Encoding", "gzip");
    r.body.assign(asset->gzip);
  } else {
    r.body.assign(asset->body);
  }
  return r;
}

}  // namespace sakchy::service

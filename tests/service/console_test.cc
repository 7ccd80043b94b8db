// The web console's static files (service/console.h, ui/web): served at /ui/ from the binary with
// the security headers, gzip and ETags; and a check of the console's sources that no report text
// can ever be parsed as HTML.

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "service/console.h"
#include "testutil/testutil.h"

namespace sakchy::service::console_test {
namespace {

HttpRequest Get(std::string path, std::map<std::string, std::string> headers = {}) {
  HttpRequest r;
  r.method = "GET";
  r.target = path;
  r.path = std::move(path);
  r.headers = std::move(headers);
  return r;
}

std::string HeaderOf(const HttpResponse& r, std::string_view name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return {};
}

TEST(ConsoleTest, ServesTheIndexWithSecurityHeaders) {
  auto r = ServeConsole(Get("/ui/"));
  ASSERT_EQ(r.status, 200u);
  EXPECT_EQ(r.content_type, "text/html; charset=utf-8");
  const std::string csp = HeaderOf(r, "Content-Security-Policy");
  EXPECT_NE(csp.find("script-src 'self';"), std::string::npos) << csp;
  EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos) << csp;
  EXPECT_EQ(csp.find("unsafe-eval"), std::string::npos) << csp;
  EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos) << csp;
  EXPECT_EQ(HeaderOf(r, "X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(HeaderOf(r, "Referrer-Policy"), "no-referrer");
  EXPECT_EQ(HeaderOf(r, "X-Frame-Options"), "DENY");
  // Scripts only from files: every <script> has a src (the CSP would block inline ones anyway).
  std::regex script("<script([^>]*)>");
  int scripts = 0;
  for (std::sregex_iterator it(r.body.begin(), r.body.end(), script), end; it != end; ++it) {
    ++scripts;
    EXPECT_NE((*it)[1].str().find("src="), std::string::npos) << (*it)[0];
  }
  EXPECT_EQ(scripts, 1);
  EXPECT_EQ(r.body.find("style="), std::string::npos) << "no inline styles";
}

TEST(ConsoleTest, RedirectsTheRootAndServesFilesByType) {
  for (const char* p : {"/", "/ui"}) {
    auto r = ServeConsole(Get(p));
    EXPECT_EQ(r.status, 301u) << p;
    EXPECT_EQ(HeaderOf(r, "Location"), "/ui/") << p;
  }
  auto js = ServeConsole(Get("/ui/js/app.js"));
  EXPECT_EQ(js.status, 200u);
  EXPECT_EQ(js.content_type, "text/javascript; charset=utf-8");
  auto css = ServeConsole(Get("/ui/app.css"));
  EXPECT_EQ(css.content_type, "text/css; charset=utf-8");
  // Debian's libjs-leaflet, embedded at build time.
  auto leaflet = ServeConsole(Get("/ui/vendor/leaflet/leaflet.js"));
  EXPECT_EQ(leaflet.status, 200u);
  EXPECT_NE(leaflet.body.find("Leaflet"), std::string::npos);
  EXPECT_EQ(ServeConsole(Get("/ui/vendor/leaflet/leaflet.css")).status, 200u);
  EXPECT_TRUE(IsConsolePath("/ui/x") && IsConsolePath("/") && !IsConsolePath("/v1/ui"));
}

TEST(ConsoleTest, UnknownPathsAndMethodsAreRefused) {
  EXPECT_EQ(ServeConsole(Get("/ui/nope.js")).status, 404u);
  EXPECT_EQ(ServeConsole(Get("/ui/../docs/API.md")).status, 404u);
  EXPECT_EQ(ServeConsole(Get("/ui//js/app.js")).status, 404u);
  auto post = Get("/ui/");
  post.method = "POST";
  auto r = ServeConsole(post);
  EXPECT_EQ(r.status, 405u);
  EXPECT_EQ(HeaderOf(r, "Allow"), "GET, HEAD");
  EXPECT_FALSE(HeaderOf(r, "Content-Security-Policy").empty());
}

TEST(ConsoleTest, GzipWhenAcceptedAndEtagRevalidation) {
  auto plain = ServeConsole(Get("/ui/js/app.js"));
  auto zipped = ServeConsole(Get("/ui/js/app.js", {{"accept-encoding", "gzip, deflate, br"}}));
  EXPECT_EQ(HeaderOf(zipped, "Content-Encoding"), "gzip");
  ASSERT_GE(zipped.body.size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>(zipped.body[0]), 0x1f);
  EXPECT_EQ(static_cast<unsigned char>(zipped.body[1]), 0x8b);
  EXPECT_LT(zipped.body.size(), plain.body.size());
  EXPECT_EQ(HeaderOf(plain, "Content-Encoding"), "");
  EXPECT_EQ(
      HeaderOf(ServeConsole(Get("/ui/", {{"accept-encoding", "gzip;q=0"}})), "Content-Encoding"),
      "");
  EXPECT_EQ(
      HeaderOf(ServeConsole(Get("/ui/", {{"accept-encoding", "gzip;q=0.5"}})), "Content-Encoding"),
      "gzip");
  EXPECT_EQ(HeaderOf(plain, "Vary"), "Accept-Encoding");
  const std::string etag = HeaderOf(plain, "ETag");
  ASSERT_FALSE(etag.empty());
  EXPECT_NE(etag, HeaderOf(zipped, "ETag"));
  auto again = ServeConsole(Get("/ui/js/app.js", {{"if-none-match", etag}}));
  EXPECT_EQ(again.status, 304u);
  EXPECT_TRUE(again.body.empty());
}

// Report texts reach the page only as text: the console's scripts never parse strings as HTML
// or code (dom.js builds every node; the CSP forbids inline scripts besides).
TEST(ConsoleTest, SourcesNeverParseStringsAsHtml) {
  const std::filesystem::path root = testing::SourcePath("ui/web/js");
  const std::regex forbidden(
      R"(\.innerHTML|\.outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function|setAttribute\(\s*'style'|DOMParser|createContextualFragment)");
  int files = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    if (entry.path().extension() != ".js") continue;
    ++files;
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    std::string s = text.str();
    std::smatch m;
    EXPECT_FALSE(std::regex_search(s, m, forbidden)) << entry.path() << ": " << m.str();
  }
  EXPECT_GT(files, 5);
}

}  // namespace
}  // namespace sakchy::service::console_test

#pragma once
// The web console's static files at /ui/ (ui/web, compiled into the binary): the console signs in
// with an API token and uses only the public API, so it needs no authentication of its own.
// Every response carries the console's security headers (Content-Security-Policy without inline
// scripts, nosniff, no referrer, no framing).

#include <string_view>

#include "service/http.h"

namespace sakchy::service {

// True for the paths ServeConsole answers: "/", "/ui" and everything under "/ui/".
bool IsConsolePath(std::string_view path);

// GET/HEAD of a console path: "/" and "/ui" redirect to "/ui/", "/ui/" is index.html, other
// paths their file (404 when there is none, 405 for other methods). Gzip when the request
// accepts it; ETag with If-None-Match (304). Pure: no I/O, safe on an io thread.
HttpResponse ServeConsole(const HttpRequest& request);

// The Content-Security-Policy of the console (tests check it).
std::string_view ConsoleContentSecurityPolicy();

}  // namespace sakchy::service

#include "service/problems.h"

#include <algorithm>
#include <string>

#include "service/api.h"
#include "xml_text.h"

namespace sakchy::service {

namespace {

constexpr ProblemType kTypes[] = {
    {"invalid-request", 400, "Invalid request",
     "A query parameter, a path segment or a field of the body is missing or invalid. "
     "<code>field</code> names it (a query parameter, or a JSON field of the body) and "
     "<code>detail</code> says what is wrong. Sending the same request again fails again: "
     "correct it first."},
    {"unauthenticated", 401, "Unauthenticated",
     "The request has no <code>Authorization: Bearer &lt;token&gt;</code> header, or the token "
     "is unknown (callbacks: a wrong shared secret, signature or source address). Ask the "
     "operator for a token; tokens are listed (as SHA-256 digests) under <code>tokens</code> in "
     "the configuration."},
    {"forbidden", 403, "Forbidden",
     "The token is valid but its role may not call this endpoint, or (officials) the area asked "
     "for lies outside the token's areas; <code>field</code> is then <code>area</code>. "
     "<code>detail</code> names the role the endpoint needs."},
    {"not-found", 404, "Not found",
     "There is no endpoint at this path, or the event, alert, cluster, silence, contact or area "
     "it names does not exist (or lies outside the caller's areas)."},
    {"method-not-allowed", 405, "Method not allowed",
     "The endpoint exists but not with this method; the <code>Allow</code> header lists the "
     "methods it takes."},
    {"conflict", 409, "Conflict",
     "The request contradicts the current state: a contact with this id already exists, a "
     "contact defined in the configuration file cannot be changed through the API, or a backup "
     "is already running. Change the request, or try again once the other operation is done."},
    {"payload-too-large", 413, "Payload too large",
     "The body (or one report text) exceeds the limit: <code>server.max_body_bytes</code>, "
     "<code>server.max_bulk_body_bytes</code> for batches, or <code>max_text_bytes</code> for a "
     "report. Split the batch or shorten the text."},
    {"unsupported-media-type", 415, "Unsupported media type",
     "The body's <code>Content-Type</code> is not the one the endpoint reads: "
     "<code>application/json</code> for single objects, <code>application/x-ndjson</code> for "
     "batches."},
    {"rules-rejected", 422, "Rules rejected",
     "Reloading the rules failed: a rule file does not parse or a pattern does not compile. "
     "<code>detail</code> names the file, line and rule; the rules in use stay unchanged."},
    {"too-many-requests", 429, "Too many requests",
     "The token runs as many exports at once as it may "
     "(<code>server.max_exports_per_token</code>). Wait for one to finish, or the number of "
     "seconds in <code>Retry-After</code>, and try again."},
    {"headers-too-large", 431, "Request header fields too large",
     "The request line or headers exceed the server's limit. Send fewer or shorter headers (or "
     "a shorter query)."},
    {"unavailable", 503, "Service unavailable",
     "The service cannot take the request now: its ingest queue is full, it is starting or "
     "stopping, or a store write failed. Nothing was stored; retry after the number of seconds "
     "in <code>Retry-After</code> (callers such as Kannel and WhatsApp retry by themselves)."},
    {"error", 0, "Server error",
     "The service failed to complete the request (HTTP 500 and any other status without its "
     "own type). <code>detail</code> says what failed; the service log has the same request "
     "with its <code>request_id</code>. Retrying may succeed; report it to the operator if it "
     "persists."},
};

}  // namespace

std::span<const ProblemType> ProblemTypes() { return kTypes; }

const ProblemType* FindProblemType(std::string_view slug) {
  const auto* it = std::find_if(std::begin(kTypes), std::end(kTypes),
                                [slug](const ProblemType& t) { return t.slug == slug; });
  return it == std::end(kTypes) ? nullptr : it;
}

HttpResponse ProblemPage(std::string_view slug, std::string_view method) {
  if (method != "GET" && method != "HEAD") {
    auto r = Problem(405, "Method Not Allowed",
                     std::string(method) + " is not supported on /problems/{name}");
    r.headers.emplace_back("Allow", "GET, HEAD");
    return r;
  }
  const ProblemType* t = FindProblemType(slug);
  if (!t) return Problem(404, "Not Found", "no problem type '" + std::string(slug) + "'");
  HttpResponse r;
  r.content_type = "text/html; charset=utf-8";
  std::string& b = r.body;
  b = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>";
  AppendXmlEscaped(b, t->title);
  b += " — Sakchy API problem type</title></head>\n<body><main>\n<h1>";
  AppendXmlEscaped(b, t->title);
  b += "</h1>\n<p>Problem type <code>/problems/";
  AppendXmlEscaped(b, t->slug);
  b += "</code>, HTTP status ";
  b += t->status ? std::to_string(t->status) : std::string("500 (or another without its own type)");
  b += ".</p>\n<p>";
  b += t->explanation;  // trusted HTML of this file
  b += "</p>\n<p>Problem documents (<code>application/problem+json</code>, RFC 9457) carry "
       "<code>type</code>, <code>title</code>, <code>status</code>, <code>detail</code> and, "
       "where one field is at fault, <code>field</code>. All types: ";
  for (const auto& other : kTypes) {
    if (&other != std::begin(kTypes)) b += ", ";
    b += "<a href=\"/problems/";
    b += other.slug;
    b += "\">";
    b += other.slug;
    b += "</a>";
  }
  b += ". The API: <a href=\"/openapi.json\">/openapi.json</a>.</p>\n</main></body></html>\n";
  return r;
}

}  // namespace sakchy::service

#pragma once
// CAP 1.2 (OASIS Common Alerting Protocol) renderings of alerts for partner systems: one CAP
// <alert> per notification (GET /v1/alerts/{id}.cap) and an Atom feed (RFC 4287) whose entries
// carry them (GET /v1/alerts.atom). docs/API.md, "CAP".
//
// A rendering depends only on the notification, its group's first notification and the area, so
// a CAP message never changes once issued (its identifier is the notification id). Report texts
// never appear: partners get the area, severity, categories and counts. Pure functions, no I/O;
// thread-safe.

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/areas.h"
#include "core/time.h"
#include "core/types.h"

namespace sakchy::service {

// Who issues the messages and where they live, from the request (CapContextFor).
struct CapContext {
  std::string sender;    // CAP <sender>, e.g. "sakchy@alerts.example.kg"
  std::string base_url;  // e.g. "https://alerts.example.kg" (no trailing slash): links
};

// The sender and base URL seen by a client that sent `host` (the Host header) and
// `forwarded_proto` (X-Forwarded-Proto of a TLS proxy; "https" or empty). A host with characters
// outside [A-Za-z0-9.:-[]] (or empty) becomes "localhost".
CapContext CapContextFor(std::string_view host, std::string_view forwarded_proto);

struct CapInput {
  const Alert* alert = nullptr;        // the notification rendered (required)
  std::string_view first_id;           // its group's first notification (the incident)
  TimeMs first_created_at = 0;         //   and when that one was created
  const config::Area* area = nullptr;  // the alert's area; null when unknown
  const std::string* geometry = nullptr;  // GeoJSON geometry of the area; null when none
};

// One CAP 1.2 <alert> document (UTF-8, namespace urn:oasis:names:tc:emergency:cap:1.2).
// msgType Alert for the first notification of a group, Update (with <references> to the first)
// for later ones; scope Restricted (unverified reports are not for public release).
// `xml_declaration` false: the bare element, for embedding (Atom content).
std::string RenderCapAlert(const CapInput& in, const CapContext& ctx, bool xml_declaration = true);

// An Atom feed with one entry per input (newest first, as given): title = CAP headline, link to
// the .cap document, the CAP <alert> inline as application/cap+xml content. `updated`: the
// feed's update time (the newest entry's, or now when empty). `next_url`: RFC 5005 rel="next"
// (empty: no more pages).
std::string RenderCapAtomFeed(std::span<const CapInput> entries, const CapContext& ctx,
                              TimeMs updated, std::string_view next_url);

// CAP's dateTime: "2026-11-01T12:00:00-00:00" (UTC, no fraction; CAP forbids "Z").
std::string CapTime(TimeMs t);

// The exterior rings of a GeoJSON Polygon/MultiPolygon as CAP <polygon> values ("lat,lon" pairs,
// space-separated, closed). Rings with fewer than 4 positions and unparsable input give nothing.
std::vector<std::string> CapPolygons(std::string_view geojson_geometry);

}  // namespace sakchy::service

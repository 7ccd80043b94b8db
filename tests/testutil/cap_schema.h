#pragma once
// Structural checks of CAP 1.2 (OASIS Common Alerting Protocol, "CAP-v1.2-os") documents and of
// Atom feeds carrying them, for tests: the documents are parsed with libxml2 (well-formed XML), then
// every element is checked against the CAP 1.2 content model written out here from the
// specification: namespace, required elements, order and cardinality of each sequence, the value
// lists (status, msgType, scope, category, responseType, urgency, severity, certainty), dateTime
// form (numeric offset, no "Z"), identifier/sender characters, restriction with Restricted scope,
// polygons (closed, at least 4 lat,lon pairs) and references (sender,identifier,sent triples).

#include <string>
#include <string_view>
#include <vector>

namespace sakchy::testing {

// The problems of a CAP 1.2 <alert> document; empty when it conforms.
std::vector<std::string> CapProblems(std::string_view xml);

// The problems of an Atom feed (RFC 4287: feed id/title/updated/author, entry id/title/updated)
// whose entries carry a CAP <alert> as application/cap+xml content; empty when it conforms.
// `entries` receives the number of entries.
std::vector<std::string> AtomCapFeedProblems(std::string_view xml, std::size_t* entries = nullptr);

}  // namespace sakchy::testing

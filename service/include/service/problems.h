#pragma once
// The problem types of the API's problem documents (RFC 9457): every `type` URI Problem() emits
// ("/problems/<slug>") resolves to a page served at GET /problems/{slug} that explains it.
// tests/service/problems_test.cc checks that each status Problem() can emit has its page here.

#include <span>
#include <string_view>

#include "service/http.h"

namespace sakchy::service {

struct ProblemType {
  std::string_view slug;  // the last segment of the type URI
  unsigned status;        // the HTTP status it comes with (0: any other status)
  std::string_view title;
  std::string_view explanation;  // what it means and what a client should do (HTML text)
};

// All problem types, ordered by status ("error", for any status without its own type, last).
std::span<const ProblemType> ProblemTypes();
// nullptr when `slug` names no problem type.
const ProblemType* FindProblemType(std::string_view slug);

// GET /problems/{slug}: an HTML page explaining the type; a problem document with 404 for an
// unknown slug, 405 for a method other than GET or HEAD.
HttpResponse ProblemPage(std::string_view slug, std::string_view method);

}  // namespace sakchy::service

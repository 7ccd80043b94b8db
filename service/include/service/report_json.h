#pragma once
// Parsing of report bodies (simdjson) and rendering of API values (Boost.JSON).

#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

#include "core/types.h"
#include "service/auth.h"

namespace sakchy::service {

struct ReportRequest {
  std::string text;
  std::optional<std::string> area;
  std::string source_ref;
  std::optional<TimeMs> observed_at;
};

// A problem with the body, naming the field ("body" when the JSON itself is broken).
struct BodyError {
  std::string field;
  std::string detail;
};

// Parses {"text": "...", "area": "...", "source_ref": "...", "observed_at": "RFC 3339"}.
// Unknown or duplicate fields, wrong types, invalid JSON and invalid UTF-8 are errors.
tl::expected<ReportRequest, BodyError> ParseReportJson(std::string_view body);

// `view` decides what is shown of the submitter (SubmitterView: officials see pseudonyms).
boost::json::value EventToJson(const Event& event, const SubmitterView& view = {});
// Matches with the matched excerpt of `text`, and place mentions with their candidates.
boost::json::array MatchesToJson(std::string_view text, const std::vector<Match>& matches);
boost::json::array PlacesToJson(const std::vector<PlaceMention>& places);
// [{"model", "version", "probability", "contribution"}], in the order the models are configured.
boost::json::array ModelScoresToJson(const std::vector<ModelScore>& models);
boost::json::value AlertToJson(const Alert& alert);

}  // namespace sakchy::service

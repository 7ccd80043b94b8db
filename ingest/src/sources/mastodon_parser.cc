#include "ingest/sources/mastodon_parser.h"

#include <simdjson.h>

#include "core/time.h"
#include "ingest/sources/html_text.h"
#include "core/json_dom.h"

namespace sakchy::ingest::sources {

using json_dom::IdString;
using json_dom::Member;
using json_dom::Str;

Result<std::vector<MastodonStatus>> ParseMastodonStatuses(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  const simdjson::padded_string padded(json);
  if (auto err = parser.parse(padded).get(doc); err != simdjson::SUCCESS) {
    return MakeError(ErrorCode::kInvalidArgument,
                     std::string("not a Mastodon timeline: invalid JSON: ") +
                         simdjson::error_message(err));
  }
  simdjson::dom::array statuses;
  if (doc.get_array().get(statuses) != simdjson::SUCCESS) {
    auto error = doc.type() == simdjson::dom::element_type::OBJECT ? Str(doc, "error")
                                                                   : std::nullopt;
    return MakeError(ErrorCode::kInvalidArgument,
                     "not a Mastodon timeline: expected an array of statuses" +
                         (error ? " (server said: " + *error + ")" : std::string()));
  }
  std::vector<MastodonStatus> out;
  for (simdjson::dom::element s : statuses) {
    auto id = IdString(s, "id");
    if (!id || id->empty()) {
      return MakeError(ErrorCode::kInvalidArgument, "not a Mastodon timeline: a status has no id");
    }
    MastodonStatus st;
    st.id = std::move(*id);
    if (auto created = Str(s, "created_at")) st.created_at = ParseRfc3339(*created);
    if (auto edited = Str(s, "edited_at")) st.edited_at = ParseRfc3339(*edited);
    const std::string content = HtmlToText(Str(s, "content").value_or(""));
    const std::string spoiler = CollapseWhitespace(Str(s, "spoiler_text").value_or(""));
    st.text = spoiler.empty() ? content
              : content.empty() ? spoiler
                                : spoiler + "\n\n" + content;
    st.url = Str(s, "url").value_or("");
    if (st.url.empty()) st.url = Str(s, "uri").value_or("");  // remote statuses without a web URL
    st.language = Str(s, "language").value_or("");
    if (auto account = Member(s, "account")) {
      st.account_id = IdString(*account, "id").value_or("");
      st.account_acct = Str(*account, "acct").value_or("");
    }
    if (st.text.empty()) continue;
    out.push_back(std::move(st));
  }
  return out;
}

bool MastodonIdNewer(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return a.size() > b.size();
  return a > b;
}

}  // namespace sakchy::ingest::sources

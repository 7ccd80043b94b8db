// The log's encoding of a report (cluster/jetstream.h): a small JSON object, version 1.
#include <simdjson.h>

#include <boost/json.hpp>

#include "cluster/jetstream.h"
#include "core/json_dom.h"

namespace sakchy::cluster {

namespace json = boost::json;

std::string EncodeLogReport(const Report& r) {
  json::object o;
  o["v"] = 1;
  o["id"] = r.id;
  o["text"] = r.text;
  if (r.area) o["area"] = *r.area;
  o["channel"] = r.channel;
  if (!r.source_ref.empty()) o["source_ref"] = r.source_ref;
  o["submitted_by"] = r.submitted_by;
  o["observed_at"] = r.observed_at;
  o["received_at"] = r.received_at;
  if (!r.url.empty()) o["url"] = r.url;
  if (r.published_at != 0) o["published_at"] = r.published_at;
  if (r.edited_at != 0) o["edited_at"] = r.edited_at;
  if (!r.thread_key.empty()) {
    o["thread_key"] = r.thread_key;
    o["thread_window_ms"] = r.thread_window_ms;
  }
  return json::serialize(o);
}

Result<Report> DecodeLogReport(std::string_view data) {
  // Read with simdjson, as every JSON input (encoded above with Boost.JSON, as every output).
  simdjson::dom::parser parser;
  simdjson::dom::element o;
  const simdjson::padded_string padded(data);
  if (parser.parse(padded).get(o) != simdjson::SUCCESS ||
      o.type() != simdjson::dom::element_type::OBJECT) {
    return MakeError(ErrorCode::kInvalidArgument, "cluster: a log entry is not a JSON object");
  }
  auto str = [o](std::string_view k) { return json_dom::Str(o, k).value_or(""); };
  auto num = [o](std::string_view k) { return json_dom::Int(o, k).value_or(0); };
  if (num("v") != 1) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "cluster: a log entry of an unknown version (a newer node wrote it?)");
  }
  Report r;
  r.id = str("id");
  r.text = str("text");
  if (auto area = json_dom::Str(o, "area")) r.area = std::move(*area);
  r.channel = str("channel");
  r.source_ref = str("source_ref");
  r.submitted_by = str("submitted_by");
  r.observed_at = num("observed_at");
  r.received_at = num("received_at");
  r.url = str("url");
  r.published_at = num("published_at");
  r.edited_at = num("edited_at");
  r.thread_key = str("thread_key");
  r.thread_window_ms = num("thread_window_ms");
  if (r.id.empty() || r.received_at == 0 || r.channel.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "cluster: a log entry without id, time or channel");
  }
  return r;
}

}  // namespace sakchy::cluster

#include "classify_stream.h"

#include <boost/json.hpp>
#include <simdjson.h>

#include <string>

#include "core/json_text.h"
#include "core/utf8.h"
#include "service/report_json.h"

namespace sakchy::service {

namespace json = boost::json;

int ClassifyStream(const classifier::Classifier& classifier, std::FILE* in, std::FILE* out) {
  simdjson::dom::parser parser;
  std::string line;
  std::size_t number = 0;
  int status = 0;
  char buf[1 << 16];
  auto emit = [&](const json::value& v) {
    std::string text = ToJsonText(v);
    text += '\n';
    std::fwrite(text.data(), 1, text.size(), out);
  };
  bool eof = false;
  while (!eof) {
    line.clear();
    for (;;) {
      if (!std::fgets(buf, sizeof(buf), in)) {
        eof = true;
        break;
      }
      line += buf;
      if (!line.empty() && line.back() == '\n') break;
    }
    if (line.empty()) break;
    ++number;
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    auto fail = [&](std::string message) {
      status = 1;
      emit(json::object{{"line", number}, {"error", std::move(message)}});
    };
    if (!IsValidUtf8(line)) {
      fail("not valid UTF-8");
      continue;
    }
    simdjson::dom::element doc;
    if (auto err = parser.parse(line).get(doc)) {
      fail(std::string("not valid JSON: ") + simdjson::error_message(err));
      continue;
    }
    std::string_view text;
    if (doc["text"].get_string().get(text)) {
      fail("needs a \"text\" string");
      continue;
    }
    auto c = classifier.Classify(text);
    json::object o{{"line", number},
                   {"score", c.score},
                   {"severity", SeverityName(c.severity)},
                   {"rules_score", c.rules_score},
                   {"language", classifier::LanguageName(c.language)}};
    json::array cats;
    for (const auto& cat : c.categories) cats.emplace_back(cat);
    o["categories"] = std::move(cats);
    o["area"] = c.area ? json::value(*c.area) : json::value(nullptr);
    o["matches"] = MatchesToJson(text, c.matches);
    o["places"] = PlacesToJson(c.places);
    o["models"] = ModelScoresToJson(c.models);
    o["input"] = json::parse(line);
    emit(o);
  }
  std::fflush(out);
  return status;
}

}  // namespace sakchy::service

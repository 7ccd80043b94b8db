// Exports against the real binary: a large set streamed as CSV (chunked, RFC 4180, every row, no
// phone numbers), the same counts as trends, area polygons as GeoJSON, officials' scope.

#include <boost/json.hpp>

#include <map>
#include <regex>
#include <set>

#include "core/crypto.h"
#include "core/time.h"
#include "integration/harness.h"

namespace sakchy::testing::export_test {
namespace {

namespace json = boost::json;

constexpr int kReports = 3000;
constexpr const char* kOshOfficial = "osh-official-token-0123456789";
const TimeMs kT0 = *ParseRfc3339("2026-02-01T00:00:00+06:00");
const std::string kRange = "from=2026-02-01T00:00:00%2B06:00&to=2026-02-05T00:00:00%2B06:00";

// RFC 4180 records (quoted fields may hold commas, quotes and line breaks).
std::vector<std::vector<std::string>> ParseCsv(const std::string& s) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (quoted) {
      if (c == '"' && i + 1 < s.size() && s[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      row.push_back(std::move(field));
      field.clear();
    } else if (c == '\r' && i + 1 < s.size() && s[i + 1] == '\n') {
      row.push_back(std::move(field));
      field.clear();
      rows.push_back(std::move(row));
      row.clear();
      ++i;
    } else {
      field += c;
    }
  }
  EXPECT_TRUE(field.empty() && row.empty()) << "the CSV does not end with CRLF";
  return rows;
}

class ExportTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    HarnessOptions o;
    o.extra_yaml = "tokens:\n  - {name: osh-official, role: official, sha256: " +
                   Sha256Hex(kOshOfficial) + ", areas: [KG-O]}\n";
    h_ = new Harness(o);
    ASSERT_TRUE(h_->Start());
    const std::vector<std::string> texts = {
        "Говорят, в Оше начались беспорядки, звоните +996 700 123 456, передайте всем!",
        "Срочно: \"нападение\" готовится, пишите на 0555 12-34-56, выходите, берите оружие",
        "В Бишкеке прошло заседание городского кенеша по бюджету.\nВторая строка, с запятой."};
    const std::vector<std::string> areas = {"KG-O-ARAVAN", "KG-N", "KG-C", "KG-GO"};
    for (int chunk = 0; chunk < kReports / 1000; ++chunk) {
      std::string ndjson;
      for (int i = chunk * 1000; i < (chunk + 1) * 1000; ++i) {
        json::object r{{"text", texts[i % texts.size()]},
                       {"area", areas[i % areas.size()]},
                       {"source_ref", "exp-" + std::to_string(i)},
                       {"observed_at", FormatRfc3339(kT0 + i * 60'000LL)}};
        ndjson += json::serialize(r) + "\n";
      }
      auto posted = h_->Call("POST", "/v1/reports:batch", kMonitorToken, ndjson,
                             {{"Content-Type", "application/x-ndjson"}});
      ASSERT_EQ(posted.status, 200) << posted.body;
      ASSERT_EQ(json::parse(posted.body).at("accepted").to_number<int>(), 1000);
    }
    ASSERT_TRUE(WaitFor([] { return Trends("area=KG") == kReports; }, std::chrono::seconds(60)));
  }
  static void TearDownTestSuite() {
    delete h_;
    h_ = nullptr;
  }
  static std::int64_t Trends(const std::string& filter) {
    auto t = h_->GetJson("/v1/trends?" + filter + "&" + kRange + "&bucket=day");
    if (!t.is_object()) return -1;
    return t.at("series").at(0).at("total").to_number<std::int64_t>();
  }
  static Harness* h_;
};

Harness* ExportTest::h_ = nullptr;

TEST_F(ExportTest, EveryEventStreamsAsCsvWithoutPhoneNumbers) {
  auto r = h_->Call("GET", "/v1/export/events.csv", kAnalystToken);
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.Header("transfer-encoding"), "chunked");
  EXPECT_EQ(r.Header("content-type"), "text/csv; charset=utf-8; header=present");
  // A UTF-8 byte order mark first (spreadsheets in a Cyrillic locale then read UTF-8).
  ASSERT_TRUE(r.body.starts_with("\xEF\xBB\xBFid,observed_at,")) << r.body.substr(0, 40);
  auto rows = ParseCsv(r.body.substr(3));
  ASSERT_EQ(rows.size(), static_cast<std::size_t>(kReports) + 1);
  EXPECT_EQ(rows[0], (std::vector<std::string>{
                         "id", "observed_at", "received_at", "area", "channel", "severity",
                         "score", "categories", "text", "text_expired", "source_ref",
                         "submitted_by", "area_name_en", "area_name_ru", "adm1_code", "adm1_name",
                         "adm2_code", "adm2_name", "lat", "lon"}));
  std::set<std::string> ids, refs;
  for (std::size_t i = 1; i < rows.size(); ++i) {
    ASSERT_EQ(rows[i].size(), 20u) << i;
    ids.insert(rows[i][0]);
    refs.insert(rows[i][10]);
    EXPECT_EQ(rows[i][9], "0");
    EXPECT_NE(rows[i][1].find("+06:00"), std::string::npos);
  }
  EXPECT_EQ(ids.size(), static_cast<std::size_t>(kReports));
  EXPECT_EQ(refs.count("exp-0") + refs.count("exp-2999"), 2u);
  // Texts with commas, quotes and line breaks survive; phone numbers do not.
  EXPECT_NE(r.body.find("\"В Бишкеке прошло заседание городского кенеша по бюджету.\nВторая строка, с запятой.\""),
            std::string::npos);
  EXPECT_NE(r.body.find("\"Срочно: \"\"нападение\"\" готовится, пишите на [phone], "),
            std::string::npos);
  EXPECT_EQ(r.body.find("700 123"), std::string::npos);
  EXPECT_EQ(r.body.find("12-34-56"), std::string::npos);
  const std::regex phone("[0-9]([ ()-]?[0-9]){8,}");  // nine digits or more
  for (std::size_t i = 1; i < rows.size(); ++i) {
    for (std::size_t col : {8u, 10u, 11u}) {
      EXPECT_FALSE(std::regex_search(rows[i][col], phone)) << "row " << i << ": " << rows[i][col];
    }
  }
}

TEST_F(ExportTest, CsvBomIsOptionalAndHxlTagsFollowTheHeader) {
  auto r = h_->Call("GET", "/v1/export/events.csv?bom=0&hxl=1&area=KG-O&" + kRange, kAnalystToken);
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_TRUE(r.body.starts_with("id,observed_at,")) << r.body.substr(0, 40);
  const auto rows = ParseCsv(r.body);
  ASSERT_GE(rows.size(), 3u);
  const std::vector<std::string>& tags = rows[1];
  ASSERT_EQ(tags.size(), rows[0].size());
  std::map<std::string, std::size_t> col;
  for (std::size_t i = 0; i < tags.size(); ++i) col[tags[i]] = i;
  for (const char* tag : {"#meta+id", "#date", "#adm1+code", "#adm2+code", "#adm1+name",
                          "#adm2+name", "#severity", "#geo+lat", "#geo+lon", "#description"}) {
    EXPECT_EQ(col.count(tag), 1u) << tag;
  }
  EXPECT_EQ(rows[0][col.at("#date")], "observed_at");
  std::size_t aravan = 0;
  for (std::size_t i = 2; i < rows.size(); ++i) {
    const auto& row = rows[i];
    ASSERT_EQ(row.size(), tags.size()) << i;
    EXPECT_EQ(row[col.at("#adm1+code")], "KG06000000000") << i;  // Osh oblast's pcode
    EXPECT_EQ(row[col.at("#adm1+name")], "Osh") << i;
    if (row[3] != "KG-O-ARAVAN") continue;
    ++aravan;
    EXPECT_FALSE(row[col.at("#adm2+code")].empty());
    EXPECT_EQ(row[col.at("#adm2+name")], row[col.at("#loc+name+i_en")]);
    const double lat = std::stod(row[col.at("#geo+lat")]);
    const double lon = std::stod(row[col.at("#geo+lon")]);
    EXPECT_TRUE(lat > 39 && lat < 41.5 && lon > 72 && lon < 74) << lat << "," << lon;
  }
  EXPECT_EQ(aravan, static_cast<std::size_t>(kReports / 4));
  // Events of an oblast (no raion named): adm1 only.
  r = h_->Call("GET", "/v1/export/events.csv?bom=0&area=KG-C&" + kRange, kAnalystToken);
  const auto chui = ParseCsv(r.body);
  ASSERT_GE(chui.size(), 2u);
  EXPECT_EQ(chui[1][col.at("#adm1+name")], "Chui");
  EXPECT_EQ(h_->Call("GET", "/v1/export/events.csv?bom=no", kAnalystToken).status, 400);
  EXPECT_EQ(h_->Call("GET", "/v1/export/events.csv?hxl=2", kAnalystToken).status, 400);
}

TEST_F(ExportTest, FiltersGiveTheSameCountsAsTrends) {
  for (const std::string filter : {"area=KG-O", "area=KG-N&severity=high,critical",
                                   "severity=info", "area=KG&severity=critical"}) {
    auto r = h_->Call("GET", "/v1/export/events.csv?" + filter + "&" + kRange, kAnalystToken);
    ASSERT_EQ(r.status, 200) << filter;
    const auto rows = ParseCsv(r.body);
    EXPECT_EQ(static_cast<std::int64_t>(rows.size()) - 1, Trends(filter)) << filter;
  }
  // A category filter exports each event once (trends count it per listed category).
  auto r = h_->Call("GET", "/v1/export/events.csv?category=rumour_marker&" + kRange, kAnalystToken);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(static_cast<std::int64_t>(ParseCsv(r.body).size()) - 1,
            Trends("category=rumour_marker"));
  // A time window in the middle.
  r = h_->Call("GET",
               "/v1/export/events.csv?from=2026-02-01T10:00:00%2B06:00&to=2026-02-01T11:00:00%2B06:00",
               kAnalystToken);
  EXPECT_EQ(ParseCsv(r.body).size(), 61u);
}

TEST_F(ExportTest, OfficialsExportOnlyTheirAreas) {
  auto r = h_->Call("GET", "/v1/export/events.csv", kOshOfficial);
  ASSERT_EQ(r.status, 200);
  auto rows = ParseCsv(r.body);
  ASSERT_EQ(rows.size(), static_cast<std::size_t>(kReports / 4) + 1);  // KG-O-ARAVAN only
  for (std::size_t i = 1; i < rows.size(); ++i) EXPECT_EQ(rows[i][3], "KG-O-ARAVAN");
  auto other = h_->Call("GET", "/v1/export/events.csv?area=KG-N", kOshOfficial);
  EXPECT_EQ(other.status, 403);
  EXPECT_EQ(json::parse(other.body).at("field"), "area");
  EXPECT_EQ(h_->Call("GET", "/v1/export/areas.geojson?area=KG", kOshOfficial).status, 403);
  auto geo = json::parse(h_->Call("GET", "/v1/export/areas.geojson?" + kRange, kOshOfficial).body);
  for (const auto& f : geo.at("features").as_array()) {
    EXPECT_EQ(std::string(f.at("id").as_string()).rfind("KG-O", 0), 0u);
  }
}

TEST_F(ExportTest, AreasGeoJsonHasPolygonsCountsAndTension) {
  auto r = h_->Call("GET", "/v1/export/areas.geojson?" + kRange, kAnalystToken);
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.Header("content-type"), "application/geo+json");
  EXPECT_EQ(r.Header("transfer-encoding"), "chunked");
  auto doc = json::parse(r.body);
  EXPECT_EQ(doc.at("type"), "FeatureCollection");
  const auto& features = doc.at("features").as_array();
  EXPECT_EQ(features.size(), 63u);
  std::map<std::string, const json::object*> by_code;
  for (const auto& f : features) by_code[std::string(f.at("id").as_string())] = &f.as_object();
  EXPECT_EQ(by_code.at("KG")->at("properties").at("events").to_number<int>(), kReports);
  EXPECT_EQ(by_code.at("KG-O")->at("properties").at("events").to_number<int>(), kReports / 4);
  EXPECT_GT(by_code.at("KG-O")->at("properties").at("tension").to_number<double>(), 0);
  EXPECT_EQ(by_code.at("KG-O-ARAVAN")->at("geometry").at("type"), "MultiPolygon");
  // Bishkek has its own polygon since the area shapes were derived again (issue 24).
  EXPECT_FALSE(by_code.at("KG-GB")->at("geometry").is_null());
  EXPECT_TRUE(by_code.at("KG-O")->at("properties").at("current").is_object());
  // level and filters.
  auto raions = json::parse(
      h_->Call("GET", "/v1/export/areas.geojson?area=KG-O&level=raion&severity=critical&" + kRange,
               kAnalystToken).body);
  for (const auto& f : raions.at("features").as_array()) {
    EXPECT_EQ(f.at("properties").at("level"), "raion");
  }
  EXPECT_EQ(h_->Call("GET", "/v1/export/areas.geojson?level=village", kAnalystToken).status, 400);
  EXPECT_EQ(h_->Call("GET", "/v1/export/events.csv?severity=loud", kAnalystToken).status, 400);
  EXPECT_EQ(h_->Call("GET", "/v1/export/events.csv?limit=5", kAnalystToken).status, 400);
  EXPECT_EQ(h_->Call("GET", "/v1/export/events.csv", kMonitorToken).status, 403);
}

}  // namespace
}  // namespace sakchy::testing::export_test
